"""The plans: every feature and limit Cadenza sells, in one table of data.

The whole code base reads limits through ``entitlements()`` in ``services.py``; nothing checks a plan
name. Prices are per currency, set here, never converted on the fly (minor units: cents, yen).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

GB = 1024**3
UNLIMITED = -1


@dataclass(frozen=True, slots=True)
class Plan:
    code: str
    rank: int
    # monthly price per currency in minor units; annual is ten times monthly
    monthly: MappingProxyType[str, int]
    features: frozenset[str]
    limits: MappingProxyType[str, int]

    def annual(self, currency: str) -> int:
        return self.monthly[currency] * 10

    def limit(self, name: str) -> int:
        return self.limits[name]


def _plan(code: str, rank: int, monthly: dict[str, int], features: set[str], limits: dict[str, Any]) -> Plan:
    return Plan(code, rank, MappingProxyType(monthly), frozenset(features), MappingProxyType(limits))


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
        "seats": 1,
    },
)
CREATOR = _plan(
    "creator",
    1,
    {"USD": 999, "EUR": 999, "GBP": 899, "BRL": 4990, "JPY": 1500},
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
        "seats": 1,
    },
)
PROFESSIONAL = _plan(
    "professional",
    2,
    {"USD": 2999, "EUR": 2999, "GBP": 2599, "BRL": 14990, "JPY": 4500},
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
        "seats": 1,
    },
)
ENTERPRISE = _plan(
    "enterprise",
    3,
    {"USD": 9999, "EUR": 9999, "GBP": 8999, "BRL": 49990, "JPY": 15000},
    set(PROFESSIONAL.features) | {"organizations", "white_label", "api_access", "dedicated_support"},
    {
        "tracks_per_project": 64,
        "storage_bytes": 2000 * GB,
        "ai_generations_per_month": 5000,
        "ai_max_bars": 128,
        "export_max_sample_rate": 96000,
        "export_max_bit_depth": 32,
        "api_requests_per_minute": 3000,
        "seats": 5,
    },
)

PLANS: MappingProxyType[str, Plan] = MappingProxyType(
    {p.code: p for p in (FREE, CREATOR, PROFESSIONAL, ENTERPRISE)}
)
CURRENCIES = ("USD", "EUR", "GBP", "BRL", "JPY")
