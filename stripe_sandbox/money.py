"""Amounts, taxes, payment methods and periods as the sandbox computes them."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

# Payment method types the hosted checkout offers, and the currencies each one accepts.
PAYMENT_METHOD_CURRENCIES: dict[str, frozenset[str] | None] = {
    "card": None,  # every currency
    "sepa_debit": frozenset({"eur"}),
    "ideal": frozenset({"eur"}),
    "bancontact": frozenset({"eur"}),
    "pix": frozenset({"brl"}),
    "boleto": frozenset({"brl"}),
    "konbini": frozenset({"jpy"}),
}

# Where an automatic-tax customer without an address is assumed to be, by currency, and the rate
# the sandbox charges there. Stripe computes real rates from the address; this is a stand-in.
TAX_BY_CURRENCY: dict[str, tuple[str, float]] = {
    "eur": ("DE", 0.19),
    "gbp": ("GB", 0.20),
    "brl": ("BR", 0.0),
    "jpy": ("JP", 0.10),
    "usd": ("US", 0.0),
}

ZERO_DECIMAL = frozenset({"jpy", "krw", "vnd", "clp", "pyg", "xof", "xaf", "ugx"})


def accepts(method: str, currency: str) -> bool:
    allowed = PAYMENT_METHOD_CURRENCIES.get(method, frozenset())
    return allowed is None or currency.lower() in allowed


def tax_for(amount: int, currency: str, behavior: str, enabled: bool) -> tuple[int, int, float]:
    """(tax, total, rate) for ``amount`` of a price with ``tax_behavior``."""
    if not enabled:
        return 0, amount, 0.0
    _, rate = TAX_BY_CURRENCY.get(currency.lower(), ("US", 0.0))
    if behavior == "inclusive":
        tax = round(amount * rate / (1 + rate))
        return tax, amount, rate
    tax = round(amount * rate)
    return tax, amount + tax, rate


def add_interval(timestamp: int, interval: str, count: int = 1) -> int:
    """Stripe-like calendar arithmetic: a month after 31 January is the end of February."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    if interval == "day":
        return timestamp + 86400 * count
    if interval == "week":
        return timestamp + 7 * 86400 * count
    months = count * (12 if interval == "year" else 1)
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def format_amount(amount: int, currency: str) -> str:
    if currency.lower() in ZERO_DECIMAL:
        return f"{amount:,} {currency.upper()}"
    return f"{amount / 100:,.2f} {currency.upper()}"
