"""Changing a subscription, predictably.

- Upgrades (a higher plan, monthly → annual, more seats) happen at once, with a prorated charge for
  the rest of the period (``always_invoice``) — shown before confirming, and if the card fails,
  nothing changes (``error_if_incomplete``).
- Downgrades (a lower plan, annual → monthly, fewer seats) and cancellations take effect at the end
  of the period already paid for: a downgrade through a subscription schedule, a cancellation with
  ``cancel_at_period_end``. Both can be undone until then.

Each call carries an idempotency key stored before the call (``idempotency``); afterwards the
subscription is re-fetched and mirrored, so the page shows Stripe's state right away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.billing import catalog, customers, idempotency, notices, queries, stripe_api, sync
from backend.billing.customers import Subject
from backend.billing.plans import INTERVALS, PLANS, Plan
from backend.billing.regional import CHECKOUT_LOCALES
from backend.billing.tables import LIVE_STATUSES
from backend.core import clock
from backend.core.actor import Actor
from backend.core.errors import DomainError, NotFound

IMMEDIATE = "immediate"
AT_PERIOD_END = "period_end"
NO_CHANGE = "none"


@dataclass(frozen=True, slots=True)
class PlanChange:
    plan: str
    interval: str
    seats: int | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    timing: str  # IMMEDIATE or AT_PERIOD_END
    plan: Plan
    interval: str
    seats: int
    currency: str
    amount_due: int  # charged now (0 for a change at the period's end)
    tax: int
    lines: list[dict[str, Any]]
    effective_at: datetime
    proration_date: int | None
    next_amount: int  # each renewal after the change
    next_renewal_at: datetime | None


async def current(subject: Subject) -> dict[str, Any]:
    """The subject's live subscription, or a translated refusal."""
    customer = await customers.find(subject)
    sub = await queries.current_subscription(customer["id"]) if customer else None
    if sub is None or sub["status"] not in LIVE_STATUSES:
        raise DomainError("billing.errors.no_subscription")
    return sub


def classify(sub: dict[str, Any], plan: Plan, interval: str, seats: int) -> str:
    old = PLANS[sub["plan"]]
    same_plan = plan.code == old.code
    if same_plan and interval == sub["interval"] and seats == sub["seats"]:
        return NO_CHANGE
    if plan.rank != old.rank:
        return IMMEDIATE if plan.rank > old.rank else AT_PERIOD_END
    if interval != sub["interval"]:
        return IMMEDIATE if interval == "year" else AT_PERIOD_END
    return IMMEDIATE if seats > sub["seats"] else AT_PERIOD_END


def _clean(sub: dict[str, Any], change: PlanChange) -> tuple[Plan, str, int]:
    plan = PLANS.get(change.plan)
    if plan is None or not plan.paid:
        raise DomainError("billing.errors.plan_not_for_sale", field="plan")
    if change.interval not in INTERVALS:
        raise DomainError("billing.errors.interval_invalid", field="interval")
    if plan.per_seat != PLANS[sub["plan"]].per_seat:
        raise DomainError("billing.errors.plan_switch_kind", field="plan")
    seats = change.seats if change.seats is not None else sub["seats"]
    if not plan.per_seat:
        seats = 1
    if not 1 <= seats <= 100:
        raise DomainError("billing.errors.seats_invalid", field="seats", max=100)
    if sub["status"] in ("past_due", "unpaid"):
        raise DomainError("billing.errors.fix_payment_first")
    return plan, change.interval, seats


async def _item(sub: dict[str, Any]) -> dict[str, Any]:
    fetched = stripe_api.as_dict(await stripe_api.client().v1.subscriptions.retrieve_async(sub["stripe_id"]))
    return fetched["items"]["data"][0]


