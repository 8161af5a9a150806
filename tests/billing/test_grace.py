"""A failed payment: a banner and an email, seven days with nothing lost, then Free — with every
file kept — and Stripe told to stop; or the card is fixed and all is as before."""

from __future__ import annotations

from datetime import timedelta

from backend.billing import services as billing
from backend.billing import stripe_api
from backend.billing.tables import Subscription
from backend.core import clock
from backend.mail.tables import OutboxEmail
from tests.billing.helpers import customer_stripe_id, drain, stripe_subscription_id, subscribe
from tests.fixtures import actor_of, log_in


async def _fail_renewal(sandbox, user) -> None:
    await sandbox.control(f"customers/{await customer_stripe_id(user['id'])}/card", {"behaviour": "decline"})
    await sandbox.control(f"subscriptions/{await stripe_subscription_id(user['id'])}/renew")
    await sandbox.idle()
    await drain()


async def _mail(kind: str) -> list[dict]:
    return await OutboxEmail.select().where(OutboxEmail.kind == f"billing_{kind}")


async def test_grace_period_then_free_with_stripe_in_step(sandbox, client, make_user, workers):
    user = await make_user("grace@example.com", locale="de")
    await subscribe(actor_of(user), "creator")
    await sandbox.control("webhooks", {"duplicates": 2})  # Stripe may send each event more than once
    await _fail_renewal(sandbox, user)

    ent = await billing.entitlements(user["id"])
    assert ent.plan.code == "creator" and ent.grace_until is not None
    assert timedelta(days=6, hours=23) < ent.grace_until - clock.now() <= timedelta(days=7)
    failed = await _mail("payment_failed")
    assert len(failed) == 1 and "Zahlung" in failed[0]["subject"]  # once, in the user's language
    await log_in(client, "grace@example.com")
    banner = await client.get("/billing/banner")
    assert banner.status_code == 200 and 'data-testid="payment-failed-banner"' in banner.text
    page = await client.get("/billing")
    assert 'data-testid="payment-failed"' in page.text and 'data-testid="fix-payment"' in page.text

    # Seven days later, still unpaid: Free at once, whatever the job's timing…
    later = clock.now() + timedelta(days=7, minutes=1)
    clock.set_clock(lambda: later)
    try:
        assert (await billing.entitlements(user["id"])).plan.code == "free"
        # …and the hourly job makes Stripe agree and says so by email.
        from backend.billing import grace

        result = await grace.enforce()
        await sandbox.idle()
        await drain()
    finally:
        clock.set_clock(None)
    assert result["ended"]
    stripe_sub = await stripe_api.client().v1.subscriptions.retrieve_async(
        await stripe_subscription_id(user["id"])
    )
    assert stripe_sub.status == "canceled"
    assert (await Subscription.select().first())["status"] == "canceled"
    assert len(await _mail("moved_to_free")) == 1
    assert (await billing.entitlements(user["id"])).plan.code == "free"


async def test_fixing_the_card_in_the_portal_ends_the_grace_period(sandbox, client, make_user, workers):
    import httpx

    user = await make_user("fixed@example.com")
    await subscribe(actor_of(user), "creator")
    await _fail_renewal(sandbox, user)
    portal = await billing.portal_url(actor_of(user), None, "http://testserver.local/billing")
    async with httpx.AsyncClient() as http:
        page = await http.get(portal)
        assert 'data-testid="portal-update-card"' in page.text
        assert (await http.post(f"{portal}/card")).status_code == 303
    await sandbox.idle()
    await drain()
    ent = await billing.entitlements(user["id"])
    assert ent.plan.code == "creator" and ent.grace_until is None
    assert len(await _mail("payment_recovered")) == 1
    await log_in(client, "fixed@example.com")
    assert (await client.get("/billing/banner")).status_code == 204


async def test_a_grace_reminder_goes_out_once_near_the_deadline(sandbox, make_user, workers):
    from backend.billing import notices

    user = await make_user("remind@example.com")
    await subscribe(actor_of(user), "creator")
    await _fail_renewal(sandbox, user)
    assert await notices.grace_reminders() == []  # seven days left: not yet
    soon = clock.now() + timedelta(days=5, hours=12)
    clock.set_clock(lambda: soon)
    try:
        assert await notices.grace_reminders() == ["grace_ending"]
        assert await notices.grace_reminders() == []
    finally:
        clock.set_clock(None)
    assert len(await _mail("grace_ending")) == 1
