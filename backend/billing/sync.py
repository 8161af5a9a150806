"""Bring our mirror of Stripe up to date. Stripe is the truth: we re-fetch the object and write
what it says now, under a per-object lock, so events may arrive in any order, late or twice —
the result is always Stripe's current state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.billing import catalog, queries, stripe_api
from backend.billing.locks import locked
from backend.billing.plans import PLANS
from backend.billing.tables import Customer, Invoice, Price, Subscription
from backend.core import clock, db
from backend.core.ids import new_id
from backend.core.settings import get_settings

log = logging.getLogger(__name__)

# A change in any of these is a change of what the customer has: it bumps ``revision``.
SIGNIFICANT = (
    "status",
    "plan",
    "interval",
    "seats",
    "cancel_at_period_end",
    "current_period_end",
    "pending_plan",
    "pending_interval",
    "pending_seats",
    "schedule_id",
)
FAILING = ("past_due", "unpaid")
SAME_MOMENT = timedelta(seconds=1)  # allowance between the clocks of the web and worker processes


@dataclass(frozen=True, slots=True)
class Change:
    before: dict[str, Any] | None
    after: dict[str, Any]

    @property
    def changed(self) -> bool:
        return self.before is None or any(
            _same(self.before.get(f)) != _same(self.after.get(f)) for f in SIGNIFICANT
        )


def grace_period() -> timedelta:
    return timedelta(days=get_settings().stripe.grace_days)


def ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def _same(value: Any) -> Any:
    return clock.as_utc(value) if isinstance(value, datetime) else value


# ----------------------------------------------------------------------------- subscriptions


async def sync_subscription(
    stripe_id: str, *, event_created: int = 0, received_at: datetime | None = None
) -> Change | None:
    """Re-fetch the subscription from Stripe and mirror it.

    ``received_at``: when the event that asks for this arrived. If a fetch has begun since (plus a
    second for clocks), our copy is already at least as new as that event: nothing to fetch. A burst
    of events about one subscription (Checkout sends eight) thus costs one or two fetches, not eight.
    """
    async with locked(f"billing-sub:{stripe_id}"):
        if received_at is not None:
            known = await queries.subscription_by_stripe_id(stripe_id)
            synced = known["synced_at"] if known is not None else None
            if synced is not None and clock.as_utc(synced) >= clock.as_utc(received_at) + SAME_MOMENT:
                return None
        fetched_at = clock.now()
        fetched = await stripe_api.client().v1.subscriptions.retrieve_async(
            stripe_id, params={"expand": ["schedule"]}
        )
        return await apply_subscription(
            stripe_api.as_dict(fetched), event_created=event_created, fetched_at=fetched_at
        )


async def apply_subscription(
    sub: dict[str, Any], *, event_created: int = 0, fetched_at: datetime | None = None
) -> Change | None:
    """Write a subscription object Stripe gave us (the caller holds the lock or just fetched it).

    ``synced_at`` records when the fetch *began*: whatever happened at Stripe before then is in it.
    """
    customer = await queries.customer_by_stripe_id(sub["customer"])
    if customer is None:
        log.warning("subscription %s belongs to no Cadenza customer (%s)", sub["id"], sub["customer"])
        return None
    item = sub["items"]["data"][0]
    described = catalog.describe(item["price"])
    if described is None:
        log.warning("subscription %s has a price Cadenza doesn't sell (%s)", sub["id"], item["price"]["id"])
        return None
    plan, interval, currency = described
    existing = await queries.subscription_by_stripe_id(sub["id"])
    now = clock.now()
    status = sub["status"]
    values: dict[str, Any] = {
        "status": status,
        "plan": plan.code,
        "interval": interval,
        "currency": currency,
        "unit_amount": int(item["price"].get("unit_amount") or 0),
        "seats": int(item.get("quantity") or 1),
        "stripe_price_id": item["price"]["id"],
        "current_period_start": ts(item.get("current_period_start")),
        "current_period_end": ts(item.get("current_period_end")),
        "cancel_at_period_end": bool(sub.get("cancel_at_period_end")),
        "canceled_at": ts(sub.get("canceled_at")),
        "ended_at": ts(sub.get("ended_at")),
        "latest_invoice_id": _id_of(sub.get("latest_invoice")),
        "stripe_created": int(sub.get("created") or 0),
        **await _pending_change(sub.get("schedule"), item),
    }
    if status in FAILING:
        failed_at = existing["payment_failed_at"] if existing and existing["payment_failed_at"] else now
        values["payment_failed_at"] = clock.as_utc(failed_at)
        values["grace_until"] = clock.as_utc(failed_at) + grace_period()
    else:
        values["payment_failed_at"] = None
        values["grace_until"] = None
    stamp: dict[str, Any] = {
        "synced_at": fetched_at or now,
        "updated_at": now,
        "last_event_at": max(int(existing["last_event_at"]) if existing else 0, event_created),
    }
    async with db.transaction():
        if existing is None:
            try:
                await Subscription.insert(
                    Subscription(
                        public_id=new_id("bsb"),
                        customer=customer["id"],
                        user_id=customer["user_id"],
                        organization_id=customer["organization_id"],
                        stripe_id=sub["id"],
                        revision=1,
                        created_at=now,
                        **values,
                        **stamp,
                    )
                )
            except Exception as exc:
                if not db.is_unique_violation(exc):
                    raise
                existing = await queries.subscription_by_stripe_id(sub["id"])
        if existing is not None:
            change = Change(existing, {**existing, **values})
            bump = 1 if change.changed else 0
            await Subscription.update(
                {**values, **stamp, "revision": int(existing["revision"]) + bump}  # type: ignore[dict-item]
            ).where(Subscription.id == existing["id"])
        if not customer["currency"]:
            await Customer.update({Customer.currency: currency}).where(
                Customer.id == customer["id"], Customer.currency == ""
            )
    after = await queries.subscription_by_stripe_id(sub["id"])
    assert after is not None
    return Change(existing, after)


async def _pending_change(schedule: Any, item: dict[str, Any]) -> dict[str, Any]:
    """The next phase of the subscription's schedule, if it changes the plan, interval or seats."""
    none = {
        "schedule_id": "",
        "pending_plan": "",
        "pending_interval": "",
        "pending_seats": None,
        "pending_at": None,
    }
    if not isinstance(schedule, dict):
        return {**none, "schedule_id": schedule or ""}
    none["schedule_id"] = schedule["id"]
    if schedule.get("status") not in ("active", "not_started"):
        return none
    period_end = int(item.get("current_period_end") or 0)
    upcoming = [p for p in schedule.get("phases", []) if int(p["start_date"]) >= period_end]
    if not upcoming:
        return none
    phase = upcoming[0]
    entry = phase["items"][0]
    price_id = entry["price"] if isinstance(entry["price"], str) else entry["price"]["id"]
    described = await _describe_price_id(price_id)
    if described is None:
        return none
    plan, interval, _ = described
    seats = int(entry.get("quantity") or 1)
    if price_id == item["price"]["id"] and seats == int(item.get("quantity") or 1):
        return none
    return {
        "schedule_id": schedule["id"],
        "pending_plan": plan.code,
        "pending_interval": interval,
        "pending_seats": seats,
        "pending_at": ts(phase["start_date"]),
    }