async def preview(actor: Actor, subject: Subject, change: PlanChange) -> Preview:
    sub = await current(subject)
    plan, interval, seats = _clean(sub, change)
    timing = classify(sub, plan, interval, seats)
    if timing == NO_CHANGE:
        raise DomainError("billing.errors.same_plan", field="plan")
    price = await catalog.price_id(plan, interval, sub["currency"])
    next_amount = plan.price(sub["currency"], interval) * seats
    period_end = clock.as_utc(sub["current_period_end"]) if sub["current_period_end"] else None
    if timing == AT_PERIOD_END:
        return Preview(
            AT_PERIOD_END,
            plan,
            interval,
            seats,
            sub["currency"],
            0,
            0,
            [],
            period_end or clock.now(),
            None,
            next_amount,
            period_end,
        )
    item = await _item(sub)
    moment = int(clock.now().timestamp())
    try:
        invoice = stripe_api.as_dict(
            await stripe_api.client().v1.invoices.create_preview_async(
                params={
                    "subscription": sub["stripe_id"],
                    "subscription_details": {
                        "items": [{"id": item["id"], "price": price, "quantity": seats}],
                        "proration_behavior": "always_invoice",
                        "proration_date": moment,
                    },
                }
            )
        )
    except Exception as exc:
        raise stripe_api.StripeUnavailable() from exc
    lines = [
        {
            "description": line.get("description") or "",
            "amount": int(line.get("amount") or 0),
            "proration": bool(
                ((line.get("parent") or {}).get("subscription_item_details") or {}).get("proration")
            ),
        }
        for line in (invoice.get("lines") or {}).get("data", [])
    ]
    new_cycle = interval != sub["interval"]
    renewal = None
    if new_cycle and lines:
        ends = [line.get("period", {}).get("end") for line in (invoice.get("lines") or {}).get("data", [])]
        renewal = sync.ts(max(e for e in ends if e)) if any(ends) else None
    return Preview(
        IMMEDIATE,
        plan,
        interval,
        seats,
        sub["currency"],
        int(invoice.get("amount_due") or 0),
        sum(int(t.get("amount") or 0) for t in invoice.get("total_taxes") or []),
        lines,
        clock.now(),
        moment,
        next_amount,
        renewal or period_end,
    )


async def change_plan(
    actor: Actor, subject: Subject, change: PlanChange, proration_date: int | None = None
) -> dict[str, Any]:
    sub = await current(subject)
    plan, interval, seats = _clean(sub, change)
    timing = classify(sub, plan, interval, seats)
    if timing == NO_CHANGE:
        if sub["pending_plan"]:
            return await keep_current_plan(actor, subject)  # back to what they have: drop the downgrade
        return sub
    price = await catalog.price_id(plan, interval, sub["currency"])
    stripe = stripe_api.client()
    if timing == IMMEDIATE:
        if sub["schedule_id"]:
            await _release_schedule(sub)
        item = await _item(sub)
        row = await idempotency.claim(
            "change",
            (sub["stripe_id"], sub["revision"], price, seats),
            subject=subject.key,
            params={"proration_date": proration_date or int(clock.now().timestamp())},
        )
        moment = int(row["params"].get("proration_date") or clock.now().timestamp())
        await idempotency.run(
            row,
            lambda options: stripe.v1.subscriptions.update_async(
                sub["stripe_id"],
                params={
                    "items": [{"id": item["id"], "price": price, "quantity": seats}],
                    "proration_behavior": "always_invoice",
                    "proration_date": moment,
                    "payment_behavior": "error_if_incomplete",
                },
                options=options,  # type: ignore[arg-type]
            ),
        )
    else:
        if sub["cancel_at_period_end"]:
            await _set_cancel(subject, sub, False)
            sub = await current(subject)
        await _schedule_downgrade(subject, sub, price, seats)
    return await _refresh(sub["stripe_id"])


async def _schedule_downgrade(subject: Subject, sub: dict[str, Any], price: str, seats: int) -> None:
    stripe = stripe_api.client()
    schedule_id = sub["schedule_id"]
    if not schedule_id:
        created = await idempotency.stripe_call(
            "schedule_create",
            (sub["stripe_id"], sub["revision"]),
            lambda options: stripe.v1.subscription_schedules.create_async(
                params={"from_subscription": sub["stripe_id"]},
                options=options,  # type: ignore[arg-type]
            ),
            subject=subject.key,
        )
        schedule = stripe_api.as_dict(created)
    else:
        schedule = stripe_api.as_dict(await stripe.v1.subscription_schedules.retrieve_async(schedule_id))
    phase = schedule["current_phase"]
    first = schedule["phases"][0]["items"][0]
    current_price = first["price"] if isinstance(first["price"], str) else first["price"]["id"]
    await idempotency.stripe_call(
        "schedule_update",
        (schedule["id"], sub["revision"], price, seats),
        lambda options: stripe.v1.subscription_schedules.update_async(
            schedule["id"],
            params={  # type: ignore[arg-type]
                "end_behavior": "release",
                "proration_behavior": "none",
                "phases": [
                    {
                        "items": [{"price": current_price, "quantity": int(first.get("quantity") or 1)}],
                        "start_date": int(phase["start_date"]),
                        "end_date": int(phase["end_date"]),
                    },
                    {"items": [{"price": price, "quantity": seats}], "iterations": 1},
                ],
            },
            options=options,  # type: ignore[arg-type]
        ),
        subject=subject.key,
    )


async def _release_schedule(sub: dict[str, Any]) -> None:
    stripe = stripe_api.client()
    try:
        await idempotency.stripe_call(
            "schedule_release",
            (sub["schedule_id"],),
            lambda options: stripe.v1.subscription_schedules.release_async(
                sub["schedule_id"],
                options=options,  # type: ignore[arg-type]
            ),
            subject=f"sub:{sub['id']}",
        )
    except DomainError:
        # Already released (by the portal, or an earlier attempt): fine if Stripe agrees.
        fetched = stripe_api.as_dict(await stripe.v1.subscriptions.retrieve_async(sub["stripe_id"]))
        if fetched.get("schedule"):
            raise


