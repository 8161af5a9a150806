"""What depends on where the customer is: the currency shown, how tax is explained, and the
payment methods Checkout offers (cards everywhere; local methods where people use them)."""

from __future__ import annotations

from backend.billing.plans import CURRENCIES, TAX_INCLUSIVE

CURRENCY_BY_REGION = {"eu": "EUR", "us": "USD", "br": "BRL", "jp": "JPY"}
CURRENCY_BY_LOCALE = {"en": "USD", "es": "EUR", "pt-BR": "BRL", "de": "EUR", "ja": "JPY"}

# Checkout's payment methods per region; each is offered only where its currency matches.
PAYMENT_METHODS = {
    "eu": ("card", "sepa_debit", "ideal", "bancontact"),
    "us": ("card",),
    "br": ("card", "pix", "boleto"),
    "jp": ("card", "konbini"),
}
METHOD_CURRENCIES = {
    "card": None,
    "sepa_debit": "EUR",
    "ideal": "EUR",
    "bancontact": "EUR",
    "pix": "BRL",
    "boleto": "BRL",
    "konbini": "JPY",
}

# Stripe Checkout's locale codes for ours.
CHECKOUT_LOCALES = {"en": "en", "es": "es", "pt-BR": "pt-BR", "de": "de", "ja": "ja"}


def currency_for(region: str | None, locale: str | None, requested: str | None = None) -> str:
    """The currency to show: what was asked for, else the region's, else the language's, else USD."""
    if requested and requested.upper() in CURRENCIES:
        return requested.upper()
    if region in CURRENCY_BY_REGION:
        return CURRENCY_BY_REGION[region]
    return CURRENCY_BY_LOCALE.get(locale or "", "USD")


def payment_methods(region: str, currency: str) -> list[str]:
    methods = PAYMENT_METHODS.get(region, ("card",))
    return [m for m in methods if METHOD_CURRENCIES[m] in (None, currency.upper())]


def tax_inclusive(currency: str) -> bool:
    return TAX_INCLUSIVE.get(currency.upper(), False)
