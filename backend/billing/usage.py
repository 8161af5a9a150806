"""Usage counters, checked and incremented in one conditional SQL statement.

``UPDATE … SET used = used + n WHERE … AND used + n <= limit RETURNING used`` either takes the
quota or changes nothing: fifty concurrent requests against a quota of ten start exactly ten, on
PostgreSQL and SQLite alike, with no lock held across a round trip.

Monthly meters (AI generations, API calls) count per calendar month in UTC. Gauges (storage) are
running totals that the owning domain reports with ``set_level``; they decide ``read_only``. API
calls, being on the hottest path, are counted in Redis by a Lua script (``admit_api_call``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from backend.billing.entitlements import GAUGE_PERIOD, Entitlements, compute
from backend.billing.errors import LimitReached
from backend.billing.plans import UNLIMITED
from backend.billing.tables import UsageCounter
from backend.core import clock
from backend.core.redis import key, redis_client


@dataclass(frozen=True, slots=True)
class Meter:
    metric: str
    limit: str  # the plan limit it is measured against
    monthly: bool


METERS: dict[str, Meter] = {
    "ai_generations": Meter("ai_generations", "ai_generations_per_month", monthly=True),
    "api_calls": Meter("api_calls", "api_calls_per_month", monthly=True),
    "storage_bytes": Meter("storage_bytes", "storage_bytes", monthly=False),
}


@dataclass(frozen=True, slots=True)
class Usage:
    metric: str
    limit_name: str
    used: int
    limit: int  # UNLIMITED (-1) for no limit
    resets_at: datetime | None

    @property
    def fraction(self) -> float:
        if self.limit == UNLIMITED:
            return 0.0
        if self.limit <= 0:
            return 1.0 if self.used > 0 else 0.0
        return self.used / self.limit

    @property
    def remaining(self) -> int | None:
        return None if self.limit == UNLIMITED else max(0, self.limit - self.used)


def period_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def next_period_start(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def subject_of(user_id: int) -> str:
    return f"user:{user_id}"


def _meter(metric: str) -> Meter:
    try:
        return METERS[metric]
    except KeyError:
        raise ValueError(f"unknown meter {metric!r}") from None


async def _add(subject: str, metric: str, period: str, amount: int, limit: int) -> int | None:
    """Add ``amount`` if it fits under ``limit``; the new total, or ``None`` when it doesn't fit."""
    now = clock.now()
    for _ in range(2):
        if limit == UNLIMITED:
            rows = await UsageCounter.raw(
                "UPDATE billing_usage SET used = used + {}, updated_at = {} "
                "WHERE subject = {} AND metric = {} AND period = {} RETURNING used",
                amount,
                now,
                subject,
                metric,
                period,
            )
        else:
            rows = await UsageCounter.raw(
                "UPDATE billing_usage SET used = used + {}, updated_at = {} "
                "WHERE subject = {} AND metric = {} AND period = {} AND used + {} <= {} RETURNING used",
                amount,
                now,
                subject,
                metric,
                period,
                amount,
                limit,
            )
        if rows:
            return int(rows[0]["used"])
        created = (
            await UsageCounter.insert(
                UsageCounter(subject=subject, metric=metric, period=period, used=0, updated_at=now)
            )
            .on_conflict(action="DO NOTHING")
            .returning(UsageCounter.id)
        )
        if not created:
            return None  # the row exists, so the condition refused: over the limit
    return None


async def consume(
    user_id: int, metric: str, amount: int = 1, *, entitlements: Entitlements | None = None
) -> Usage:
    """Take ``amount`` of the user's quota for ``metric`` or raise ``LimitReached`` (nothing taken)."""
    if amount <= 0:
        raise ValueError("amount must be positive")
    meter = _meter(metric)
    ent = entitlements or await compute(user_id)
    limit = ent.limit(meter.limit)
    now = clock.now()
    period = period_of(now) if meter.monthly else GAUGE_PERIOD
    used = await _add(subject_of(user_id), metric, period, amount, limit)
    if used is None:
        upgrade = ent.upgrade_for(limit=meter.limit, needed=limit + amount if limit != UNLIMITED else 0)
        raise LimitReached(meter.limit, limit, upgrade.code if upgrade else None)
    return Usage(metric, meter.limit, used, limit, next_period_start(now) if meter.monthly else None)