async def _describe_price_id(price_id: str) -> Any:
    row = await Price.select().where(Price.stripe_id == price_id).first()
    if row is not None and row["plan"] in PLANS:
        return PLANS[row["plan"]], row["interval"], row["currency"]
    price = await stripe_api.client().v1.prices.retrieve_async(price_id)
    return catalog.describe(stripe_api.as_dict(price))


def _id_of(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


# ----------------------------------------------------------------------------- invoices


async def sync_invoice(stripe_id: str) -> dict[str, Any] | None:
    async with locked(f"billing-inv:{stripe_id}"):
        fetched = await stripe_api.client().v1.invoices.retrieve_async(
            stripe_id, params={"expand": ["payments"]}
        )
        return await apply_invoice(stripe_api.as_dict(fetched))


async def apply_invoice(invoice: dict[str, Any]) -> dict[str, Any] | None:
    customer = await queries.customer_by_stripe_id(invoice["customer"])
    if customer is None or not invoice.get("id") or invoice["id"].startswith("upcoming"):
        return None
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    payments = ((invoice.get("payments") or {}).get("data")) or []
    intent = next(
        (
            p["payment"].get("payment_intent")
            for p in payments
            if (p.get("payment") or {}).get("payment_intent")
        ),
        "",
    )
    lines = [
        {
            "description": line.get("description") or "",
            "amount": int(line.get("amount") or 0),
            "quantity": int(line.get("quantity") or 1),
            "proration": bool(
                ((line.get("parent") or {}).get("subscription_item_details") or {}).get("proration")
            ),
            "period_start": (line.get("period") or {}).get("start"),
            "period_end": (line.get("period") or {}).get("end"),
        }
        for line in (invoice.get("lines") or {}).get("data", [])
    ]
    now = clock.now()
    values: dict[Any, Any] = {
        "stripe_subscription_id": _id_of(parent.get("subscription")),
        "number": invoice.get("number") or "",
        "status": invoice.get("status") or "draft",
        "billing_reason": invoice.get("billing_reason") or "",
        "currency": str(invoice.get("currency") or "usd").upper(),
        "subtotal": int(invoice.get("subtotal") or 0),
        "tax": sum(int(t.get("amount") or 0) for t in invoice.get("total_taxes") or []),
        "total": int(invoice.get("total") or 0),
        "amount_due": int(invoice.get("amount_due") or 0),
        "amount_paid": int(invoice.get("amount_paid") or 0),
        "period_start": ts(invoice.get("period_start")),
        "period_end": ts(invoice.get("period_end")),
        "hosted_invoice_url": (invoice.get("hosted_invoice_url") or "")[:500],
        "lines": lines,
        "stripe_created": int(invoice.get("created") or 0),
        "updated_at": now,
    }
    if intent:
        values["payment_intent_id"] = intent
    existing = await queries.invoice_by_stripe_id(invoice["id"])
    if existing is None:
        try:
            await Invoice.insert(
                Invoice(
                    public_id=new_id("bin"),
                    customer=customer["id"],
                    stripe_id=invoice["id"],
                    created_at=now,
                    **values,
                )
            )
        except Exception as exc:
            if not db.is_unique_violation(exc):
                raise
            existing = await queries.invoice_by_stripe_id(invoice["id"])
    if existing is not None:
        await Invoice.update(values).where(Invoice.id == existing["id"])
    return await queries.invoice_by_stripe_id(invoice["id"])


async def sync_refunds(charge_id: str) -> dict[str, Any] | None:
    """Record how much of an invoice's payment has been refunded (it only ever grows)."""
    stripe = stripe_api.client()
    charge = stripe_api.as_dict(await stripe.v1.charges.retrieve_async(charge_id))
    intent = charge.get("payment_intent") or ""
    invoice = await queries.invoice_by_payment_intent(intent) if intent else None
    if invoice is None and intent:
        found = await stripe.v1.invoice_payments.list_async(
            params={"payment": {"type": "payment_intent", "payment_intent": intent}, "limit": 1}
        )
        for payment in found.data:
            await sync_invoice(stripe_api.as_dict(payment)["invoice"])
        invoice = await queries.invoice_by_payment_intent(intent)
    if invoice is None:
        log.warning("refund on charge %s matches no invoice we know", charge_id)
        return None
    refunded = int(charge.get("amount_refunded") or 0)
    await Invoice.update({Invoice.amount_refunded: refunded, Invoice.updated_at: clock.now()}).where(
        Invoice.id == invoice["id"], Invoice.amount_refunded < refunded
    )
    return await queries.invoice_by_stripe_id(invoice["stripe_id"])
