"""Changing plans predictably: upgrades now with the prorated charge shown first; downgrades and
cancellations at the period's end, undoable until then; the billing pages say what happens when."""

from __future__ import annotations

from backend.billing import services as billing
from backend.billing import stripe_api
from backend.billing.tables import Invoice
from tests.billing.helpers import customer_stripe_id, subscribe
from tests.fixtures import actor_of, csrf_token, gql, log_in

PREVIEW = """
query($input: ChangePlanInput!) {
  planChangePreview(input: $input) { timing amountDue { amount formatted } prorationDate lines { amount { amount } proration } nextAmount { amount } }
}
"""
CHANGE = """
mutation($input: ChangePlanInput!, $p: Int) {
  changePlan(input: $input, prorationDate: $p) { subscription { plan { code } pendingPlan { code } } errors { code message } }
}
"""


async def test_an_upgrade_charges_exactly_the_prorated_amount_it_previewed(sandbox, client, make_user):
    user = await make_user("upgrade@example.com")
    await subscribe(actor_of(user), "creator")
    await log_in(client, "upgrade@example.com")
    preview = (await gql(client, PREVIEW, {"input": {"plan": "professional"}}))["data"]["planChangePreview"]
    assert preview["timing"] == "IMMEDIATE"
    # Credit for unused Creator time, charge for the rest of the period on Professional.
    amounts = sorted(line["amount"]["amount"] for line in preview["lines"])
    assert amounts[0] < 0 < amounts[1] and all(line["proration"] for line in preview["lines"])
    assert 0 < preview["amountDue"]["amount"] <= 2999 - 999
    assert preview["nextAmount"]["amount"] == 2999
    done = await gql(client, CHANGE, {"input": {"plan": "professional"}, "p": preview["prorationDate"]})
    assert done["data"]["changePlan"]["errors"] == []
    assert done["data"]["changePlan"]["subscription"]["plan"]["code"] == "professional"
    charged = await Invoice.select().where(Invoice.billing_reason == "subscription_update").first()
    assert charged["amount_paid"] == preview["amountDue"]["amount"]
    assert (await billing.entitlements(user["id"])).has("collaboration")


async def test_a_downgrade_waits_for_the_period_end_and_can_be_dropped(sandbox, client, make_user):
    user = await make_user("down@example.com")
    actor = actor_of(user)
    await subscribe(actor, "professional")
    await log_in(client, "down@example.com")
    preview = (await gql(client, PREVIEW, {"input": {"plan": "creator"}}))["data"]["planChangePreview"]
    assert preview["timing"] == "PERIOD_END" and preview["amountDue"]["amount"] == 0
    done = await gql(client, CHANGE, {"input": {"plan": "creator"}})
    sub = done["data"]["changePlan"]["subscription"]
    assert sub["plan"]["code"] == "professional" and sub["pendingPlan"]["code"] == "creator"
    assert (await billing.entitlements(user["id"])).plan.code == "professional"  # paid for: kept
    page = await client.get("/billing")
    assert 'data-testid="pending-change"' in page.text and "No charge today" in page.text
    token = await csrf_token(client, "/billing")
    kept = await client.post("/billing/keep", data={"_csrf_token": token})
    assert kept.status_code == 303
    page = await client.get("/billing")
    assert 'data-testid="pending-change"' not in page.text and "staying on Professional" in page.text


async def test_the_scheduled_downgrade_happens_at_renewal_with_the_new_price(sandbox, make_user, workers):
    from tests.billing.helpers import drain, stripe_subscription_id

    user = await make_user("renewal@example.com")
    actor = actor_of(user)
    await subscribe(actor, "professional")
    await billing.change_plan(actor, None, billing.PlanChange("creator", "month"))
    await sandbox.control(f"subscriptions/{await stripe_subscription_id(user['id'])}/renew")
    await sandbox.idle()
    await drain()
    assert (await billing.entitlements(user["id"])).plan.code == "creator"
    renewal = await Invoice.select().where(Invoice.billing_reason == "subscription_cycle").first()
    assert renewal["total"] == 999 and renewal["status"] == "paid"


async def test_cancel_then_resume_through_the_pages_with_dates_shown(sandbox, client, make_user):
    user = await make_user("cancel@example.com")
    await subscribe(actor_of(user), "creator")
    await log_in(client, "cancel@example.com")
    page = await client.get("/billing/cancel")
    assert page.status_code == 200 and "won't be charged again" in page.text.replace("&#39;", "'")
    token = await csrf_token(client, "/billing/cancel")
    done = await client.post("/billing/cancel", data={"_csrf_token": token})
    assert done.status_code == 303
    page = await client.get("/billing")
    assert 'data-testid="ends-on"' in page.text and 'data-testid="resume"' in page.text
    assert (await billing.entitlements(user["id"])).plan.code == "creator"  # until the period ends
    stripe_sub = await stripe_api.client().v1.subscriptions.list_async(
        params={"customer": await customer_stripe_id(user["id"])}
    )
    assert stripe_sub.data[0].cancel_at_period_end is True
    token = await csrf_token(client, "/billing")
    await client.post("/billing/resume", data={"_csrf_token": token})
    page = await client.get("/billing")
    assert 'data-testid="renews-on"' in page.text and 'data-testid="ends-on"' not in page.text


async def test_upgrading_someone_elses_organization_is_not_possible(sandbox, client, make_user):
    await make_user("outsider@example.com")
    await log_in(client, "outsider@example.com")
    done = await gql(
        client, CHANGE, {"input": {"plan": "enterprise", "organizationId": "org_doesnotexist000000"}}
    )
    assert done["data"]["changePlan"]["errors"][0]["code"] == "NOT_FOUND"
    no_sub = await gql(client, CHANGE, {"input": {"plan": "professional"}})
    assert no_sub["data"]["changePlan"]["errors"][0]["code"] == "NO_SUBSCRIPTION"