async def release(user_id: int, metric: str, amount: int = 1) -> None:
    """Give quota back (a generation that failed, a file deleted); never below zero."""
    if amount <= 0:
        return
    meter = _meter(metric)
    now = clock.now()
    period = period_of(now) if meter.monthly else GAUGE_PERIOD
    await UsageCounter.raw(
        "UPDATE billing_usage SET used = CASE WHEN used > {} THEN used - {} ELSE 0 END, updated_at = {} "
        "WHERE subject = {} AND metric = {} AND period = {}",
        amount,
        amount,
        now,
        subject_of(user_id),
        metric,
        period,
    )


async def set_level(user_id: int, metric: str, value: int) -> None:
    """Report a running total (bytes stored) measured by the domain that owns it."""
    meter = _meter(metric)
    if meter.monthly:
        raise ValueError(f"{metric} is counted per month, not reported as a level")
    now = clock.now()
    subject = subject_of(user_id)
    await UsageCounter.insert(
        UsageCounter(subject=subject, metric=metric, period=GAUGE_PERIOD, used=max(0, value), updated_at=now)
    ).on_conflict(
        target=(UsageCounter.subject, UsageCounter.metric, UsageCounter.period),
        action="DO UPDATE",
        values=[UsageCounter.used, UsageCounter.updated_at],
    )


async def usage(user_id: int, entitlements: Entitlements | None = None) -> list[Usage]:
    ent = entitlements or await compute(user_id)
    now = clock.now()
    month = period_of(now)
    rows = {
        (r["metric"], r["period"]): int(r["used"])
        for r in await UsageCounter.select(UsageCounter.metric, UsageCounter.period, UsageCounter.used).where(
            UsageCounter.subject == subject_of(user_id), UsageCounter.period.is_in([month, GAUGE_PERIOD])
        )
    }
    rows[("api_calls", month)] = rows.get(("api_calls", month), 0) + await api_calls_this_month(user_id)
    out = []
    for meter in METERS.values():
        period = month if meter.monthly else GAUGE_PERIOD
        out.append(
            Usage(
                meter.metric,
                meter.limit,
                rows.get((meter.metric, period), 0),
                ent.limit(meter.limit),
                next_period_start(now) if meter.monthly else None,
            )
        )
    return out


# API calls are counted in Redis, never a database write. The API's admission check is one atomic
# round trip: the key's requests this minute (its plan's rate limit), then this month's allowance
# (a limit of -1 is unlimited). Returns {allowed this minute, seconds to the minute's reset, calls
# this month or -1 when the allowance is used up}.
_ADMIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
local rate = tonumber(ARGV[2])
if rate >= 0 and n > rate then return {0, ttl, 0} end
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
local limit = tonumber(ARGV[3])
if limit >= 0 and used + 1 > limit then return {1, ttl, -1} end
used = redis.call('INCR', KEYS[2])
if used == 1 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
return {1, ttl, used}
"""
_admit_script: Any = None


@dataclass(frozen=True, slots=True)
class Admission:
    allowed: bool
    retry_after: int
    allowance_used_up: bool


async def admit_api_call(
    user_id: int, key_id: int, entitlements: Entitlements, per_minute: int | None = None
) -> Admission:
    """Count one API-key request against its plan's per-minute limit and monthly allowance."""
    global _admit_script
    client = redis_client()
    if _admit_script is None:
        _admit_script = client.register_script(_ADMIT)
    now = clock.now()
    month_ttl = int((next_period_start(now) - now).total_seconds()) + 7 * 86400
    limit = per_minute or entitlements.limit("api_requests_per_minute")
    allowed, ttl, used = await _admit_script(
        keys=[key("rl", f"api:key:{key_id}"), _api_key(user_id, now)],
        args=[60, limit, entitlements.limit("api_calls_per_month"), month_ttl],
        client=client,
    )
    return Admission(allowed=bool(allowed), retry_after=max(int(ttl), 1), allowance_used_up=int(used) < 0)


def _api_key(user_id: int, moment: datetime) -> str:
    return key("billing", "api_calls", user_id, period_of(moment))


async def api_calls_this_month(user_id: int) -> int:
    raw = await redis_client().get(_api_key(user_id, clock.now()))
    return int(raw or 0)


def as_dict(item: Usage) -> dict[str, Any]:
    return {
        "metric": item.metric,
        "limit_name": item.limit_name,
        "used": item.used,
        "limit": item.limit,
        "resets_at": item.resets_at,
        "fraction": item.fraction,
    }
