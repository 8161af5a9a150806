"""The Stripe sandbox behaves like Stripe where Cadenza depends on it, seen through the official SDK."""

from __future__ import annotations

import httpx
import pytest
import stripe

from backend.billing import services as billing
from backend.billing import stripe_api
from backend.billing.tables import WebhookEvent
from tests.billing.helpers import drain, subscribe
from tests.fixtures import actor_of


async def test_the_same_idempotency_key_replays_and_different_parameters_are_refused(sandbox):
    client = stripe_api.client()
    first = await client.v1.customers.create_async(
        params={"email": "a@example.com"}, options={"idempotency_key": "k1"}
    )
    again = await client.v1.customers.create_async(
        params={"email": "a@example.com"}, options={"idempotency_key": "k1"}
    )
    assert again.id == first.id
    with pytest.raises(stripe.IdempotencyError):
        await client.v1.customers.create_async(
            params={"email": "b@example.com"}, options={"idempotency_key": "k1"}
        )
    listed = await client.v1.customers.list_async(params={"limit": 10})
    assert [c.id for c in listed.data] == [first.id]


async def test_objects_are_shaped_like_stripes(sandbox, make_user):
    user = await make_user("shape@example.com")
    await subscribe(actor_of(user), "creator")
    client = stripe_api.client()
    subs = await client.v1.subscriptions.list_async(params={"limit": 1, "expand": ["data.schedule"]})
    sub = subs.data[0]
    assert sub.object == "subscription" and sub.status == "active" and isinstance(sub.created, int)
    item = sub["items"].data[0]
    assert (
        item.price.lookup_key == "cadenza_creator_month_eur"
        and item.current_period_end > item.current_period_start
    )
    invoice = (await client.v1.invoices.list_async(params={"limit": 1})).data[0]
    assert (
        invoice.object == "invoice"
        and invoice.status == "paid"
        and invoice.parent.subscription_details.subscription == sub.id
    )
    assert invoice.total_taxes[0].amount == round(999 * 0.19 / 1.19)  # VAT included in the EUR price


async def test_checkout_refuses_a_payment_method_that_does_not_take_the_currency(sandbox):
    client = stripe_api.client()
    price = await client.v1.prices.create_async(
        params={
            "currency": "usd",
            "unit_amount": 500,
            "recurring": {"interval": "month"},
            "product_data": {"name": "X"},
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await client.v1.checkout.sessions.create_async(
            params={
                "mode": "subscription",
                "line_items": [{"price": price.id, "quantity": 1}],
                "payment_method_types": ["card", "ideal"],
                "success_url": "http://example.com/ok",
            }
        )
    assert "ideal" in str(refused.value)


async def test_a_test_clock_renews_subscriptions_and_says_so_by_webhook(sandbox, make_user, workers):
    from datetime import timedelta

    from backend.billing.tables import Invoice

    user = await make_user("clock@example.com")
    await subscribe(actor_of(user), "creator")
    client = stripe_api.client()
    clock_object = await client.v1.test_helpers.test_clocks.create_async(params={})
    sub = (await client.v1.subscriptions.list_async(params={"limit": 1})).data[0]
    target = sub["items"].data[0].current_period_end + 60
    await client.v1.test_helpers.test_clocks.advance_async(clock_object.id, params={"frozen_time": target})
    await sandbox.idle()
    await drain()
    renewals = await Invoice.select().where(Invoice.billing_reason == "subscription_cycle")
    assert len(renewals) == 1 and renewals[0]["status"] == "paid"
    assert timedelta(days=27) < timedelta(seconds=target - sub["items"].data[0].current_period_start)


async def test_chaotic_delivery_still_converges_and_stores_each_event_once(sandbox, make_user, workers):
    await sandbox.control("webhooks", {"duplicates": 2, "max_delay_ms": 150, "reorder": True})
    user = await make_user("chaos@example.com")
    actor = actor_of(user)
    await subscribe(actor, "creator", confirm=False)
    await sandbox.idle()
    await drain()
    assert (await billing.entitlements(user["id"])).plan.code == "creator"
    delivered = {e["id"]: e["deliveries"] for e in await sandbox.events()}
    assert all(len(statuses) == 3 for statuses in delivered.values())  # each sent three times…
    assert await WebhookEvent.count() == len(delivered)  # …and stored once


async def test_the_hosted_pages_are_labelled_test_mode_and_speak_the_customers_language(sandbox, make_user):
    user = await make_user("ja@example.com", locale="ja")
    url = await billing.start_checkout(
        actor_of(user), None, billing.CheckoutRequest("creator", "month", "JPY")
    )
    async with httpx.AsyncClient() as http:
        page = (await http.get(url)).text
    assert "テストモード" in page and "コンビニ決済" not in page  # region eu: no konbini…
    assert "￥1,500" in page or "¥1,500" in page
