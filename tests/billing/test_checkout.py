"""Subscribing through the API a partner or page uses: Checkout with the region's payment methods
and tax, the confirmation that already shows the new plan, and nobody reaching for another's."""

from __future__ import annotations

import pytest

from backend.accounts.tables import User
from backend.billing.tables import Subscription
from tests.billing.helpers import pay_checkout, session_id_from
from tests.fixtures import gql, log_in

START = """
mutation($input: StartCheckoutInput!) { startCheckout(input: $input) { url errors { field code message } } }
"""
CONFIRM = """
mutation($s: String!) { confirmCheckout(sessionId: $s) { subscription { plan { code } status renewsAt renewalAmount { formatted } } errors { code message } } }
"""
ENTITLED = (
    "{ entitlements { plan { code } source } billing { subscription { plan { code } status } testMode } }"
)


async def _start(client, plan="creator", **extra):
    body = await gql(client, START, {"input": {"plan": plan, **extra}})
    return body["data"]["startCheckout"]


@pytest.mark.parametrize(
    ("region", "currency", "methods", "price"),
    [
        ("eu", "EUR", ["card", "sepa_debit", "ideal", "bancontact"], "€9.99"),
        ("br", "BRL", ["card", "pix", "boleto"], "R$29.90"),
        ("jp", "JPY", ["card", "konbini"], "¥1,500"),
        ("us", "USD", ["card"], "$9.99"),
    ],
)
async def test_checkout_offers_the_regions_currency_and_payment_methods(
    region, currency, methods, price, sandbox, client, make_user
):
    user = await make_user(f"{region}@example.com")
    await User.update({User.region: region}).where(User.id == user["id"])
    await log_in(client, f"{region}@example.com")
    started = await _start(client)
    assert started["errors"] == [] and started["url"].startswith(sandbox.url)
    async with __import__("httpx").AsyncClient() as http:
        page = (await http.get(started["url"])).text
    for method in methods:
        assert f'data-testid="sandbox-method-{method}"' in page
    offered = {
        m
        for m in ["card", "sepa_debit", "ideal", "bancontact", "pix", "boleto", "konbini"]
        if f"sandbox-method-{m}" in page
    }
    assert offered == set(methods)
    assert price in page and "TEST MODE" in page


async def test_pay_return_and_the_page_already_shows_the_new_plan(sandbox, client, make_user, workers):
    await make_user("buyer@example.com")
    await log_in(client, "buyer@example.com")
    await sandbox.hold()  # no webhook arrives: the return page alone must show the plan
    paid = await pay_checkout((await _start(client, interval="YEAR"))["url"])
    session = session_id_from(paid)
    page = await client.get(f"/billing/return?session_id={session}")
    assert page.status_code == 200
    assert 'data-plan="creator"' in page.text and "Welcome to Creator" in page.text
    assert "€99.90" in page.text  # annual = ten months
    body = await gql(client, ENTITLED)
    assert body["data"]["entitlements"]["plan"]["code"] == "creator"
    assert body["data"]["billing"]["subscription"]["status"] == "active"
    assert body["data"]["billing"]["testMode"] is True
    # Confirming again (a reload) changes nothing; the webhooks, delivered late, neither.
    again = await gql(client, CONFIRM, {"s": session})
    assert again["data"]["confirmCheckout"]["subscription"]["plan"]["code"] == "creator"
    await sandbox.control("events/flush")
    from tests.billing.helpers import drain

    await drain()
    assert await Subscription.count() == 1


async def test_a_declined_payment_keeps_the_checkout_open_and_changes_nothing(sandbox, client, make_user):
    user = await make_user("decline@example.com")
    await log_in(client, "decline@example.com")
    url = (await _start(client))["url"]
    declined = await pay_checkout(url, outcome="decline")
    assert declined.status_code == 402 and 'data-testid="sandbox-error"' in declined.text
    assert await Subscription.count() == 0
    body = await gql(client, ENTITLED)
    assert body["data"]["entitlements"]["plan"]["code"] == "free"
    session_id_from(await pay_checkout(url))  # the same page can still be paid
    assert user


async def test_nobody_can_confirm_or_see_someone_elses_checkout(sandbox, client, make_user, app):
    import httpx

    await make_user("owner@example.com")
    await make_user("mallory@example.com")
    await log_in(client, "owner@example.com")
    session = session_id_from(await pay_checkout((await _start(client))["url"]))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as mallory:
        await log_in(mallory, "mallory@example.com")
        stolen = await gql(mallory, CONFIRM, {"s": session})
        assert stolen["data"]["confirmCheckout"]["errors"][0]["code"] == "NOT_FOUND"
        page = await mallory.get(f"/billing/return?session_id={session}")
        assert page.status_code == 400 and 'data-ok="false"' in page.text and "find that" in page.text
        mine = await gql(mallory, ENTITLED)
        assert mine["data"]["entitlements"]["plan"]["code"] == "free"
        assert mine["data"]["billing"]["subscription"] is None
    assert await Subscription.count() == 0  # and the owner's wasn't applied by the attempt


async def test_refusals_are_translated_field_errors(sandbox, client, make_user):
    await make_user("rules@example.com", locale="es")
    await log_in(client, "rules@example.com")
    assert (await _start(client, plan="free"))["errors"][0]["code"] == "PLAN_NOT_FOR_SALE"
    assert (await _start(client, plan="enterprise"))["errors"][0]["code"] == "ENTERPRISE_NEEDS_ORGANIZATION"
    wrong = await _start(client, currency="XYZ")
    assert wrong["errors"][0] == {
        "field": "currency",
        "code": "CURRENCY_INVALID",
        "message": "Elige una de las monedas de la lista.",
    }
    session = session_id_from(await pay_checkout((await _start(client))["url"]))
    confirmed = await gql(client, CONFIRM, {"s": session})
    assert confirmed["data"]["confirmCheckout"]["errors"] == []
    # A second subscription while one is live is refused: plans change, they don't stack.
    stacked = await _start(client, plan="professional")
    assert stacked["errors"][0]["code"] == "ALREADY_SUBSCRIBED" and stacked["url"] is None


async def test_anonymous_callers_are_asked_to_log_in(sandbox, client):
    body = await gql(client, START, {"input": {"plan": "creator"}})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    response = await client.get("/billing")
    assert response.status_code in (302, 303) and "/login" in response.headers["location"]
