"""Every billing string exists in every language, with the same placeholders and plural forms."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from backend.billing.plans import CURRENCIES, FEATURE_ORDER, LIMIT_ORDER, PLANS
from backend.core.i18n import LOCALES, babel_locale

ROOT = Path(__file__).resolve().parents[2] / "translations"
PLACEHOLDER = re.compile(r"%\{(\w+)\}")
PLURAL_FORMS = {"one", "few", "many", "other", "two", "zero"}


def flatten(tree: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not set(value) <= PLURAL_FORMS:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def catalogue(locale: str) -> dict[str, object]:
    return flatten(yaml.safe_load((ROOT / f"billing.{locale}.yml").read_text()))


def test_every_locale_has_every_key_with_the_same_placeholders():
    english = catalogue("en")
    for locale in LOCALES:
        found = catalogue(locale)
        assert set(found) == set(english), (locale, set(english) ^ set(found))
        for key, value in english.items():
            other = found[key]
            texts_en = value.values() if isinstance(value, dict) else [value]
            texts = other.values() if isinstance(other, dict) else [other]
            wanted = set().union(*(PLACEHOLDER.findall(str(v)) for v in texts_en))
            for text in texts:
                assert set(PLACEHOLDER.findall(str(text))) <= wanted | {"count"}, (locale, key)
            if isinstance(other, dict):
                categories = set(babel_locale(locale).plural_form.rules) | {"other"}
                assert set(other) == categories, (locale, key, set(other), categories)


def test_the_plan_table_has_a_name_for_everything_it_sells():
    english = catalogue("en")
    for code in PLANS:
        assert f"plans.{code}.name" in english and f"plans.{code}.tagline" in english
    for feature in FEATURE_ORDER:
        assert f"features.{feature}" in english
    for feature in {f for p in PLANS.values() for f in p.features}:
        assert feature in FEATURE_ORDER, feature
    for limit in LIMIT_ORDER:
        assert f"limits.{limit}.name" in english
    for currency in CURRENCIES:
        assert f"currencies.{currency}" in english
