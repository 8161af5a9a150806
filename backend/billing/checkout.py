"""Subscribing: a Stripe Checkout Session in subscription mode, with the region's payment methods
and automatic tax — and, on the way back, the session applied at once so the confirmation page
already shows the new plan (the webhook, arriving whenever, finds it done)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from backend.billing import catalog, customers, idempotency, notices, queries, stripe_api, sync
from backend.billing.customers import Subject
from backend.billing.plans import CURRENCIES, INTERVALS, PLANS, Plan
from backend.billing.regional import CHECKOUT_LOCALES, payment_methods
from backend.billing.tables import LIVE_STATUSES
from backend.core import clock
from backend.core.actor import Actor
from backend.core.errors import DomainError, NotFound
from backend.core.settings import get_settings

log = logging.getLogger(__name__)

RETURN_PATH = "/billing/return"
CANCEL_PATH = "/pricing"
MAX_SEATS = 100


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    plan: str
    interval: str = "month"
    currency: str = "USD"
    seats: int = 1


def clean(request: CheckoutRequest, subject: Subject) -> tuple[Plan, str, str, int]:
    plan = PLANS.get(request.plan)
    if plan is None or not plan.paid:
        raise DomainError("billing.errors.plan_not_for_sale", field="plan")
    if request.interval not in INTERVALS:
        raise DomainError("billing.errors.interval_invalid", field="interval")
    currency = request.currency.upper()
    if currency not in CURRENCIES:
        raise DomainError("billing.errors.currency_invalid", field="currency")
    if plan.per_seat != subject.is_organization:
        key = "enterprise_needs_organization" if plan.per_seat else "organization_needs_enterprise"
        raise DomainError(f"billing.errors.{key}", field="plan")
    seats = request.seats if plan.per_seat else 1
    if not 1 <= seats <= MAX_SEATS:
        raise DomainError("billing.errors.seats_invalid", field="seats", max=MAX_SEATS)
    return plan, request.interval, currency, seats


async def start(actor: Actor, subject: Subject, request: CheckoutRequest) -> str:
    """The URL of a Stripe Checkout page for this plan; the same one again for a repeated click."""
    plan, interval, currency, seats = clean(request, subject)
    existing = await customers.find(subject)
    if existing is not None:
        current = await queries.current_subscription(existing["id"])
        if current is not None and current["status"] in LIVE_STATUSES:
            raise DomainError("billing.errors.already_subscribed")
        if existing["currency"] and existing["currency"] != currency:
            raise DomainError(
                "billing.errors.currency_locked", field="currency", currency=existing["currency"]
            )
    price = await catalog.price_id(plan, interval, currency)
    customer = await customers.ensure(subject)
    base = get_settings().base_url
    params: dict[str, Any] = {
        "mode": "subscription",
        "customer": customer["stripe_id"],
        "client_reference_id": customer["public_id"],
        "line_items": [{"price": price, "quantity": seats}],
        "payment_method_types": payment_methods(subject.region, currency),
        "automatic_tax": {"enabled": True},
        # Stripe Tax needs the address Checkout collects stored on the customer.
        "customer_update": {"address": "auto", "name": "auto"},
        "billing_address_collection": "auto",
        "locale": CHECKOUT_LOCALES.get(actor.locale, "auto"),
        "success_url": f"{base}{RETURN_PATH}?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base}{CANCEL_PATH}?canceled=1",
        "metadata": {"cadenza_customer": customer["public_id"], "cadenza_plan": plan.code},
        "subscription_data": {
            "metadata": {"cadenza_customer": customer["public_id"], "cadenza_plan": plan.code}
        },
    }
    # One open session per customer, choice and hour: a double click reuses it; later it is new.
    # The customer's latest subscription is part of the intent, so buying again after one ended is new.
    hour = clock.now().strftime("%Y-%m-%dT%H")
    latest = await queries.current_subscription(customer["id"])
    intent = (
        customer["public_id"],
        price,
        seats,
        params["payment_method_types"],
        params["locale"],
        hour,
        latest["stripe_id"] if latest else "",
    )
    stripe = stripe_api.client()
    for _attempt in range(2):
        row = await idempotency.claim(
            "checkout",
            intent,
            subject=subject.key,
            params={"plan": plan.code, "interval": interval, "currency": currency, "seats": seats},
        )
        session = await idempotency.run(
            row,
            lambda options: stripe.v1.checkout.sessions.create_async(params=params, options=options),  # type: ignore[arg-type]
        )
        opened = await stripe.v1.checkout.sessions.retrieve_async(session.id)
        if opened.status == "open" and opened.url:
            await _expire_others(customer["stripe_id"], session.id)
            return str(opened.url)
        # The reused session was paid or expired meanwhile: this is a new request after all.
        await idempotency.give_up(row["id"])
    raise DomainError("billing.errors.checkout_closed")


async def _expire_others(stripe_customer: str, keep: str) -> None:
    """Close the customer's other open Checkout pages, so two tabs can't buy two subscriptions."""
    stripe = stripe_api.client()
    try:
        found = await stripe.v1.checkout.sessions.list_async(
            params={"customer": stripe_customer, "status": "open", "limit": 10}
        )
        for other in found.data:
            if other.id == keep:
                continue
            await idempotency.stripe_call(
                "checkout_expire",
                (other.id,),
                lambda options, sid=other.id: stripe.v1.checkout.sessions.expire_async(sid, options=options),  # type: ignore[misc]
                subject=stripe_customer,
            )
    except DomainError:
        log.warning("could not expire older checkout sessions of %s", stripe_customer)


async def complete(actor: Actor, session_id: str) -> dict[str, Any]:
    """Apply a finished Checkout Session now (the success page); safe to repeat, and the webhook
    that follows changes nothing. Only the session's own customer may do this."""
    if not session_id.startswith("cs_") or len(session_id) > 200:
        raise NotFound()
    try:
        fetched = await stripe_api.client().v1.checkout.sessions.retrieve_async(session_id)
    except Exception as exc:
        if getattr(exc, "http_status", None) == 404:
            raise NotFound() from exc
        raise stripe_api.StripeUnavailable() from exc
    session = stripe_api.as_dict(fetched)
    customer = await queries.customer_by_stripe_id(session.get("customer") or "")
    if customer is None or not await _may_see(actor, customer):
        raise NotFound()  # someone else's checkout: don't even confirm it exists
    if session.get("status") != "complete" or not session.get("subscription"):
        raise DomainError("billing.errors.checkout_not_paid")
    change = await sync.sync_subscription(session["subscription"])
    await notices.after_sync(change)
    if change is not None and change.after["latest_invoice_id"]:
        await sync.sync_invoice(change.after["latest_invoice_id"])  # the receipt shows at once too
    found = await queries.subscription_by_stripe_id(session["subscription"])
    if found is None:
        raise DomainError("billing.errors.checkout_not_paid")
    return found


async def _may_see(actor: Actor, customer: dict[str, Any]) -> bool:
    if customer["user_id"] is not None:
        return customer["user_id"] == actor.user_id
    from backend.accounts import services as accounts
    from backend.billing import access

    role = await accounts.my_role(actor, customer["organization_id"])
    return access.can_manage_organization_billing(role)
