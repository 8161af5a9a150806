"""The same home page in all five locales, with no untranslated key visible."""

from __future__ import annotations

import re

import pytest

LEAKED_KEY = re.compile(
    r"\b(?:common|accounts|home|mail|jobs|audio|billing|social|intelligence|collab)\.[a-z_]+\.[a-z_.]+\b"
)
HEADLINES = {
    "en": "Make, share and earn from your music",
    "es": "Crea, comparte y gana con tu música",
    "pt-BR": "Crie, compartilhe e ganhe com sua música",
    "de": "Musik machen, teilen und damit verdienen",
    "ja": "音楽をつくり、シェアし、収益に",
}


@pytest.mark.parametrize("locale", list(HEADLINES))
async def test_home_page_in_each_locale(new_context, locale):
    context = await new_context(locale=locale)
    page = await context.new_page()
    await page.goto("/")
    assert await page.evaluate("document.documentElement.lang") == locale
    text = await page.inner_text("body")
    assert HEADLINES[locale] in text
    assert not LEAKED_KEY.findall(text)
    # The switcher offers every language by its own name.
    options = await page.locator("[data-testid=language-select] option").all_inner_texts()
    assert options == ["English", "Español", "Português (Brasil)", "Deutsch", "日本語"]
