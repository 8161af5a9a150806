"""Every state-changing call to Stripe carries a key stored before the call: a retry after a lost
answer reuses it, and Stripe replays the first result instead of charging or subscribing twice."""

from __future__ import annotations

import pytest

from backend.billing import services as billing
from backend.billing import stripe_api
from backend.billing.tables import StripeRequest
from backend.core.errors import DomainError
from tests.billing.helpers import customer_stripe_id, subscribe
from tests.fixtures import actor_of


async def _sandbox_count(kind: str, **filters) -> int:
    client = stripe_api.client()
    service = {
        "invoices": client.v1.invoices,
        "subscriptions": client.v1.subscriptions,
        "customers": client.v1.customers,
    }[kind]
    found = await service.list_async(params={"limit": 100, **filters})
    return len(found.data)


async def test_an_upgrade_whose_answer_was_lost_is_retried_without_charging_twice(sandbox, make_user):
    user = await make_user("lost@example.com")
    actor = actor_of(user)
    await subscribe(actor, "creator")
    customer = await customer_stripe_id(user["id"])
    preview = await billing.preview_change(actor, None, billing.PlanChange("professional", "month"))
    assert preview.amount_due > 0
    await sandbox.control("faults", {"drop_responses": 1})  # Stripe does it, but we never hear back
    with pytest.raises(DomainError) as unknown:
        await billing.change_plan(actor, None, billing.PlanChange("professional", "month"))
    assert unknown.value.key == "billing.errors.stripe_unavailable"
    row = await StripeRequest.select().where(StripeRequest.kind == "change").first()
    assert row["status"] == "unknown"
    # The user tries again: the same stored key goes out, Stripe replays its first answer.
    sub = await billing.change_plan(actor, None, billing.PlanChange("professional", "month"))
    assert sub["plan"] == "professional"
    assert await StripeRequest.count().where(StripeRequest.kind == "change") == 1
    assert (await StripeRequest.select().where(StripeRequest.kind == "change").first())[
        "status"
    ] == "succeeded"
    invoices = await stripe_api.client().v1.invoices.list_async(params={"customer": customer, "limit": 100})
    reasons = sorted(i.billing_reason for i in invoices.data)
    assert reasons == ["subscription_create", "subscription_update"]  # one proration charge, not two
    assert await _sandbox_count("subscriptions", customer=customer) == 1


async def test_a_lost_answer_while_creating_the_customer_makes_no_second_customer(sandbox, make_user):
    user = await make_user("twice@example.com")
    actor = actor_of(user)
    await sandbox.control("faults", {"drop_responses": 1})
    with pytest.raises(DomainError):
        await billing.start_checkout(actor, None, billing.CheckoutRequest("creator", "month", "EUR"))
    url = await billing.start_checkout(actor, None, billing.CheckoutRequest("creator", "month", "EUR"))
    assert url
    assert await _sandbox_count("customers", email="twice@example.com") == 1


async def test_a_double_click_on_subscribe_opens_one_checkout_and_makes_one_subscription(sandbox, make_user):
    import asyncio

    user = await make_user("double@example.com")
    actor = actor_of(user)
    request = billing.CheckoutRequest("creator", "month", "EUR")
    first = await billing.start_checkout(actor, None, request)
    urls = await asyncio.gather(*(billing.start_checkout(actor, None, request) for _ in range(3)))
    assert set(urls) == {first}
    from tests.billing.helpers import pay_checkout, session_id_from

    await billing.complete_checkout(actor, session_id_from(await pay_checkout(first)))
    again = await pay_checkout(first)
    assert again.status_code == 200 and "sandbox-closed" in again.text  # a paid checkout can't be paid again
    assert await _sandbox_count("subscriptions", customer=await customer_stripe_id(user["id"])) == 1


async def test_a_declined_charge_gives_up_its_key_so_the_fixed_card_is_a_new_attempt(sandbox, make_user):
    user = await make_user("declined@example.com")
    actor = actor_of(user)
    await subscribe(actor, "creator")
    customer = await customer_stripe_id(user["id"])
    await sandbox.control(f"customers/{customer}/card", {"behaviour": "decline"})
    with pytest.raises(DomainError) as declined:
        await billing.change_plan(actor, None, billing.PlanChange("professional", "month"))
    assert declined.value.key == "billing.errors.card_declined"
    assert (await billing.entitlements(user["id"])).plan.code == "creator"  # nothing changed
    await sandbox.control(f"customers/{customer}/card", {"behaviour": "ok"})
    sub = await billing.change_plan(actor, None, billing.PlanChange("professional", "month"))
    assert sub["plan"] == "professional"
    paid = await stripe_api.client().v1.invoices.list_async(
        params={"customer": customer, "status": "paid", "limit": 100}
    )
    assert sorted(i.billing_reason for i in paid.data) == ["subscription_create", "subscription_update"]
