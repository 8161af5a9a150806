"""Driving billing like a customer would: Checkout on the sandbox's hosted page, plan changes through
Cadenza's services, Stripe-side events (renewals, card failures) through the sandbox's controls."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from backend.billing import queries
from backend.billing import services as billing
from backend.billing.tables import Customer, Invoice, Notice, Subscription, WebhookEvent
from backend.core.actor import Actor
from backend.core.tables import Job
from tests.billing.conftest import SandboxHandle


async def pay_checkout(url: str, *, method: str = "card", outcome: str = "pay") -> httpx.Response:
    """Press "Pay" (or use a declined card) on the sandbox's hosted Checkout page."""
    async with httpx.AsyncClient(timeout=30) as http:
        page = await http.get(url)
        assert page.status_code == 200, page.text[:500]
        return await http.post(url, data={"payment_method": method, "outcome": outcome})


def session_id_from(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text[:500]
    return response.headers["location"].split("session_id=", 1)[1]


async def subscribe(
    actor: Actor,
    plan: str = "creator",
    *,
    interval: str = "month",
    currency: str = "EUR",
    organization: str | None = None,
    seats: int = 1,
    confirm: bool = True,
) -> str:
    """Check out and pay; returns the Checkout Session id (applied at once unless ``confirm=False``)."""
    url = await billing.start_checkout(
        actor, organization, billing.CheckoutRequest(plan, interval, currency, seats)
    )
    session = session_id_from(await pay_checkout(url))
    if confirm:
        await billing.complete_checkout(actor, session)
    return session


async def stripe_subscription_id(user_id: int | None = None, organization_id: int | None = None) -> str:
    customer = (
        await queries.customer_of_organization(organization_id)
        if organization_id is not None
        else await queries.customer_of_user(user_id or 0)
    )
    assert customer is not None
    from backend.billing import stripe_api

    found = await stripe_api.client().v1.subscriptions.list_async(
        params={"customer": customer["stripe_id"], "status": "all", "limit": 1}
    )
    return found.data[0].id


async def customer_stripe_id(user_id: int) -> str:
    customer = await queries.customer_of_user(user_id)
    assert customer is not None and customer["stripe_id"]
    return customer["stripe_id"]


async def drain(within: float = 30.0) -> None:
    """Wait until every stored webhook event is processed and no billing job is pending."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        pending = await WebhookEvent.count().where(WebhookEvent.status == "received")
        running = await Job.count().where(
            Job.kind.is_in(["billing.process_event", "billing.reconcile", "billing.enforce_grace"]),
            Job.status.is_in(["queued", "running"]),
        )
        if not pending and not running:
            return
        if loop.time() > deadline:
            rows = await WebhookEvent.select(WebhookEvent.type, WebhookEvent.status, WebhookEvent.error)
            raise AssertionError(f"billing events not processed: {rows}")
        await asyncio.sleep(0.02)


async def wipe_mirror() -> None:
    """Forget what webhooks taught us (keep customers and prices, which Cadenza made itself)."""
    await Notice.delete(force=True)
    await Invoice.delete(force=True)
    await Subscription.delete(force=True)
    await WebhookEvent.delete(force=True)
    await Job.delete().where(Job.kind == "billing.process_event")


async def snapshot(user_id: int) -> dict[str, Any]:
    """What a customer would notice: their subscription, plan, and invoices."""
    customer = await Customer.select().where(Customer.user_id == user_id).first()
    sub = await queries.current_subscription(customer["id"]) if customer else None
    ent = await billing.entitlements(user_id)
    invoices = (
        await Invoice.select(Invoice.stripe_id, Invoice.status, Invoice.total, Invoice.amount_refunded)
        .where(Invoice.customer == customer["id"])
        .order_by(Invoice.stripe_id)
        if customer
        else []
    )
    return {
        "plan": sub and sub["plan"],
        "status": sub and sub["status"],
        "interval": sub and sub["interval"],
        "seats": sub and sub["seats"],
        "cancel_at_period_end": sub and sub["cancel_at_period_end"],
        "pending_plan": sub and sub["pending_plan"],
        "in_grace": bool(sub and sub["grace_until"]),
        "entitled": ent.plan.code,
        "invoices": [(i["stripe_id"], i["status"], i["total"], i["amount_refunded"]) for i in invoices],
    }


async def held_events(sandbox: SandboxHandle) -> list[str]:
    return [e["id"] for e in await sandbox.events(held=1)]


async def job_rows(kind: str) -> list[dict[str, Any]]:
    return await Job.select().where(Job.kind == kind).output(load_json=True)
