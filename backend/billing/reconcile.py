"""Nightly (and on demand): compare every subscription we mirror with Stripe's and repair drift —
a webhook that never arrived, a change made in Stripe's dashboard, a subscription we never heard of.
Also re-queues webhook events whose processing was lost."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from backend.billing import notices, queries, stripe_api, sync
from backend.billing.tables import Subscription, WebhookEvent
from backend.core import clock, jobs

log = logging.getLogger(__name__)

PAGE = 100


async def run() -> dict[str, int]:
    stats = {"checked": 0, "repaired": 0, "created": 0, "vanished": 0, "requeued": 0}
    stripe = stripe_api.client()
    seen: set[str] = set()
    after: str | None = None
    while True:
        params: dict[str, Any] = {"status": "all", "limit": PAGE, "expand": ["data.schedule"]}
        if after:
            params["starting_after"] = after
        page = await stripe.v1.subscriptions.list_async(params=params)  # type: ignore[arg-type]
        items = [stripe_api.as_dict(s) for s in page.data]
        for remote in items:
            seen.add(remote["id"])
            if await queries.customer_by_stripe_id(remote["customer"]) is None:
                continue  # not one of ours
            stats["checked"] += 1
            local = await queries.subscription_by_stripe_id(remote["id"])
            if local is None or _drifted(local, remote):
                change = await sync.sync_subscription(remote["id"])
                await notices.after_sync(change)
                stats["created" if local is None else "repaired"] += 1
        if not page.has_more or not items:
            break
        after = items[-1]["id"]
    after_id = None
    while True:
        rows = await queries.subscriptions_for_sync(PAGE, after_id)
        if not rows:
            break
        for row in rows:
            if row["stripe_id"] in seen or row["status"] == "canceled":
                continue
            stats["checked"] += 1
            try:
                change = await sync.sync_subscription(row["stripe_id"])
                await notices.after_sync(change)
                stats["repaired"] += 1
            except Exception as exc:
                if getattr(exc, "http_status", None) != 404:
                    raise
                await _vanished(row["id"])
                stats["vanished"] += 1
        after_id = rows[-1]["id"]
    stats["requeued"] = await requeue_stuck_events()
    if stats["repaired"] or stats["created"] or stats["vanished"]:
        log.warning("billing reconciliation repaired drift: %s", stats)
    return stats


def _drifted(local: dict[str, Any], remote: dict[str, Any]) -> bool:
    item = remote["items"]["data"][0]
    schedule = remote.get("schedule")
    schedule_id = schedule.get("id") if isinstance(schedule, dict) else (schedule or "")
    end = sync.ts(item.get("current_period_end"))
    return (
        local["status"] != remote["status"]
        or local["stripe_price_id"] != item["price"]["id"]
        or int(local["seats"]) != int(item.get("quantity") or 1)
        or bool(local["cancel_at_period_end"]) != bool(remote.get("cancel_at_period_end"))
        or (local["current_period_end"] and end and clock.as_utc(local["current_period_end"]) != end)
        or (local["schedule_id"] or "") != (schedule_id or "")
    )


async def _vanished(row_id: int) -> None:
    """Stripe has no such subscription (deleted test data): it grants nothing any more."""
    now = clock.now()
    await Subscription.update(
        {
            Subscription.status: "canceled",
            Subscription.ended_at: now,
            Subscription.updated_at: now,
            Subscription.revision: Subscription.revision + 1,
        }
    ).where(Subscription.id == row_id)


async def requeue_stuck_events() -> int:
    cutoff = clock.now() - timedelta(minutes=10)
    stuck = await WebhookEvent.select(WebhookEvent.stripe_id).where(
        WebhookEvent.status == "received", WebhookEvent.received_at < cutoff
    )
    for row in stuck:
        await jobs.enqueue("billing.process_event", {"event_id": row["stripe_id"]}, subject=row["stripe_id"])
    return len(stuck)
