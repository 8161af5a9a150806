"""The daily email digest: what happened since yesterday, sent at 8 in the morning of each user's own
time zone, in their language, through the mail outbox.

An hourly job looks at users with unread notifications from the last day. Each user gets at most one
digest per local day: the ``social_digest`` row (unique per user and day) is written in the same
transaction as the outbox email, so a job that runs twice sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.accounts import services as accounts
from backend.core import clock, db, jobs
from backend.core.actor import Actor
from backend.core.i18n import t
from backend.core.settings import get_settings
from backend.mail import services as mail
from backend.social import notifications, queries, texts
from backend.social.tables import Digest

DIGEST_HOUR = 8
MAX_ITEMS = 15
BATCH = 500


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


async def send_digests(now: datetime | None = None, *, local_hour: int | None = DIGEST_HOUR) -> int:
    """Queue today's digests for users whose local hour is ``local_hour`` (any hour if None)."""
    now = now or clock.now()
    since = now - timedelta(days=1)
    sent, after = 0, 0
    while True:
        user_ids = await queries.users_with_recent_unread(since, after, BATCH)
        if not user_ids:
            return sent
        after = user_ids[-1]
        users = {u["id"]: u for u in await accounts.get_users(user_ids)}
        settings = await queries.settings_of_many(user_ids)
        for user_id in user_ids:
            user = users.get(user_id)
            if user is None or not user["is_active"] or user["email_confirmed_at"] is None:
                continue
            if settings.get(user_id, {}).get("digest") is False:
                continue
            local = now.astimezone(_zone(user["time_zone"]))
            if local_hour is not None and local.hour != local_hour:
                continue
            if await send_one(user, settings.get(user_id), since, local.date()):
                sent += 1


async def send_one(user: dict[str, Any], prefs: dict[str, Any] | None, since: datetime, day: Any) -> bool:
    if await queries.digest_exists(user["id"], day):
        return False
    rows = await queries.notifications_of(user["id"], 100, None, unread_only=True)
    rows = [r for r in rows if r["created_at"] >= since and notifications.wants_by_email(prefs, r["kind"])]
    if not rows:
        return False
    lines = await _lines(user, rows[:MAX_ITEMS])
    locale = user["locale"]
    base = get_settings().base_url
    more = len(rows) - MAX_ITEMS
    body = "\n".join(
        [
            t("social.digest.greeting", locale, name=user["display_name"]),
            "",
            t("social.digest.intro", locale, count=len(rows)),
            "",
            *lines,
            *([t("social.digest.more", locale, count=more)] if more > 0 else []),
            "",
            t("social.digest.see_all", locale, link=f"{base}/notifications"),
            t("social.digest.preferences", locale, link=f"{base}/settings/notifications"),
        ]
    )
    async with db.transaction():
        claimed = (
            await Digest.insert(
                Digest(user_id=user["id"], day=day, notification_count=len(rows), created_at=clock.now())
            )
            .on_conflict(action="DO NOTHING")
            .returning(Digest.id)
        )
        if not claimed:
            return False
        email, job = await mail.queue_email(
            to=user["email"],
            kind="social_digest",
            locale=locale,
            user_id=user["id"],
            subject=t("social.digest.subject", locale, count=len(rows)),
            body=body,
        )
        await Digest.update({Digest.email_id: email["public_id"]}).where(Digest.id == claimed[0]["id"])
    await jobs.dispatch(job)
    return True


async def _lines(user: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    recipient = Actor.from_user_row(user)
    actors = {u["id"]: u for u in await accounts.get_users([r["actor_id"] for r in rows if r["actor_id"]])}
    releases = {
        r["id"]: r for r in await queries.releases_by_ids([r["release_id"] for r in rows if r["release_id"]])
    }
    comments = {
        c["id"]: c for c in await queries.comments_by_ids([r["comment_id"] for r in rows if r["comment_id"]])
    }
    base = get_settings().base_url
    lines = []
    for row in rows:
        message, url = texts.describe(
            row,
            recipient=recipient,
            actor_user=actors.get(row["actor_id"]),
            release=releases.get(row["release_id"]),
            comment=comments.get(row["comment_id"]),
            locale=user["locale"],
        )
        lines.append(f"- {message}" + (f"\n  {base}{url}" if url else ""))
    return lines
