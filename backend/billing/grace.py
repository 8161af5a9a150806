"""The end of a grace period: seven days after a payment failed and still unpaid, the subscription
is cancelled at Stripe (so Stripe stops retrying and both sides agree) and the customer is on Free.

Entitlements already stop counting the subscription the moment the grace period ends (they read
``grace_until``); this job makes Stripe agree and sends the emails. Nothing is deleted.
"""

from __future__ import annotations

import logging
from typing import Any

from backend.billing import idempotency, notices, queries, stripe_api, sync
from backend.core import clock
from backend.core.errors import DomainError

log = logging.getLogger(__name__)


async def enforce() -> dict[str, Any]:
    ended = []
    stripe = stripe_api.client()
    for sub in await queries.past_grace(clock.now()):

        async def cancel(options: dict[str, Any], sid: str = sub["stripe_id"]) -> Any:
            return await stripe.v1.subscriptions.cancel_async(sid, options=options)  # type: ignore[arg-type]

        try:
            await idempotency.stripe_call(
                "grace_cancel", (sub["stripe_id"],), cancel, subject=f"sub:{sub['id']}"
            )
        except DomainError:
            log.warning("could not cancel %s after its grace period; will retry", sub["stripe_id"])
            continue
        change = await sync.sync_subscription(sub["stripe_id"])
        await notices.after_sync(change)
        ended.append(sub["stripe_id"])
    reminded = await notices.grace_reminders()
    return {"ended": ended, "reminded": len(reminded)}
