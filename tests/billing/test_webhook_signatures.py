"""Only Stripe's signed, fresh, untouched deliveries are accepted: anything else is a 400 that
stores nothing, queues nothing and changes nothing."""

from __future__ import annotations

import json
import time

import pytest

from backend.billing import services as billing
from backend.billing.tables import Subscription, WebhookEvent
from backend.core.tables import Job
from stripe_sandbox.webhooks import sign
from tests.billing.conftest import WEBHOOK_SECRET
from tests.billing.helpers import drain, held_events, subscribe
from tests.fixtures import actor_of


async def _completed_event(sandbox, make_user) -> tuple[dict, bytes]:
    user = await make_user("signed@example.com")
    await sandbox.hold()
    await subscribe(actor_of(user), "creator", confirm=False)
    events = [e for e in await sandbox.events(held=1) if e["type"] == "checkout.session.completed"]
    payload = sandbox.app.deliverer.payload(events[0]["id"])
    return user, payload


async def _nothing_changed(user) -> None:
    assert await WebhookEvent.count() == 0
    assert await Job.count().where(Job.kind == "billing.process_event") == 0
    assert await Subscription.count() == 0
    assert (await billing.entitlements(user["id"])).plan.code == "free"


async def _post(client, payload: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return await client.post("/webhooks/stripe", content=payload, headers=headers)


@pytest.mark.parametrize(
    "case",
    [
        "forged secret",
        "tampered body",
        "stale timestamp",
        "no signature",
        "garbage signature",
        "signature of another body",
    ],
)
async def test_a_bad_signature_is_refused_with_400_and_changes_nothing(
    case, sandbox, client, make_user, workers
):
    user, payload = await _completed_event(sandbox, make_user)
    now = int(time.time())
    body, signature = payload, sign(payload, WEBHOOK_SECRET, now)
    if case == "forged secret":
        signature = sign(payload, "whsec_someone_else", now)
    elif case == "tampered body":
        event = json.loads(payload)
        event["data"]["object"]["amount_total"] = 1
        body = json.dumps(event, separators=(",", ":")).encode()
    elif case == "stale timestamp":
        signature = sign(payload, WEBHOOK_SECRET, now - 301)
    elif case == "no signature":
        signature = None
    elif case == "garbage signature":
        signature = "t=abc,v1=zzz"
    elif case == "signature of another body":
        signature = sign(b'{"id":"evt_other"}', WEBHOOK_SECRET, now)
    response = await _post(client, body, signature)
    assert response.status_code == 400, (case, response.text)
    assert response.json()["error"]["code"] == "BAD_SIGNATURE"
    await drain()
    await _nothing_changed(user)


async def test_a_valid_delivery_is_stored_once_however_often_it_arrives(sandbox, client, make_user, workers):
    user, payload = await _completed_event(sandbox, make_user)
    for _ in range(3):
        response = await _post(client, payload, sign(payload, WEBHOOK_SECRET))
        assert response.status_code == 200
    await drain()
    assert await WebhookEvent.count() == 1
    assert await Job.count().where(Job.kind == "billing.process_event") == 1
    assert (await billing.entitlements(user["id"])).plan.code == "creator"


async def test_the_sandbox_signs_like_stripe_and_the_sdk_agrees(sandbox, make_user):
    import stripe

    user, payload = await _completed_event(sandbox, make_user)
    event = stripe.Webhook.construct_event(
        payload, sign(payload, WEBHOOK_SECRET), WEBHOOK_SECRET, tolerance=300
    )
    assert event.type == "checkout.session.completed"
    assert isinstance(event.created, int)
    assert len(await held_events(sandbox)) > 3
