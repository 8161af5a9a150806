"""The emails billing sends, each exactly once (a ``Notice`` row keyed by what it is about).

They are decided from the mirrored state before and after a sync, never from an event alone, so a
failed payment that was already recovered by the time we heard of it sends nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backend.billing import queries
from backend.billing.sync import Change
from backend.billing.tables import Notice
from backend.core import clock, db, jobs
from backend.core.i18n import format_date, format_money, t
from backend.core.settings import get_settings
from backend.mail import services as mail

LIVE = ("active", "trialing", "past_due", "unpaid")


async def after_sync(change: Change | None) -> list[str]:
    """Send what the change calls for; returns the kinds sent (for tests and logs)."""
    if change is None:
        return []
    before, after = change.before, change.after
    sent = []
    key = after["stripe_id"]
    was = before or {}
    if after["status"] == "active" and was.get("status") not in ("active", "trialing", "past_due", "unpaid"):
        sent += await send(after, "subscription_started", f"started:{key}")
    if after["payment_failed_at"] and not was.get("payment_failed_at"):
        sent += await send(
            after, "payment_failed", f"payment_failed:{key}:{_day(after['payment_failed_at'])}"
        )
    if was.get("payment_failed_at") and not after["payment_failed_at"] and after["status"] == "active":
        sent += await send(after, "payment_recovered", f"recovered:{key}:{_day(was['payment_failed_at'])}")
    if after["cancel_at_period_end"] and not was.get("cancel_at_period_end") and after["status"] in LIVE:
        sent += await send(after, "cancel_scheduled", f"cancel:{key}:{_day(after['canceled_at'])}")
    if after["status"] == "canceled" and was.get("status") != "canceled":
        kind = "moved_to_free" if was.get("payment_failed_at") else "subscription_ended"
        sent += await send(after, kind, f"ended:{key}")
    return sent


async def grace_reminders() -> list[str]:
    """Remind those whose grace period ends within two days (once per failure)."""
    sent = []
    now = clock.now()
    for sub in await queries.in_grace(now):
        if clock.as_utc(sub["grace_until"]) - now <= timedelta(days=2):
            sent += await send(
                sub, "grace_ending", f"grace_ending:{sub['stripe_id']}:{_day(sub['payment_failed_at'])}"
            )
    return sent


def _day(value: Any) -> str:
    return clock.as_utc(value).date().isoformat() if value else "-"


async def send(sub: dict[str, Any], kind: str, key: str) -> list[str]:
    customer = await queries.customer_by_id(sub["customer"])
    if customer is None:
        return []
    locale = customer["locale"] or "en"
    params = _params(sub, locale)
    async with db.transaction():
        claimed = (
            await Notice.insert(
                Notice(key=key[:120], kind=kind, customer=customer["id"], created_at=clock.now())
            )
            .on_conflict(action="DO NOTHING")
            .returning(Notice.id)
        )
        if not claimed:
            return []
        _, job = await mail.queue_email(
            to=customer["email"],
            kind=f"billing_{kind}",
            locale=locale,
            user_id=customer["user_id"],
            subject=t(f"billing.email.{kind}.subject", locale, **params),
            body=t(f"billing.email.{kind}.body", locale, **params),
        )
    await jobs.dispatch(job)
    return [kind]


def _params(sub: dict[str, Any], locale: str) -> dict[str, Any]:
    base = get_settings().base_url
    when = sub["current_period_end"]
    grace = sub["grace_until"]
    return {
        "plan": t(f"billing.plans.{sub['plan']}.name", locale),
        "amount": format_money(int(sub["unit_amount"]) * int(sub["seats"] or 1), sub["currency"], locale),
        "date": format_date(clock.as_utc(when), locale, fmt="long") if when else "",
        "deadline": format_date(clock.as_utc(grace), locale, fmt="long") if grace else "",
        "link": f"{base}/billing",
        "days": get_settings().stripe.grace_days,
    }
