"""Billing's jobs, all on the ``money`` queue (short timeouts), and their schedule.

``CRON_JOBS`` follows the code base's convention (``workers/settings.py: domain_crons``): each entry
is an arq cron that only creates a job row, so every run is recorded and retried like any job, and
the work itself runs on the ``money`` queue's worker.
"""

from __future__ import annotations

from typing import Any

from backend.core import jobs
from backend.core.jobs import JobContext, job


@jobs.warm_up_on("money")
async def build_stripe_client() -> None:
    """The first webhook after a start is often a customer's paid Checkout: build the Stripe client
    (an HTTP client with its TLS context, ~0.5 s) before it arrives, not in its job."""
    from backend.billing import stripe_api

    stripe_api.client()


@job(queue="money", timeout=30, retries=8)
async def process_event(ctx: JobContext, event_id: str) -> dict[str, Any]:
    """Mirror what one stored Stripe event is about (idempotent; order doesn't matter)."""
    from backend.billing import webhooks

    return await webhooks.process(event_id)


@job(queue="money", timeout=600, retries=3)
async def reconcile(ctx: JobContext) -> dict[str, Any]:
    """Compare every mirrored subscription with Stripe's and repair drift."""
    from backend.billing import reconcile as reconciliation

    return await reconciliation.run()


@job(queue="money", timeout=120, retries=3)
async def enforce_grace(ctx: JobContext) -> dict[str, Any]:
    """End subscriptions whose grace period is over; remind those whose is ending; and re-queue any
    stored webhook event whose processing was lost (belt and braces: the jobs sweep does too)."""
    from backend.billing import grace, reconcile

    return {**await grace.enforce(), "requeued": await reconcile.requeue_stuck_events()}


@job(queue="money", timeout=60, retries=12)
async def seed_demo(ctx: JobContext) -> dict[str, Any]:
    """The demo creator's sandbox subscription, when Stripe wasn't reachable at seeding time."""
    from backend.billing import demo
    from backend.billing.stripe_api import StripeUnavailable

    try:
        return await demo.seed_subscription()
    except StripeUnavailable as exc:
        # Not a refusal: the embedded sandbox starts with the web server. Try again shortly.
        raise RuntimeError("Stripe sandbox not reachable yet") from exc


async def _nightly_reconcile(ctx: dict[str, Any]) -> None:
    await jobs.enqueue("billing.reconcile", subject="nightly")


async def _grace_check(ctx: dict[str, Any]) -> None:
    await jobs.enqueue("billing.enforce_grace", subject="hourly")


CRON_JOBS = [
    {
        "coroutine": _nightly_reconcile,
        "name": "billing.nightly_reconcile",
        "hour": {3},
        "minute": {17},
        "second": {0},
        "timeout": 30,
    },
    {"coroutine": _grace_check, "name": "billing.grace_check", "minute": {5}, "second": {0}, "timeout": 30},
]
