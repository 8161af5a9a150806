"""Reads of billing's tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.billing.tables import LIVE_STATUSES, Customer, Invoice, Subscription, UsageCounter, WebhookEvent


async def customer_of_user(user_id: int) -> dict[str, Any] | None:
    return await Customer.select().where(Customer.user_id == user_id).first()


async def customer_of_organization(organization_id: int) -> dict[str, Any] | None:
    return await Customer.select().where(Customer.organization_id == organization_id).first()


async def customer_by_stripe_id(stripe_id: str) -> dict[str, Any] | None:
    return await Customer.select().where(Customer.stripe_id == stripe_id).first()


async def customer_by_id(customer_id: int) -> dict[str, Any] | None:
    return await Customer.select().where(Customer.id == customer_id).first()


async def subscription_by_stripe_id(stripe_id: str) -> dict[str, Any] | None:
    return await Subscription.select().where(Subscription.stripe_id == stripe_id).first()


async def subscription_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await Subscription.select().where(Subscription.public_id == public_id).first()


async def current_subscription(customer_id: int) -> dict[str, Any] | None:
    """The subscription that decides the customer's plan: the newest live one, else the newest."""
    rows = (
        await Subscription.select()
        .where(Subscription.customer == customer_id)
        .order_by(Subscription.stripe_created, ascending=False)
        .order_by(Subscription.id, ascending=False)
        .limit(20)
    )
    live = [r for r in rows if r["status"] in LIVE_STATUSES]
    found = live or rows
    return found[0] if found else None


async def live_subscriptions_of(
    user_id: int | None = None, organization_ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """Live subscriptions owned by the user, or by any of the organizations."""
    query = Subscription.select(
        Subscription.id,
        Subscription.user_id,
        Subscription.organization_id,
        Subscription.status,
        Subscription.plan,
        Subscription.seats,
        Subscription.grace_until,
        Subscription.current_period_end,
        Subscription.stripe_created,
    ).where(Subscription.status.is_in(list(LIVE_STATUSES)))
    if organization_ids:
        query = query.where(
            (Subscription.user_id == user_id) | Subscription.organization_id.is_in(organization_ids)
        )
    else:
        query = query.where(Subscription.user_id == user_id)
    return await query


async def subscriptions_for_sync(limit: int, after_id: int | None) -> list[dict[str, Any]]:
    query = Subscription.select(Subscription.id, Subscription.stripe_id, Subscription.status).order_by(
        Subscription.id
    )
    if after_id is not None:
        query = query.where(Subscription.id > after_id)
    return await query.limit(limit)


async def past_grace(now: datetime) -> list[dict[str, Any]]:
    return await Subscription.select().where(
        Subscription.status.is_in(["past_due", "unpaid"]),
        Subscription.grace_until.is_not_null(),
        Subscription.grace_until < now,
    )


async def in_grace(now: datetime) -> list[dict[str, Any]]:
    return await Subscription.select().where(
        Subscription.status.is_in(["past_due", "unpaid"]),
        Subscription.grace_until.is_not_null(),
        Subscription.grace_until >= now,
    )


async def invoices_of(
    customer_id: int, limit: int, before_created: tuple[int, int] | None
) -> list[dict[str, Any]]:
    query = (
        Invoice.select()
        .where(Invoice.customer == customer_id)
        .order_by(Invoice.stripe_created, ascending=False)
        .order_by(Invoice.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    if before_created is not None:
        created, row_id = before_created
        query = query.where(
            (Invoice.stripe_created < created) | ((Invoice.stripe_created == created) & (Invoice.id < row_id))
        )
    return await query


async def invoice_by_stripe_id(stripe_id: str) -> dict[str, Any] | None:
    return await Invoice.select().where(Invoice.stripe_id == stripe_id).output(load_json=True).first()


async def invoice_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await Invoice.select().where(Invoice.public_id == public_id).output(load_json=True).first()


async def invoice_by_payment_intent(payment_intent_id: str) -> dict[str, Any] | None:
    return await Invoice.select().where(Invoice.payment_intent_id == payment_intent_id).first()


async def event_by_stripe_id(stripe_id: str) -> dict[str, Any] | None:
    return await WebhookEvent.select().where(WebhookEvent.stripe_id == stripe_id).first()


async def usage_rows(subject: str, periods: list[str]) -> list[dict[str, Any]]:
    return await UsageCounter.select(UsageCounter.metric, UsageCounter.period, UsageCounter.used).where(
        UsageCounter.subject == subject, UsageCounter.period.is_in(periods)
    )
