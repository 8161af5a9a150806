"""Translation and locale formatting.

python-i18n loads and holds the YAML catalogues (``translations/<domain>.<locale>.yml``);
this module looks keys up per call with an explicit locale (python-i18n's own locale setting is
process-global, so it is never used), takes plural categories from Babel's CLDR rules and
formats numbers, money and dates with Babel.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import i18n
from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_currency as _babel_currency
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import get_currency_precision
from i18n import resource_loader, translations

from backend.core.settings import REPO_ROOT

TRANSLATIONS_DIR = REPO_ROOT / "translations"
LOCALES: tuple[str, ...] = ("en", "es", "pt-BR", "de", "ja")
DEFAULT_LOCALE = "en"
LOCALE_NAMES = {
    "en": "English",
    "es": "Español",
    "pt-BR": "Português (Brasil)",
    "de": "Deutsch",
    "ja": "日本語",
}
CURRENCY_BY_LOCALE = {"en": "USD", "es": "EUR", "pt-BR": "BRL", "de": "EUR", "ja": "JPY"}

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)

_PLACEHOLDER = re.compile(r"%\{(\w+)\}")
_loaded = False


def _configure() -> None:
    i18n.set("load_path", [str(TRANSLATIONS_DIR)])
    i18n.set("filename_format", "{namespace}.{locale}.{format}")
    i18n.set("file_format", "yml")
    i18n.set("skip_locale_root_data", True)
    i18n.set("available_locales", list(LOCALES))
    i18n.set("fallback", DEFAULT_LOCALE)


def load_catalogues(directory: Path = TRANSLATIONS_DIR) -> None:
    """Read every catalogue once, so no request ever touches the disk for a string."""
    global _loaded
    _configure()
    translations.container.clear()
    for path in sorted(directory.glob("*.yml")):
        namespace, locale, _ = path.name.rsplit(".", 2)
        if locale in LOCALES:
            resource_loader.load_translation_file(path.name, str(directory), locale)
    _loaded = True


def catalogue(locale: str) -> dict[str, Any]:
    if not _loaded:
        load_catalogues()
    return translations.container.get(locale, {})


def normalize_locale(value: str | None) -> str | None:
    """Map ``pt_br``, ``pt-BR``, ``de-AT`` … to a shipped locale, or ``None``."""
    if not value:
        return None
    value = value.strip().replace("_", "-")
    for loc in LOCALES:
        if value.lower() == loc.lower():
            return loc
    base = value.split("-", 1)[0].lower()
    if base == "pt":
        return "pt-BR"
    return base if base in LOCALES else None


@lru_cache(maxsize=16)
def babel_locale(locale: str) -> Locale:
    return Locale.parse(locale.replace("-", "_"))


def plural_category(count: float, locale: str) -> str:
    return babel_locale(locale).plural_form(count)


def _lookup(key: str, locale: str) -> Any:
    cat = catalogue(locale)
    if key in cat:
        return cat[key]
    # A plural entry with a single category (Japanese: only ``other``) is stored flattened.
    prefix = key + "."
    forms = {
        k[len(prefix) :]: v for k, v in cat.items() if k.startswith(prefix) and "." not in k[len(prefix) :]
    }
    return forms or None


def t(key: str, locale: str | None = None, *, count: float | None = None, **params: Any) -> str:
    """Translate ``key`` into ``locale`` (the request's locale by default).

    Plural entries are dicts of CLDR categories; ``count`` picks the form and is also
    available to the message as ``%{count}``. Missing keys fall back to English, then to the key.
    """
    locale = locale or current_locale.get()
    value = _lookup(key, locale)
    if value is None and locale != DEFAULT_LOCALE:
        value = _lookup(key, DEFAULT_LOCALE)
        locale = DEFAULT_LOCALE
    if value is None:
        return key
    if isinstance(value, dict):
        category = plural_category(count if count is not None else 0, locale)
        value = value.get(category) or value.get("other") or next(iter(value.values()))
    if count is not None:
        params.setdefault("count", format_number(count, locale))
    text = str(value)
    if params:
        text = _PLACEHOLDER.sub(lambda m: str(params.get(m.group(1), m.group(0))), text)
    return text


def has_key(key: str, locale: str) -> bool:
    return _lookup(key, locale) is not None


def format_number(value: float, locale: str | None = None) -> str:
    return _babel_decimal(value, locale=babel_locale(locale or current_locale.get()))


def format_money(amount_minor: int, currency: str, locale: str | None = None) -> str:
    """``format_money(123450, "EUR", "de")`` → ``1.234,50 €``."""
    precision = get_currency_precision(currency)
    value = amount_minor / (10**precision) if precision else amount_minor
    return _babel_currency(value, currency, locale=babel_locale(locale or current_locale.get()))


def _zone(tz: str | tzinfo | None) -> tzinfo:
    if tz is None:
        return ZoneInfo("UTC")
    if isinstance(tz, str):
        try:
            return ZoneInfo(tz)
        except (KeyError, ValueError):
            return ZoneInfo("UTC")
    return tz


def format_datetime(
    value: datetime, locale: str | None = None, tz: str | tzinfo | None = None, fmt: str = "medium"
) -> str:
    return _babel_datetime(
        value, format=fmt, tzinfo=_zone(tz), locale=babel_locale(locale or current_locale.get())
    )


def format_date(
    value: datetime, locale: str | None = None, tz: str | tzinfo | None = None, fmt: str = "medium"
) -> str:
    local = value.astimezone(_zone(tz)) if value.tzinfo else value
    return _babel_date(local, format=fmt, locale=babel_locale(locale or current_locale.get()))
