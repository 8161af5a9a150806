"""Every webhook sequence that matters, delivered in order, reversed, shuffled, duplicated three
times and all at once, ends in the same subscription and entitlements.

Each scenario runs against the sandbox with webhooks held back. Then, for each delivery order, our
mirror is wiped and the same signed events are delivered to ``/webhooks/stripe`` in that order; the
money worker processes them; what the customer would see must equal the scenario's expected end.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from backend.billing import services as billing
from tests.billing.helpers import (
    customer_stripe_id,
    drain,
    held_events,
    snapshot,
    stripe_subscription_id,
    subscribe,
    wipe_mirror,
)
from tests.fixtures import actor_of


def in_order(ids: list[str]) -> list[str]:
    return list(ids)


def reversed_order(ids: list[str]) -> list[str]:
    return list(reversed(ids))


def shuffled(ids: list[str]) -> list[str]:
    out = list(ids)
    random.Random(7).shuffle(out)
    return out


def three_times(ids: list[str]) -> list[str]:
    out = [i for i in ids for _ in range(3)]
    random.Random(11).shuffle(out)
    return out


ORDERS: list[tuple[str, Callable[[list[str]], list[str]], bool]] = [
    ("in order", in_order, False),
    ("reversed", reversed_order, False),
    ("shuffled", shuffled, False),
    ("three times, shuffled", three_times, False),
    ("all at once", in_order, True),
]


async def _portal_fix_card(sandbox, customer: str) -> None:
    """The customer updates their card in the portal: Stripe retries the open invoice."""
    from backend.billing import stripe_api

    session = await stripe_api.client().v1.billing_portal.sessions.create_async(params={"customer": customer})
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{session.url}/card")
        assert response.status_code == 303


async def subscribe_only(sandbox, actor) -> None:
    await subscribe(actor, "creator")


async def upgrade(sandbox, actor) -> None:
    await subscribe(actor, "creator")
    await billing.change_plan(actor, None, billing.PlanChange("professional", "month"))


async def downgrade(sandbox, actor) -> None:
    await subscribe(actor, "professional")
    await billing.change_plan(actor, None, billing.PlanChange("creator", "month"))
    await sandbox.control(f"subscriptions/{await stripe_subscription_id(actor.user_id)}/renew")


async def downgrade_scheduled(sandbox, actor) -> None:
    await subscribe(actor, "professional")
    await billing.change_plan(actor, None, billing.PlanChange("creator", "month"))


async def cancel(sandbox, actor) -> None:
    await subscribe(actor, "creator")
    await billing.cancel_subscription(actor)


async def cancel_and_period_ends(sandbox, actor) -> None:
    await subscribe(actor, "creator")
    await billing.cancel_subscription(actor)
    await sandbox.control(f"subscriptions/{await stripe_subscription_id(actor.user_id)}/renew")


async def resume(sandbox, actor) -> None:
    await subscribe(actor, "creator")
    await billing.cancel_subscription(actor)
    await billing.resume_subscription(actor)


async def payment_failed(sandbox, actor) -> None:
    await subscribe(actor, "creator")
    await sandbox.control(
        f"customers/{await customer_stripe_id(actor.user_id)}/card", {"behaviour": "decline"}
    )
    await sandbox.control(f"subscriptions/{await stripe_subscription_id(actor.user_id)}/renew")


async def recovered(sandbox, actor) -> None:
    await payment_failed(sandbox, actor)
    await _portal_fix_card(sandbox, await customer_stripe_id(actor.user_id))


async def expired_card(sandbox, actor) -> None:
    await subscribe(actor, "creator")
    await sandbox.control(
        f"customers/{await customer_stripe_id(actor.user_id)}/card", {"behaviour": "expired"}
    )
    await sandbox.control(f"subscriptions/{await stripe_subscription_id(actor.user_id)}/renew")


async def refund(sandbox, actor) -> None:
    from backend.billing.tables import Invoice
    from tests.fixtures import create_user

    await subscribe(actor, "creator")
    invoice = await Invoice.select().first()
    admin = actor_of(await create_user("refunds@example.com", role="admin"))
    await billing.refund_invoice(admin, invoice["public_id"])


# scenario, then what the customer sees at the end (invoices checked separately)
SCENARIOS: dict[str, tuple[Callable[..., Awaitable[None]], dict[str, Any]]] = {
    "subscribe": (
        subscribe_only,
        {
            "plan": "creator",
            "status": "active",
            "entitled": "creator",
            "cancel_at_period_end": False,
            "in_grace": False,
            "pending_plan": "",
        },
    ),
    "upgrade": (
        upgrade,
        {"plan": "professional", "status": "active", "entitled": "professional", "pending_plan": ""},
    ),
    "downgrade (scheduled)": (
        downgrade_scheduled,
        {"plan": "professional", "status": "active", "entitled": "professional", "pending_plan": "creator"},
    ),
    "downgrade (period ended)": (
        downgrade,
        {"plan": "creator", "status": "active", "entitled": "creator", "pending_plan": ""},
    ),
    "cancel": (
        cancel,
        {"plan": "creator", "status": "active", "cancel_at_period_end": True, "entitled": "creator"},
    ),
    "cancel (period ended)": (
        cancel_and_period_ends,
        {"plan": "creator", "status": "canceled", "entitled": "free"},
    ),
    "resume": (
        resume,
        {"plan": "creator", "status": "active", "cancel_at_period_end": False, "entitled": "creator"},
    ),
    "payment failed": (
        payment_failed,
        {"plan": "creator", "status": "past_due", "in_grace": True, "entitled": "creator"},
    ),
    "recovered": (
        recovered,
        {"plan": "creator", "status": "active", "in_grace": False, "entitled": "creator"},
    ),
    "expired card": (
        expired_card,
        {"plan": "creator", "status": "past_due", "in_grace": True, "entitled": "creator"},
    ),
    "refund": (refund, {"plan": "creator", "status": "active", "entitled": "creator"}),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_any_delivery_order_ends_in_the_same_state(name, sandbox, make_user, workers):
    scenario, expected = SCENARIOS[name]
    user = await make_user("sequence@example.com")
    actor = actor_of(user)
    await sandbox.hold()
    await scenario(sandbox, actor)
    events = await held_events(sandbox)
    assert len(events) >= 5, events
    results = {}
    for label, order, concurrent in ORDERS:
        await wipe_mirror()
        assert (await snapshot(user["id"]))["entitled"] == "free"  # only webhooks can teach us now
        statuses = await sandbox.deliver(order(events), concurrent=concurrent)
        assert set(statuses) == {200}, (label, statuses)
        await drain()
        results[label] = await snapshot(user["id"])
    first = results["in order"]
    for key, value in expected.items():
        assert first[key] == value, (name, key, first)
    for label, result in results.items():
        assert result == first, (name, label, result, first)
    if name == "refund":
        assert first["invoices"][0][3] == first["invoices"][0][2] > 0  # refunded in full, recorded once
    if name == "upgrade":
        assert len(first["invoices"]) == 2 and all(i[1] == "paid" for i in first["invoices"])
