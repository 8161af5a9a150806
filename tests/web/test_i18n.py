"""Every locale has every key; plurals follow CLDR; pages follow the negotiated language."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from babel import Locale

from backend.core.i18n import LOCALES, format_datetime, format_money, t

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"
CATEGORIES = {"zero", "one", "two", "few", "many", "other"}


def _flatten(data: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for name, value in data.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict) and value and set(value) <= CATEGORIES:
            out[path] = value
        elif isinstance(value, dict):
            out.update(_flatten(value, path + "."))
        else:
            out[path] = value
    return out


def _catalogues() -> dict[str, dict[str, dict[str, object]]]:
    found: dict[str, dict[str, dict[str, object]]] = {}
    for path in sorted(TRANSLATIONS.glob("*.yml")):
        namespace, locale, _ = path.name.rsplit(".", 2)
        found.setdefault(namespace, {})[locale] = _flatten(yaml.safe_load(path.read_text()) or {})
    return found


@pytest.mark.parametrize("namespace", sorted(_catalogues()))
def test_every_locale_has_every_key(namespace):
    catalogues = _catalogues()[namespace]
    assert set(catalogues) == set(LOCALES), f"{namespace}: locales {sorted(catalogues)}"
    reference = set(catalogues["en"])
    for locale, entries in catalogues.items():
        assert set(entries) == reference, (
            f"{namespace}.{locale}: missing {sorted(reference - set(entries))}, extra {sorted(set(entries) - reference)}"
        )


@pytest.mark.parametrize("namespace", sorted(_catalogues()))
def test_plural_entries_cover_the_locales_cldr_categories(namespace):
    for locale, entries in _catalogues()[namespace].items():
        needed = set(Locale.parse(locale.replace("-", "_")).plural_form.tags) | {"other"}
        for name, value in entries.items():
            if isinstance(value, dict):
                assert needed <= set(value), f"{namespace}.{name} in {locale} lacks {needed - set(value)}"


@pytest.mark.parametrize("namespace", sorted(_catalogues()))
def test_placeholders_match_across_locales(namespace):
    import re

    catalogues = _catalogues()[namespace]
    for name, value in catalogues["en"].items():
        expected = set(re.findall(r"%\{(\w+)\}", str(value)))
        for locale, entries in catalogues.items():
            found = set(re.findall(r"%\{(\w+)\}", str(entries[name])))
            assert found == expected, f"{namespace}.{name} [{locale}] has {found}, en has {expected}"


def test_plurals_follow_cldr_not_english_rules():
    assert t("accounts.api_keys.count", "en", count=1) == "1 key"
    assert t("accounts.api_keys.count", "en", count=0) == "0 keys"
    assert t("accounts.orgs.members", "ja", count=1) == "メンバー1人"
    assert t("accounts.orgs.members", "pt-BR", count=0) == "0 membro"  # CLDR: 0 is 'one' in Portuguese
    assert t("accounts.orgs.members", "de", count=1000) == "1.000 Mitglieder"


def test_money_and_dates_are_formatted_per_locale():
    from datetime import UTC, datetime

    assert format_money(123450, "EUR", "de") == "1.234,50\xa0€"
    assert format_money(1500, "JPY", "ja") == "￥1,500"
    assert format_money(999, "USD", "en") == "$9.99"
    moment = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert "27" in format_datetime(moment, "de", tz="Europe/Berlin")  # already the 27th in Berlin
    assert format_datetime(moment, "en", tz="UTC").startswith("Nov 26, 2026")


@pytest.mark.parametrize(
    ("headers", "params", "expected"),
    [
        ({}, {}, "en"),
        ({"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"}, {}, "de"),
        ({"Accept-Language": "fr-FR,pt;q=0.8"}, {}, "pt-BR"),
        ({"Accept-Language": "ja"}, {"lang": "es"}, "es"),
        ({"Accept-Language": "zz, *;q=0.1"}, {}, "en"),
    ],
)
async def test_pages_pick_the_language(client, headers, params, expected):
    response = await client.get("/", headers=headers, params=params)
    assert f'lang="{expected}"' in response.text
    assert response.headers["content-language"] == expected


async def test_the_users_setting_wins_over_everything(client, make_user):
    from tests.fixtures import log_in

    await make_user("jp@example.com", locale="ja")
    await log_in(client, "jp@example.com")
    response = await client.get("/", params={"lang": "de"}, headers={"Accept-Language": "es"})
    assert 'lang="ja"' in response.text


async def test_the_switcher_remembers_an_anonymous_choice(client):
    from tests.fixtures import csrf_token

    token = await csrf_token(client)
    response = await client.post(
        "/language", data={"_csrf_token": token, "locale": "de", "next": "/login"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/login"
    page = await client.get("/login")
    assert 'lang="de"' in page.text and "Anmelden" in page.text


async def test_the_switcher_refuses_open_redirects(client):
    from tests.fixtures import csrf_token

    token = await csrf_token(client)
    response = await client.post(
        "/language",
        data={"_csrf_token": token, "locale": "de", "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"