async def _set_cancel(subject: Subject, sub: dict[str, Any], wanted: bool) -> None:
    stripe = stripe_api.client()
    await idempotency.stripe_call(
        "cancel" if wanted else "resume",
        (sub["stripe_id"], sub["revision"]),
        lambda options: stripe.v1.subscriptions.update_async(
            sub["stripe_id"],
            params={"cancel_at_period_end": wanted},
            options=options,  # type: ignore[arg-type]
        ),
        subject=subject.key,
    )


async def cancel(actor: Actor, subject: Subject) -> dict[str, Any]:
    """Stop renewing: everything stays until the period's end, then the subject moves to Free."""
    sub = await current(subject)
    if sub["cancel_at_period_end"]:
        return sub
    if sub["schedule_id"]:
        await _release_schedule(sub)  # a pending downgrade no longer matters
        sub = await _refresh(sub["stripe_id"])
    await _set_cancel(subject, sub, True)
    return await _refresh(sub["stripe_id"])


async def resume(actor: Actor, subject: Subject) -> dict[str, Any]:
    """Undo a cancellation before the period ends: renewals continue as before."""
    customer = await customers.find(subject)
    sub = await queries.current_subscription(customer["id"]) if customer else None
    if sub is None:
        raise DomainError("billing.errors.no_subscription")
    if sub["status"] not in LIVE_STATUSES or sub["ended_at"] is not None:
        raise DomainError("billing.errors.already_ended")
    if not sub["cancel_at_period_end"]:
        return sub
    await _set_cancel(subject, sub, False)
    return await _refresh(sub["stripe_id"])


async def keep_current_plan(actor: Actor, subject: Subject) -> dict[str, Any]:
    """Drop a scheduled downgrade."""
    sub = await current(subject)
    if not sub["schedule_id"]:
        return sub
    await _release_schedule(sub)
    return await _refresh(sub["stripe_id"])


async def _refresh(stripe_id: str) -> dict[str, Any]:
    change = await sync.sync_subscription(stripe_id)
    await notices.after_sync(change)
    if change is not None and change.after["latest_invoice_id"]:
        await sync.sync_invoice(change.after["latest_invoice_id"])
    found = await queries.subscription_by_stripe_id(stripe_id)
    assert found is not None
    return found


async def portal_url(actor: Actor, subject: Subject, return_url: str) -> str:
    customer = await customers.find(subject)
    if customer is None or not customer["stripe_id"]:
        raise DomainError("billing.errors.no_subscription")
    stripe = stripe_api.client()
    minute = clock.now().strftime("%Y-%m-%dT%H:%M")
    session = await idempotency.stripe_call(
        "portal",
        (customer["stripe_id"], return_url, actor.locale, minute),
        lambda options: stripe.v1.billing_portal.sessions.create_async(
            params={
                "customer": customer["stripe_id"],
                "return_url": return_url,
                "locale": CHECKOUT_LOCALES.get(actor.locale, "auto"),
            },
            options=options,  # type: ignore[arg-type]
        ),
        subject=subject.key,
    )
    return str(session.url)


async def refund(actor: Actor, invoice_public_id: str, amount: int | None = None) -> dict[str, Any]:
    """Give money back for an invoice (platform admins only); at most what is left to refund."""
    from backend.billing import access

    if not access.can_refund(actor):
        raise NotFound()
    invoice = await queries.invoice_by_public_id(invoice_public_id)
    if invoice is None:
        raise NotFound()
    if invoice["status"] != "paid" or not invoice["payment_intent_id"]:
        raise DomainError("billing.errors.nothing_to_refund")
    left = int(invoice["amount_paid"]) - int(invoice["amount_refunded"])
    wanted = left if amount is None else amount
    if not 0 < wanted <= left:
        raise DomainError("billing.errors.refund_too_large", field="amount")
    stripe = stripe_api.client()
    refund_object = await idempotency.stripe_call(
        "refund",
        (invoice["stripe_id"], int(invoice["amount_refunded"]), wanted),
        lambda options: stripe.v1.refunds.create_async(
            params={
                "payment_intent": invoice["payment_intent_id"],
                "amount": wanted,
                "reason": "requested_by_customer",
            },
            options=options,  # type: ignore[arg-type]
        ),
        subject=f"invoice:{invoice['id']}",
    )
    charge = stripe_api.as_dict(refund_object).get("charge")
    if charge:
        await sync.sync_refunds(charge)
    found = await queries.invoice_by_public_id(invoice_public_id)
    assert found is not None
    return found
