"""Billing use cases. ``entitlements(user_id)`` is the one lookup every domain calls.

Until subscriptions exist, everyone is on Free except the seeded demo creator, who is on
Professional so the whole studio can be tried on a laptop.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.accounts import services as accounts
from backend.billing.plans import FREE, PLANS, PROFESSIONAL, Plan

DEMO_PROFESSIONAL_EMAILS = frozenset({"creator@demo.cadenza.local"})


@dataclass(frozen=True, slots=True)
class Entitlements:
    plan: Plan
    read_only: bool = False  # over the limits of a plan that was downgraded

    def has(self, feature: str) -> bool:
        return feature in self.plan.features

    def limit(self, name: str) -> int:
        return self.plan.limit(name)


async def entitlements(user_id: int) -> Entitlements:
    user = await accounts.get_user(user_id)
    if user is not None and user["email"] in DEMO_PROFESSIONAL_EMAILS:
        return Entitlements(plan=PROFESSIONAL)
    return Entitlements(plan=FREE)


def plan(code: str) -> Plan:
    return PLANS[code]
