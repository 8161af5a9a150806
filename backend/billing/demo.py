"""The demo creator is on Professional through a real subscription in the Stripe sandbox (or a
Stripe test account): customer, card, price and subscription made through the SDK like any other.

In ``cadenza dev`` the sandbox is served by the web process, which is not up yet when demo data is
seeded: then a ``billing.seed_demo`` job finishes the work once it is.
"""

from __future__ import annotations

import logging
from typing import Any

from backend.accounts import services as accounts
from backend.billing import catalog, customers, idempotency, queries, stripe_api, sync
from backend.billing.customers import Subject
from backend.billing.plans import PROFESSIONAL
from backend.billing.regional import currency_for
from backend.billing.stripe_api import StripeUnavailable
from backend.billing.tables import LIVE_STATUSES
from backend.core import jobs

log = logging.getLogger(__name__)

DEMO_EMAIL = "creator@demo.cadenza.local"


async def seed() -> None:
    try:
        await seed_subscription()
    except StripeUnavailable:
        log.info("Stripe sandbox not reachable yet: the demo subscription will be made by a job")
        await jobs.enqueue("billing.seed_demo", subject="demo")


async def seed_subscription() -> dict[str, Any]:
    user = await accounts.find_user_by_email(DEMO_EMAIL)
    if user is None:
        return {"skipped": "no demo creator"}
    subject = Subject(
        "user",
        user["id"],
        user["public_id"],
        user["display_name"],
        user["email"],
        user["locale"],
        user["region"],
    )
    existing = await customers.find(subject)
    current = await queries.current_subscription(existing["id"]) if existing else None
    if current is not None and current["status"] in LIVE_STATUSES:
        return {"skipped": "already subscribed"}
    customer = await customers.ensure(subject)
    stripe = stripe_api.client()
    card = await idempotency.stripe_call(
        "demo_card",
        (customer["stripe_id"],),
        lambda options: stripe.v1.payment_methods.attach_async(
            "pm_card_visa",
            params={"customer": customer["stripe_id"]},
            options=options,  # type: ignore[arg-type]
        ),
        subject=subject.key,
    )
    await idempotency.stripe_call(
        "demo_default_card",
        (customer["stripe_id"], card.id),
        lambda options: stripe.v1.customers.update_async(
            customer["stripe_id"],
            params={"invoice_settings": {"default_payment_method": card.id}},
            options=options,  # type: ignore[arg-type]
        ),
        subject=subject.key,
    )
    currency = currency_for(user["region"], user["locale"])
    price = await catalog.price_id(PROFESSIONAL, "month", currency)
    created = await idempotency.stripe_call(
        "demo_subscription",
        (customer["public_id"], price),
        lambda options: stripe.v1.subscriptions.create_async(
            params={
                "customer": customer["stripe_id"],
                "items": [{"price": price, "quantity": 1}],
                "payment_behavior": "error_if_incomplete",
                "automatic_tax": {"enabled": True},
                "metadata": {"cadenza_customer": customer["public_id"], "cadenza_plan": "professional"},
            },
            options=options,  # type: ignore[arg-type]
        ),
        subject=subject.key,
    )
    change = await sync.sync_subscription(created.id)
    if change is not None and change.after["latest_invoice_id"]:
        await sync.sync_invoice(change.after["latest_invoice_id"])
    return {"subscription": created.id}
