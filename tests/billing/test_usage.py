"""Usage counters: checked and incremented in one statement, so concurrency never beats a limit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from backend.billing import services as billing
from backend.billing.errors import LimitReached
from backend.billing.plans import GB
from backend.billing.tables import UsageCounter
from backend.core import clock
from tests.fixtures import actor_of


async def test_fifty_simultaneous_generations_against_a_quota_of_ten_start_exactly_ten(make_user):
    user = await make_user("quota@example.com")
    assert (await billing.entitlements(user["id"])).limit("ai_generations_per_month") == 10

    async def generate() -> bool:
        try:
            await billing.consume(user["id"], "ai_generations")
            return True
        except LimitReached:
            return False

    started = await asyncio.gather(*(generate() for _ in range(50)))
    assert started.count(True) == 10
    assert started.count(False) == 40
    rows = await UsageCounter.select().where(UsageCounter.metric == "ai_generations")
    assert len(rows) == 1 and rows[0]["used"] == 10


async def test_a_refusal_names_the_limit_and_the_plan_that_lifts_it_in_the_users_language(make_user):
    from backend.core.i18n import current_locale, t

    user = await make_user("limit@example.com")
    for _ in range(10):
        await billing.consume(user["id"], "ai_generations")
    token = current_locale.set("de")
    try:
        with pytest.raises(LimitReached) as refused:
            await billing.consume(user["id"], "ai_generations")
    finally:
        current_locale.reset(token)
    assert refused.value.code == "LIMIT_REACHED"
    assert refused.value.upgrade_to == "creator"
    message = t(refused.value.key, "de", **refused.value.params)
    assert "KI-Generierungen im Monat" in message and "10" in message


async def test_quota_given_back_and_a_new_month_starts_afresh(make_user):
    user = await make_user("months@example.com")
    for _ in range(10):
        await billing.consume(user["id"], "ai_generations")
    await billing.release(user["id"], "ai_generations")
    await billing.consume(user["id"], "ai_generations")  # the one given back
    with pytest.raises(LimitReached):
        await billing.consume(user["id"], "ai_generations")
    now = clock.now()
    next_month = datetime(now.year + (now.month == 12), now.month % 12 + 1, 2, tzinfo=UTC)
    clock.set_clock(lambda: next_month)
    try:
        usage = await billing.consume(user["id"], "ai_generations")
        assert usage.used == 1 and usage.limit == 10
        assert usage.resets_at is not None and usage.resets_at > next_month
    finally:
        clock.set_clock(None)


async def test_reported_storage_over_the_plan_makes_the_account_read_only_without_losing_anything(make_user):
    user = await make_user("storage@example.com")
    await billing.set_level(user["id"], "storage_bytes", 1 * GB)
    ent = await billing.entitlements(user["id"])
    assert not ent.read_only
    await billing.set_level(user["id"], "storage_bytes", 3 * GB)  # Free holds 2 GB
    ent = await billing.entitlements(user["id"])
    assert ent.read_only and "storage_bytes" in ent.over
    with pytest.raises(LimitReached):
        await billing.consume(user["id"], "storage_bytes", 1)
    await billing.set_level(user["id"], "storage_bytes", 1 * GB)
    assert not (await billing.entitlements(user["id"])).read_only


async def test_check_limit_and_require_feature_refuse_with_the_upgrade(make_user):
    from backend.billing.errors import FeatureNotInPlan

    user = await make_user("gates@example.com")
    await billing.check_limit(user["id"], "tracks_per_project", 16)
    with pytest.raises(LimitReached) as over:
        await billing.check_limit(user["id"], "tracks_per_project", 17)
    assert over.value.upgrade_to == "creator"
    with pytest.raises(FeatureNotInPlan) as missing:
        await billing.require_feature(user["id"], "collaboration")
    assert missing.value.upgrade_to == "professional" and missing.value.code == "FEATURE_NOT_IN_PLAN"


async def test_api_calls_are_counted_atomically_in_redis_and_shown_as_usage(make_user):
    import dataclasses
    from types import MappingProxyType

    from backend.billing.entitlements import Entitlements
    from backend.billing.plans import FREE
    from backend.billing.usage import admit_api_call

    user = await make_user("api@example.com")
    tight = Entitlements(
        plan=dataclasses.replace(FREE, limits=MappingProxyType({**FREE.limits, "api_calls_per_month": 10}))
    )
    answers = await asyncio.gather(
        *(admit_api_call(user["id"], 1, tight, per_minute=1000) for _ in range(50))
    )
    taken = [a.allowed and not a.allowance_used_up for a in answers]
    assert taken.count(True) == 10
    meters = {u.metric: u for u in await billing.usage_of(actor_of(user))}
    assert meters["api_calls"].used == 10 and meters["api_calls"].limit == 10_000
