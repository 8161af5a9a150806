"""Stripe delivers in bursts, sometimes twice, sometimes all at once: every signed delivery is
answered 200 only once it is stored, each event is stored once with one job, and a forged or broken
delivery in the middle of a burst fails alone."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from backend.billing import services as billing
from backend.billing import webhook_inbox
from backend.billing.tables import WebhookEvent
from backend.core import jobs
from backend.core.redis import redis_client
from backend.core.settings import get_settings
from backend.core.tables import Job
from stripe_sandbox.webhooks import sign
from tests.billing.conftest import WEBHOOK_SECRET
from tests.fixtures import settings_override


@pytest.fixture(autouse=True)
def webhook_secret() -> Any:
    with settings_override(stripe__webhook_secret=WEBHOOK_SECRET):
        yield


def event(kind: str = "customer.subscription.updated", **fields: Any) -> bytes:
    body = {
        "id": f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": {"id": f"sub_{secrets.token_hex(6)}", "object": "subscription"}},
        **fields,
    }
    return json.dumps(body, separators=(",", ":")).encode()


async def post(client: httpx.AsyncClient, payload: bytes, secret: str = WEBHOOK_SECRET) -> httpx.Response:
    return await client.post(
        "/webhooks/stripe",
        content=payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload, secret)},
    )


def event_id(payload: bytes) -> str:
    return str(json.loads(payload)["id"])


@contextlib.asynccontextmanager
async def table_locked() -> AsyncIterator[None]:
    """Another session holds the events table, so deliveries pile up in the inbox until we let go:
    a burst arrives while a batch is being written, as it does under load."""
    conn = await asyncpg.connect(get_settings().database.url)
    try:
        async with conn.transaction():
            await conn.execute("LOCK TABLE billing_webhook_event IN EXCLUSIVE MODE")
            yield
    finally:
        await conn.close()


async def all_handed_in(count: int) -> None:
    for _ in range(500):
        if webhook_inbox.inbox().waiting == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{webhook_inbox.inbox().waiting} deliveries waiting, expected {count}")


async def queued_in_redis(job_ids: set[str]) -> set[str]:
    """The job ids the money workers would find in their queue (waiting for the dispatch a moment)."""
    queue = jobs.queue_name("money")
    found: set[str] = set()
    for _ in range(200):
        members = await redis_client().zrange(queue, 0, -1)
        found = {m.decode() if isinstance(m, bytes) else m for m in members}
        if job_ids <= found:
            break
        await asyncio.sleep(0.01)
    return found


async def stored() -> dict[str, str]:
    rows = await WebhookEvent.select(WebhookEvent.stripe_id, WebhookEvent.status)
    return {r["stripe_id"]: r["status"] for r in rows}


async def jobs_by_event() -> dict[str, list[str]]:
    rows = await Job.select(Job.public_id, Job.subject).where(Job.kind == "billing.process_event")
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row["subject"], []).append(row["public_id"])
    return out


async def test_a_burst_with_duplicates_stores_each_event_once_with_one_job(client):
    distinct = [event() for _ in range(30)] + [event("customer.created")]  # the last one is not ours
    # Each event up to three times, the copies spread through the burst.
    burst = distinct + distinct[:20] + distinct[:10]
    async with table_locked():
        sending = asyncio.gather(*(post(client, payload) for payload in burst))
        await all_handed_in(len(burst))
    responses = await sending

    assert [r.status_code for r in responses] == [200] * len(burst)
    fresh_answers = [event_id(p) for p, r in zip(burst, responses, strict=True) if not r.json()["duplicate"]]
    assert sorted(fresh_answers) == sorted(event_id(p) for p in distinct)  # one "new" answer per event
    events = await stored()
    assert set(events) == {event_id(p) for p in distinct}
    assert events[event_id(distinct[-1])] == "ignored"
    per_event = await jobs_by_event()
    assert set(per_event) == {event_id(p) for p in distinct[:-1]}
    assert all(len(ids) == 1 for ids in per_event.values())
    job_ids = {ids[0] for ids in per_event.values()}
    assert job_ids <= await queued_in_redis(job_ids)


async def test_a_replayed_event_is_acknowledged_without_a_new_job(client):
    payload = event()
    first = await post(client, payload)
    replays = await asyncio.gather(*(post(client, payload) for _ in range(5)))
    assert first.json() == {"received": True, "duplicate": False}
    assert [r.json() for r in replays] == [{"received": True, "duplicate": True}] * 5
    assert len((await jobs_by_event())[event_id(payload)]) == 1


async def test_a_forged_delivery_in_a_burst_is_refused_at_once_and_stores_nothing(client):
    good = [event() for _ in range(10)]
    forged = event()
    async with table_locked():
        sending = asyncio.gather(*(post(client, payload) for payload in good))
        # Answered while the good ones still wait for the database: the check needs no storage.
        refused = await asyncio.wait_for(post(client, forged, "whsec_someone_else"), 5)
        await all_handed_in(len(good))
    responses = await sending

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "BAD_SIGNATURE"
    assert [r.status_code for r in responses] == [200] * len(good)
    assert set(await stored()) == {event_id(p) for p in good}
    assert event_id(forged) not in await jobs_by_event()


async def test_an_event_that_cannot_be_stored_fails_alone(client):
    good = [event() for _ in range(10)]
    broken = event(created=10**20)  # signed, but no BIGINT holds its timestamp
    burst = good[:5] + [broken] + good[5:]
    async with table_locked():
        sending = asyncio.gather(*(post(client, payload) for payload in burst))
        await all_handed_in(len(burst))
    responses = await sending

    statuses = {event_id(p): r.status_code for p, r in zip(burst, responses, strict=True)}
    assert statuses.pop(event_id(broken)) == 500  # not acknowledged: Stripe will retry it
    assert set(statuses.values()) == {200}
    assert set(await stored()) == {event_id(p) for p in good}
    assert set(await jobs_by_event()) == {event_id(p) for p in good}


async def test_deliveries_waiting_at_shutdown_are_stored_before_it_completes(client):
    burst = [event() for _ in range(8)]
    async with table_locked():
        sending = asyncio.gather(*(post(client, payload) for payload in burst))
        await all_handed_in(len(burst))
        closing = asyncio.ensure_future(billing.close_webhook_inbox())
        await asyncio.sleep(0.05)
        assert not closing.done()  # shutdown waits for the deliveries it holds
    await closing
    responses = await sending

    assert [r.status_code for r in responses] == [200] * len(burst)
    assert set(await stored()) == {event_id(p) for p in burst}
    # The app keeps answering after an inbox was closed (a new one starts on demand).
    assert (await post(client, later := event())).status_code == 200
    assert event_id(later) in await stored()
