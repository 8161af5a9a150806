"""Every billing page renders in every language, with money and dates formatted by Babel for it."""

from __future__ import annotations

import re

import pytest

from backend.core.i18n import LOCALES, format_money, t
from tests.billing.helpers import customer_stripe_id, drain, stripe_subscription_id, subscribe
from tests.fixtures import actor_of, log_in

UNTRANSLATED = re.compile(r"\b(billing|common)\.[a-z_]+\.[a-z_.]+")
DEFAULT_CURRENCY = {"en": "USD", "es": "EUR", "pt-BR": "BRL", "de": "EUR", "ja": "JPY"}
CREATOR = {"USD": 999, "EUR": 999, "BRL": 2990, "JPY": 1500, "GBP": 899}


def _clean(html: str, locale: str) -> None:
    assert f'<html lang="{locale}">' in html
    leftover = UNTRANSLATED.findall(html)
    assert not leftover, leftover


@pytest.mark.parametrize("locale", LOCALES)
async def test_the_pricing_page_in_each_language_and_its_currency(locale, sandbox, client):
    currency = DEFAULT_CURRENCY[locale]
    page = await client.get("/pricing", headers={"Accept-Language": locale})
    assert page.status_code == 200
    _clean(page.text, locale)
    assert format_money(CREATOR[currency], currency, locale) in page.text
    tax = "exclusive" if currency == "USD" else "inclusive"
    assert t(f"billing.tax.{tax}", locale) in page.text
    annual = await client.get("/pricing?interval=year", headers={"Accept-Language": locale})
    assert format_money(CREATOR[currency] * 10, currency, locale) in annual.text
    assert 'data-testid="compare-table"' in page.text
    assert all(
        f'data-testid="plan-{code}"' in page.text
        for code in ("free", "creator", "professional", "enterprise")
    )
    # Each card names its limits as the language writes them (German nouns keep their capitals).
    points = re.findall(r'<ul class="plan-points">(.*?)</ul>', page.text, re.S)
    assert points and t("billing.limits.tracks_per_project.name", locale) in points[0]


async def test_the_currency_switcher_and_the_htmx_fragment(sandbox, client):
    page = await client.get("/pricing?currency=GBP", headers={"Accept-Language": "en"})
    assert "£8.99" in page.text and t("billing.tax.inclusive", "en") in page.text
    fragment = await client.get("/pricing?currency=GBP&interval=year", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<div id="plans">')
    assert "£89.90" in fragment.text


@pytest.mark.parametrize("locale", LOCALES)
async def test_billing_usage_change_and_cancel_pages_in_each_language(
    locale, sandbox, client, make_user, workers
):
    user = await make_user(f"pages-{locale.lower()}@example.com", locale=locale)
    await subscribe(actor_of(user), "creator")
    await log_in(client, f"pages-{locale.lower()}@example.com")
    for path in (
        "/billing",
        "/billing/usage",
        "/billing/cancel",
        "/billing/change?plan=professional",
        "/pricing",
    ):
        page = await client.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        _clean(page.text, locale)
    billing_page = (await client.get("/billing")).text
    assert format_money(999, "EUR", locale) in billing_page  # the renewal amount
    assert 'data-testid="invoice-row"' in billing_page and 'data-testid="billing-test-mode"' in billing_page
    usage = (await client.get("/billing/usage")).text
    assert usage.count('class="meter-bar"') >= 3 and "<svg" in usage
    change = (await client.get("/billing/change?plan=professional")).text
    assert 'data-timing="IMMEDIATE"' in change and 'name="proration_date"' in change


async def test_storage_under_a_gigabyte_shows_in_megabytes(client, make_user):
    from backend.audio.tables import StorageUsage

    user = await make_user("storage@example.com", locale="de")
    await StorageUsage.insert(StorageUsage(user_id=user["id"], used_bytes=int(8.2 * 1024**2)))
    await log_in(client, "storage@example.com")
    usage = (await client.get("/billing/usage")).text
    meter = usage[usage.index('data-testid="meter-storage_bytes"') :][:800]
    assert "8,2 MB" in meter and "2 GB" in meter, meter  # used, then the Free plan's limit
    assert "0 GB" not in meter


async def test_the_payment_failed_banner_on_every_page(sandbox, client, make_user, workers):
    user = await make_user("banner@example.com", locale="ja")
    await subscribe(actor_of(user), "creator")
    await sandbox.control(f"customers/{await customer_stripe_id(user['id'])}/card", {"behaviour": "expired"})
    await sandbox.control(f"subscriptions/{await stripe_subscription_id(user['id'])}/renew")
    await sandbox.idle()
    await drain()
    await log_in(client, "banner@example.com")
    home = await client.get("/")
    assert 'id="billing-banner"' in home.text  # every page's header asks for it
    banner = await client.get("/billing/banner")
    assert banner.status_code == 200 and "お支払いに失敗しました" in banner.text


async def test_a_limit_reached_shows_the_upgrade_prompt_not_a_bare_error(sandbox, client, make_user):
    """The upgrade prompt component (``components/upgrade_prompt.html``), on the usage page."""
    from backend.billing import services as billing

    user = await make_user("prompt@example.com", locale="pt-BR")
    for _ in range(10):
        await billing.consume(user["id"], "ai_generations")
    with pytest.raises(billing.LimitReached) as refused:
        await billing.consume(user["id"], "ai_generations")
    assert refused.value.upgrade_to == "creator"
    await log_in(client, "prompt@example.com")
    usage = (await client.get("/billing/usage")).text
    assert 'data-testid="meter-ai_generations" data-fraction="1.000"' in usage
    assert 'data-testid="upgrade-prompt"' in usage and 'data-plan="creator"' in usage
    assert "?highlight=creator" in usage and "Conhecer o Creator" in usage
    pricing = (await client.get("/pricing?highlight=creator")).text
    assert 'class="plan-card highlight"' in pricing
