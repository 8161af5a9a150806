"""Stripe's webhooks: verify, store once, acknowledge — then process on the ``money`` queue.

``verify`` runs in the request: it checks the signature on the raw body (300 s tolerance). ``store``
writes event rows (unique on Stripe's event id, so a duplicate delivery is a no-op) and their jobs in
one transaction; ``webhook_inbox`` gathers concurrent deliveries into one such call. ``process`` runs
in the worker: it re-fetches what the event is about from Stripe and mirrors it (``sync``), so the
order and number of deliveries don't matter.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from stripe import SignatureVerificationError, WebhookSignature

from backend.billing import notices, queries, stripe_api, sync
from backend.billing.tables import WebhookEvent
from backend.core import clock, db, jobs
from backend.core.errors import DomainError

log = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300
# Events that can change what we mirror; anything else is recorded and left alone.
HANDLED_PREFIXES = (
    "checkout.session.",
    "customer.subscription.",
    "subscription_schedule.",
    "invoice.",
    "charge.refunded",
    "charge.refund.",
    "refund.",
)


class BadSignature(DomainError):
    def __init__(self) -> None:
        super().__init__("billing.errors.bad_signature")


@dataclass(frozen=True, slots=True)
class Delivery:
    """A delivery whose signature checked out, parsed into the columns it is stored with."""

    stripe_id: str
    type: str
    created: int
    object_id: str
    payload: str  # exactly the bytes Stripe signed


@dataclass(frozen=True, slots=True)
class Received:
    event_id: str
    type: str
    duplicate: bool
    job: dict[str, Any] | None  # the stored job row, still to dispatch


def handled(event_type: str) -> bool:
    return event_type.startswith(HANDLED_PREFIXES)


def verify(payload: bytes, signature: str | None) -> Delivery:
    """Check one delivery. Raises ``BadSignature`` for anything not signed by Stripe."""
    secret = stripe_api.config().webhook_secret
    try:
        # The SDK's own check of ``t=…,v1=…`` on the raw bytes, with the 300 s tolerance. (It is what
        # ``Webhook.construct_event`` runs first; construct_event then builds a tree of StripeObjects
        # we would throw away — ~10 ms of CPU per event, most of this endpoint's cost under a burst.)
        WebhookSignature.verify_header(payload, signature or "", secret, tolerance=TOLERANCE_SECONDS)
        event = json.loads(payload)  # verified: exactly the bytes Stripe signed
    except (ValueError, SignatureVerificationError) as exc:
        raise BadSignature() from exc
    if not isinstance(event, dict) or not event.get("id"):
        raise BadSignature()
    obj = (event.get("data") or {}).get("object") or {}
    return Delivery(
        stripe_id=str(event["id"])[:64],
        type=str(event.get("type") or "")[:64],
        created=int(event.get("created") or 0),
        object_id=str(obj.get("id") or "")[:64],
        payload=payload.decode("utf-8"),
    )


async def store(deliveries: list[Delivery]) -> list[Received]:
    """Store deliveries and their jobs in one transaction; one ``Received`` per delivery, in order.

    An event id seen before — in the table, or earlier in this list — is a duplicate: acknowledged,
    stored once, processed once. Any failure rolls back the whole list (the caller retries singly).
    """
    first_of: dict[str, Delivery] = {}
    for delivery in deliveries:
        first_of.setdefault(delivery.stripe_id, delivery)
    async with db.transaction():
        new = await _insert_new(list(first_of.values()))
        job_of = {
            d.stripe_id: jobs.new_job_row(
                "billing.process_event", {"event_id": d.stripe_id}, subject=d.stripe_id
            )
            for d in first_of.values()
            if d.stripe_id in new and handled(d.type)
        }
        await jobs.create_jobs(list(job_of.values()))
    received = []
    for delivery in deliveries:
        fresh = delivery.stripe_id in new
        new.discard(delivery.stripe_id)  # a second copy in the same list is a duplicate
        job = job_of.get(delivery.stripe_id) if fresh else None
        received.append(Received(delivery.stripe_id, delivery.type, not fresh, job))
    return received


_INSERT_EVENTS = """
INSERT INTO billing_webhook_event (received_at, stripe_id, type, stripe_created, object_id, payload, status)
SELECT $1::timestamptz, u.*
FROM unnest($2::varchar[], $3::varchar[], $4::bigint[], $5::varchar[], $6::text[], $7::varchar[]) AS u
ON CONFLICT (stripe_id) DO NOTHING
RETURNING stripe_id"""


async def _insert_new(deliveries: list[Delivery]) -> set[str]:
    """Insert the events not stored yet; returns their ids."""
    statuses = ["received" if handled(d.type) else "ignored" for d in deliveries]
    if db.is_postgres():
        # One prepared statement for any batch size, no Piccolo object per row: a third of the CPU.
        rows = await db.fetch_all(
            _INSERT_EVENTS,
            clock.now(),
            [d.stripe_id for d in deliveries],
            [d.type for d in deliveries],
            [d.created for d in deliveries],
            [d.object_id for d in deliveries],
            [d.payload for d in deliveries],
            statuses,
        )
    else:
        now = clock.now()
        rows = (
            await WebhookEvent.insert(
                *(
                    WebhookEvent(
                        stripe_id=d.stripe_id,
                        type=d.type,
                        stripe_created=d.created,
                        object_id=d.object_id,
                        payload=d.payload,
                        status=status,
                        received_at=now,
                    )
                    for d, status in zip(deliveries, statuses, strict=True)
                )
            )
            .on_conflict(target=WebhookEvent.stripe_id, action="DO NOTHING")
            .returning(WebhookEvent.stripe_id)
        )
    return {row["stripe_id"] for row in rows}


async def process(event_id: str) -> dict[str, Any]:
    """Mirror what the event is about. Idempotent: a processed event is skipped."""
    row = await queries.event_by_stripe_id(event_id)
    if row is None:
        return {"skipped": "unknown event"}
    if row["status"] in ("processed", "ignored"):
        return {"skipped": row["status"]}
    event = json.loads(row["payload"])
    await WebhookEvent.update({WebhookEvent.attempts: WebhookEvent.attempts + 1}).where(
        WebhookEvent.id == row["id"]
    )
    try:
        outcome = await _dispatch(event, clock.as_utc(row["received_at"]))
    except Exception as exc:
        await WebhookEvent.update({WebhookEvent.error: f"{type(exc).__name__}: {exc}"[:2000]}).where(
            WebhookEvent.id == row["id"]
        )
        raise
    await WebhookEvent.update(
        {WebhookEvent.status: "processed", WebhookEvent.processed_at: clock.now(), WebhookEvent.error: ""}
    ).where(WebhookEvent.id == row["id"])
    return outcome


async def _dispatch(event: dict[str, Any], received_at: Any) -> dict[str, Any]:
    kind = event["type"]
    obj = event["data"]["object"]
    created = int(event.get("created") or 0)
    subscriptions: list[str] = []
    if kind.startswith("checkout.session."):
        if obj.get("mode") == "subscription" and obj.get("subscription"):
            subscriptions.append(_id(obj["subscription"]))
    elif kind.startswith("customer.subscription."):
        subscriptions.append(obj["id"])
    elif kind.startswith("subscription_schedule."):
        target = obj.get("subscription") or obj.get("released_subscription")
        if target:
            subscriptions.append(_id(target))
    elif kind.startswith("invoice."):
        await sync.sync_invoice(obj["id"])
        parent = (obj.get("parent") or {}).get("subscription_details") or {}
        if parent.get("subscription"):
            subscriptions.append(_id(parent["subscription"]))
    elif kind in ("charge.refunded",) or kind.startswith("charge.refund."):
        charge = obj["id"] if obj.get("object") == "charge" else obj.get("charge")
        if charge:
            await sync.sync_refunds(_id(charge))
    elif kind.startswith("refund.") and obj.get("charge"):
        await sync.sync_refunds(_id(obj["charge"]))
    sent: list[str] = []
    for stripe_id in subscriptions:
        if await queries.customer_by_stripe_id(_customer_of(obj)) is None and kind.startswith("checkout."):
            continue  # a Checkout of another integration on the same account
        change = await sync.sync_subscription(stripe_id, event_created=created, received_at=received_at)
        sent += await notices.after_sync(change)
    return {"type": kind, "subscriptions": subscriptions, "notices": sent}


def _id(value: Any) -> str:
    return str(value.get("id")) if isinstance(value, dict) else str(value)


def _customer_of(obj: dict[str, Any]) -> str:
    return _id(obj.get("customer") or "")
