"""The nightly reconciliation finds what webhooks never told us and repairs it."""

from __future__ import annotations

from backend.billing import reconcile, stripe_api
from backend.billing import services as billing
from backend.billing.tables import Subscription
from tests.billing.helpers import stripe_subscription_id, subscribe, wipe_mirror
from tests.fixtures import actor_of, create_user, gql, log_in, wait_for_job


async def test_drift_is_repaired_from_stripe(sandbox, make_user):
    user = await make_user("drift@example.com")
    await subscribe(actor_of(user), "creator")
    await sandbox.hold()  # from here on, webhooks are lost
    stripe_id = await stripe_subscription_id(user["id"])
    # Someone changes the subscription in Stripe's dashboard.
    await stripe_api.client().v1.subscriptions.update_async(stripe_id, params={"cancel_at_period_end": True})
    local = await Subscription.select().first()
    assert local["cancel_at_period_end"] is False
    stats = await reconcile.run()
    assert stats["repaired"] == 1
    assert (await Subscription.select().first())["cancel_at_period_end"] is True
    assert (await reconcile.run())["repaired"] == 0  # nothing left to repair


async def test_a_subscription_we_never_heard_of_is_created_and_one_that_vanished_is_ended(sandbox, make_user):
    user = await make_user("unknown@example.com")
    await subscribe(actor_of(user), "creator")
    await wipe_mirror()  # as if every webhook had been lost
    assert (await billing.entitlements(user["id"])).plan.code == "free"
    stats = await reconcile.run()
    assert stats["created"] == 1
    assert (await billing.entitlements(user["id"])).plan.code == "creator"
    await sandbox.control("reset")  # Stripe forgets it (test data deleted)
    stats = await reconcile.run()
    assert stats["vanished"] == 1
    assert (await billing.entitlements(user["id"])).plan.code == "free"


async def test_admins_start_it_on_demand_as_a_job_on_the_money_queue(sandbox, client, make_user, workers):
    await create_user("admin@example.com", role="admin")
    await make_user("user@example.com")
    await log_in(client, "user@example.com")
    refused = await gql(client, "mutation { reconcileBilling { jobId errors { code } } }")
    assert refused["data"]["reconcileBilling"]["errors"][0]["code"] == "NOT_FOUND"
    client.cookies.clear()
    await log_in(client, "admin@example.com")
    started = await gql(client, "mutation { reconcileBilling { jobId errors { code } } }")
    job = await wait_for_job(started["data"]["reconcileBilling"]["jobId"])
    assert job["status"] == "done" and job["queue"] == "money"
    assert job["result"]["checked"] == 0
