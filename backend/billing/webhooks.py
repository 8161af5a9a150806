"""Stripe's webhooks: verify, store once, acknowledge — then process on the ``money`` queue.

``receive`` runs in the request: it checks the signature on the raw body (300 s tolerance), writes
the event row (unique on Stripe's event id, so a duplicate delivery is a no-op) and its job in one
transaction, and returns. ``process`` runs in the worker: it re-fetches what the event is about from
Stripe and mirrors it (``sync``), so the order and number of deliveries don't matter.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import stripe

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
class Received:
    event_id: str
    type: str
    duplicate: bool
    job: dict[str, Any] | None  # the stored job row, to dispatch (already dispatched unless asked not to)


def handled(event_type: str) -> bool:
    return event_type.startswith(HANDLED_PREFIXES)


async def receive(payload: bytes, signature: str | None, *, dispatch: bool = True) -> Received:
    """Verify and store one delivery. Raises ``BadSignature`` for anything not signed by Stripe.

    With ``dispatch=False`` the caller hands the job to arq after answering Stripe: the job row is
    already committed, so if that never happens the jobs sweep re-enqueues it.
    """
    secret = stripe_api.config().webhook_secret
    try:
        # The SDK's own check of ``t=…,v1=…`` on the raw bytes, with the 300 s tolerance. (It is what
        # ``Webhook.construct_event`` runs first; construct_event then builds a tree of StripeObjects
        # we would throw away — ~10 ms of CPU per event, most of this endpoint's cost under a burst.)
        stripe.WebhookSignature.verify_header(payload, signature or "", secret, tolerance=TOLERANCE_SECONDS)
        event = json.loads(payload)  # verified: exactly the bytes Stripe signed
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise BadSignature() from exc
    if not isinstance(event, dict) or not event.get("id"):
        raise BadSignature()
    event_type = str(event.get("type") or "")
    obj = (event.get("data") or {}).get("object") or {}
    wanted = handled(event_type)
    async with db.transaction():
        inserted = (
            await WebhookEvent.insert(
                WebhookEvent(
                    stripe_id=str(event["id"])[:64],
                    type=event_type[:64],
                    stripe_created=int(event.get("created") or 0),
                    object_id=str(obj.get("id") or "")[:64],
                    payload=payload.decode("utf-8"),
                    status="received" if wanted else "ignored",
                    received_at=clock.now(),
                )
            )
            .on_conflict(target=WebhookEvent.stripe_id, action="DO NOTHING")
            .returning(WebhookEvent.id)
        )
        if not inserted:
            return Received(event["id"], event_type, True, None)
        job = (
            await jobs.create_job("billing.process_event", {"event_id": event["id"]}, subject=event["id"])
            if wanted
            else None
        )
    if job is not None and dispatch:
        await jobs.dispatch(job)
    return Received(event["id"], event_type, False, job)


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
