"""The plans: every feature and limit Cadenza sells, in one table of data.

The whole code base reads limits through ``entitlements()`` in ``services.py``; nothing checks a plan
name. Prices are set per currency here, never converted on the fly (minor units: cents, yen). They
are regional list prices: the EUR, GBP, BRL and JPY prices include VAT (as consumers there expect
to see), the USD price is before sales tax; BRL is set for Brazilian purchasing power rather than
the exchange rate. Annual billing is ten times the monthly price (two months free).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

GB = 1024**3
UNLIMITED = -1

CURRENCIES = ("USD", "EUR", "GBP", "BRL", "JPY")
INTERVALS = ("month", "year")
# How a price is shown and how Stripe Tax treats it: VAT-inclusive except the US's sales tax.
TAX_INCLUSIVE = MappingProxyType({"USD": False, "EUR": True, "GBP": True, "BRL": True, "JPY": True})


@dataclass(frozen=True, slots=True)
class Plan:
    code: str
    rank: int
    # monthly price per currency in minor units; annual is ten times monthly
    monthly: MappingProxyType[str, int]
    features: frozenset[str]
    limits: MappingProxyType[str, int]
    # Sold per seat to organizations (the subscription's quantity is the number of seats).
    per_seat: bool = False

    @property
    def paid(self) -> bool:
        return any(self.monthly.values())

    def annual(self, currency: str) -> int:
        return self.monthly[currency] * 10

    def price(self, currency: str, interval: str) -> int:
        return self.annual(currency) if interval == "year" else self.monthly[currency]

    def limit(self, name: str) -> int:
        return self.limits[name]

    def allows(self, name: str, value: int) -> bool:
        """True when ``value`` is within the limit ``name`` (``UNLIMITED`` allows everything)."""
        limit = self.limits[name]
        return limit == UNLIMITED or value <= limit


def _plan(
    code: str,
    rank: int,
    monthly: dict[str, int],
    features: set[str],
    limits: dict[str, Any],
    *,
    per_seat: bool = False,
) -> Plan:
    return Plan(
        code, rank, MappingProxyType(monthly), frozenset(features), MappingProxyType(limits), per_seat
    )


FREE = _plan(
    "free",
    0,
    {"USD": 0, "EUR": 0, "GBP": 0, "BRL": 0, "JPY": 0},
    {"public_sharing", "ai_generation"},
    {
        "tracks_per_project": 16,
        "storage_bytes": 2 * GB,
        "ai_generations_per_month": 10,
        "ai_max_bars": 16,
        "export_max_sample_rate": 48000,
        "export_max_bit_depth": 16,
        "api_requests_per_minute": 60,
        "api_calls_per_month": 10_000,
        "seats": 1,
    },
)
CREATOR = _plan(
    "creator",
    1,
    {"USD": 999, "EUR": 999, "GBP": 899, "BRL": 2990, "JPY": 1500},
    {
        "public_sharing",
        "ai_generation",
        "ai_advanced",
        "ai_restyle",
        "ai_stems",
        "commercial_rights",
        "analytics",
        "export_flac",
        "export_hires",
    },
    {
        "tracks_per_project": 32,
        "storage_bytes": 50 * GB,
        "ai_generations_per_month": 200,
        "ai_max_bars": 64,
        "export_max_sample_rate": 96000,
        "export_max_bit_depth": 24,
        "api_requests_per_minute": 300,
        "api_calls_per_month": 100_000,
        "seats": 1,
    },
)
PROFESSIONAL = _plan(
    "professional",
    2,
    {"USD": 2999, "EUR": 2999, "GBP": 2599, "BRL": 8990, "JPY": 4500},
    set(CREATOR.features)
    | {"collaboration", "personal_models", "export_stems", "export_dawproject", "priority_support"},
    {
        "tracks_per_project": 64,
        "storage_bytes": 500 * GB,
        "ai_generations_per_month": 1000,
        "ai_max_bars": 128,
        "export_max_sample_rate": 96000,
        "export_max_bit_depth": 32,
        "api_requests_per_minute": 600,
        "api_calls_per_month": 500_000,
        "seats": 1,
    },
)
ENTERPRISE = _plan(
    "enterprise",
    3,
    {"USD": 9999, "EUR": 9999, "GBP": 8999, "BRL": 29990, "JPY": 15000},
    set(PROFESSIONAL.features) | {"organizations", "white_label", "api_access", "dedicated_support"},
    {
        "tracks_per_project": 64,
        "storage_bytes": 2000 * GB,
        "ai_generations_per_month": 5000,
        "ai_max_bars": 128,
        "export_max_sample_rate": 96000,
        "export_max_bit_depth": 32,
        "api_requests_per_minute": 3000,
        "api_calls_per_month": UNLIMITED,
        "seats": 100,  # the most seats one subscription may carry
    },
    per_seat=True,
)

PLANS: MappingProxyType[str, Plan] = MappingProxyType(
    {p.code: p for p in (FREE, CREATOR, PROFESSIONAL, ENTERPRISE)}
)
BY_RANK: tuple[Plan, ...] = tuple(sorted(PLANS.values(), key=lambda p: p.rank))

# Features in the order the comparison table lists them, and limits likewise.
FEATURE_ORDER = (
    "ai_generation",
    "public_sharing",
    "ai_advanced",
    "ai_restyle",
    "ai_stems",
    "commercial_rights",
    "analytics",
    "export_hires",
    "export_flac",
    "collaboration",
    "personal_models",
    "export_stems",
    "export_dawproject",
    "priority_support",
    "organizations",
    "white_label",
    "api_access",
    "dedicated_support",
)
LIMIT_ORDER = (
    "tracks_per_project",
    "storage_bytes",
    "ai_generations_per_month",
    "ai_max_bars",
    "export_max_sample_rate",
    "export_max_bit_depth",
    "api_requests_per_minute",
    "api_calls_per_month",
)


def plan_for_feature(feature: str, above: Plan = FREE) -> Plan | None:
    """The cheapest plan above ``above`` that includes ``feature``."""
    return next((p for p in BY_RANK if p.rank > above.rank and feature in p.features), None)


def plan_for_limit(name: str, needed: int, above: Plan = FREE) -> Plan | None:
    """The cheapest plan above ``above`` whose limit ``name`` reaches ``needed``."""
    return next((p for p in BY_RANK if p.rank > above.rank and p.allows(name, needed)), None)


def lookup_key(plan: Plan, interval: str, currency: str) -> str:
    """How a price is found again at Stripe, whoever created it: ``cadenza_creator_month_eur``."""
    return f"cadenza_{plan.code}_{interval}_{currency.lower()}"
