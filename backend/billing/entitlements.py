"""What a user may do: the best plan among their own subscription and the Enterprise
subscriptions of organizations that give them a seat.

A subscription counts while it is active — or past due but still inside its grace period, so a
failed payment loses nothing for seven days. After that the user is on Free: every file and project
stays, and whatever is over Free's limits becomes read-only (``over_limit``), never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backend.accounts import services as accounts
from backend.billing import queries
from backend.billing.plans import FREE, PLANS, UNLIMITED, Plan, plan_for_feature, plan_for_limit
from backend.billing.tables import UsageCounter
from backend.core import clock
from backend.core.actor import Actor

GAUGE_PERIOD = "-"


@dataclass(frozen=True, slots=True)
class Entitlements:
    plan: Plan
    # The account holds more than its plan allows (after a downgrade): keep everything, add nothing.
    read_only: bool = False
    source: str = "free"  # "own", "organization" or "free"
    organization_id: int | None = None
    status: str = ""  # the deciding subscription's status
    grace_until: datetime | None = None  # set while a failed payment is being retried
    over: frozenset[str] = field(default_factory=frozenset)  # limits currently exceeded

    def has(self, feature: str) -> bool:
        return feature in self.plan.features

    def limit(self, name: str) -> int:
        return self.plan.limit(name)

    def allows(self, name: str, value: int) -> bool:
        return self.plan.allows(name, value)

    def over_limit(self, name: str, value: int) -> bool:
        """True when ``value`` exceeds the plan's limit ``name``: that thing is read-only now.

        The studio asks ``over_limit("tracks_per_project", len(tracks))`` to open a project that a
        downgrade left with too many tracks read-only, instead of refusing or trimming it.
        """
        return not self.plan.allows(name, value)

    @property
    def in_grace(self) -> bool:
        return self.grace_until is not None

    def upgrade_for(
        self, *, feature: str | None = None, limit: str | None = None, needed: int = 0
    ) -> Plan | None:
        """The cheapest plan above this one that has ``feature`` or reaches ``needed`` of ``limit``."""
        if feature:
            return plan_for_feature(feature, self.plan)
        if limit:
            return plan_for_limit(limit, needed, self.plan)
        return None


FREE_ENTITLEMENTS = Entitlements(plan=FREE)


def counts(sub: dict[str, Any], now: datetime) -> bool:
    """Does this subscription grant its plan right now?"""
    if sub["status"] in ("active", "trialing"):
        return True
    if sub["status"] in ("past_due", "unpaid"):
        grace = sub["grace_until"]
        return grace is None or clock.as_utc(grace) >= now
    return False


async def compute(user_id: int) -> Entitlements:
    now = clock.now()
    actor = await _actor(user_id)
    org_ids = await _organization_ids(actor) if actor is not None else []
    best: Entitlements = FREE_ENTITLEMENTS
    for sub in await queries.live_subscriptions_of(user_id, org_ids):
        plan = PLANS.get(sub["plan"])
        if plan is None or not counts(sub, now):
            continue
        if sub["organization_id"] is not None and (actor is None or not await _has_seat(actor, sub)):
            continue
        if plan.rank > best.plan.rank:
            in_grace = sub["status"] in ("past_due", "unpaid")
            best = Entitlements(
                plan=plan,
                source="organization" if sub["organization_id"] is not None else "own",
                organization_id=sub["organization_id"],
                status=sub["status"],
                grace_until=clock.as_utc(sub["grace_until"]) if in_grace and sub["grace_until"] else None,
            )
    over = await _gauges_over(user_id, best.plan)
    if over:
        best = Entitlements(
            plan=best.plan,
            read_only=True,
            source=best.source,
            organization_id=best.organization_id,
            status=best.status,
            grace_until=best.grace_until,
            over=frozenset(over),
        )
    return best


async def _organization_ids(actor: Actor) -> list[int]:
    page = await accounts.my_organizations(actor, 100, None)
    return [m["organization"] for m in page.items]


async def _actor(user_id: int) -> Actor | None:
    row = await accounts.get_user(user_id)
    return Actor.from_user_row(row) if row else None


async def _has_seat(member: Actor, sub: dict[str, Any]) -> bool:
    members = await seated_members(member, sub["organization_id"], int(sub["seats"] or 0))
    return member.user_id in members


async def seated_members(viewer: Actor, organization_id: int, seats: int) -> list[int]:
    """Seats go to members in the order they joined, owners first, up to the seats paid for.

    ``viewer`` is a member (or the organization's admin) reading the list on its behalf.
    """
    if seats <= 0:
        return []
    members: list[dict[str, Any]] = []
    after = None
    while True:  # owners may have joined late: read everyone, a page of 100 at a time
        page = await accounts.organization_members(viewer, organization_id, 100, after)
        members.extend(page.items)
        if not page.has_next or len(members) >= 5000:
            break
        after = page.cursors[-1]
    ordered = sorted(members, key=lambda m: (m["role"] != "owner", m["id"]))
    return [m["user"] for m in ordered][:seats]


async def _gauges_over(user_id: int, plan: Plan) -> list[str]:
    """Running totals reported by other domains (storage) that exceed the plan's limits."""
    rows = await UsageCounter.select(UsageCounter.metric, UsageCounter.used).where(
        UsageCounter.subject == f"user:{user_id}", UsageCounter.period == GAUGE_PERIOD
    )
    over = []
    for row in rows:
        limit = plan.limits.get(row["metric"])
        if limit is not None and limit != UNLIMITED and int(row["used"]) > limit:
            over.append(row["metric"])
    return over
