"""Plan gates and the monthly generation quota, all through billing.

Billing's atomic usage counters (``consume`` / ``release``) and its upgrade-carrying refusals
(``require_feature`` / ``LimitReached``) are used when billing offers them; until then these
functions fall back on ``entitlements()`` and a count of this month's outputs (not atomic under
concurrent requests: the one place to switch over is here).
"""

from __future__ import annotations

from datetime import UTC, datetime

from backend.billing import services as billing
from backend.core import clock
from backend.core.errors import DomainError
from backend.intelligence import queries

METRIC = "ai_generations"


class UpgradeRequired(DomainError):
    """A plan limit, with the upgrade a page should offer (shown as a prompt, never a bare error)."""

    def __init__(self, key: str, *, field: str | None = None, **params: object) -> None:
        super().__init__(key, field=field, **params)


async def require_feature(user_id: int, feature: str, *, field: str | None = None) -> None:
    native = getattr(billing, "require_feature", None)
    if native is not None:
        await native(user_id, feature, field=field)
        return
    if not (await billing.entitlements(user_id)).has(feature):
        raise UpgradeRequired(f"intelligence.upgrade.{feature}", field=field)


async def limit(user_id: int, name: str) -> int:
    return int((await billing.entitlements(user_id)).limit(name))


async def check_bars(user_id: int, bars: int) -> None:
    allowed = await limit(user_id, "ai_max_bars")
    if allowed >= 0 and bars > allowed:
        native = getattr(billing, "check_limit", None)
        if native is not None:
            await native(user_id, "ai_max_bars", bars, field="bars")
        raise UpgradeRequired("intelligence.upgrade.ai_max_bars", field="bars", max=allowed)


async def take_generation(user_id: int) -> None:
    """Count one generation against this month's quota, or refuse with an upgrade prompt."""
    consume = getattr(billing, "consume", None)
    if consume is not None:
        await consume(user_id, METRIC, 1)
        return
    allowed = await limit(user_id, "ai_generations_per_month")
    now = clock.now()
    month_start = datetime(now.year, now.month, 1, tzinfo=UTC)
    if allowed >= 0 and await queries.generations_since(user_id, month_start) >= allowed:
        raise UpgradeRequired("intelligence.upgrade.ai_generations_per_month", max=allowed)


async def give_back(user_id: int) -> None:
    """A generation that failed does not count."""
    release = getattr(billing, "release", None)
    if release is not None:
        await release(user_id, METRIC, 1)
