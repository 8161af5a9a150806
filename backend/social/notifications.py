"""Notifications: stored per recipient, pushed live on Redis pub/sub, summed up in a daily digest.

Other domains call ``notify()`` through ``backend.social.services``. A notification stores ids, never
copies of text: what it says is worked out when it is read, so a release made private later is not
named in a notification any more (see ``access.can_view_release``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from backend.core import clock, db, events
from backend.core.actor import Actor
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.core.pagination import Page, int_after, make_page, page_size
from backend.social import queries
from backend.social.tables import NOTIFICATION_KINDS, Notification, NotificationSettings

UNREAD_CAP = 100
# Kinds where a second, identical, still-unread notification adds nothing (like, unlike, like...).
COLLAPSING = frozenset({"follow", "like", "repost"})
_KIND = re.compile(r"^[a-z][a-z_]{1,19}$")


def channel(user_id: int) -> str:
    return f"social:notifications:{user_id}"


def valid_kind(kind: str) -> bool:
    return bool(_KIND.match(kind))


async def preferences(user_id: int) -> dict[str, Any]:
    row = await queries.settings_of(user_id)
    if row is None:
        return {"user_id": user_id, "app_off": [], "email_off": [], "digest": True}
    return row


def wants_in_app(settings: dict[str, Any] | None, kind: str) -> bool:
    return settings is None or kind not in (settings.get("app_off") or [])


def wants_by_email(settings: dict[str, Any] | None, kind: str) -> bool:
    if settings is None:
        return True
    return bool(settings.get("digest", True)) and kind not in (settings.get("email_off") or [])


async def notify(
    user_id: int,
    kind: str,
    *,
    actor_id: int | None = None,
    release_id: int | None = None,
    comment_id: int | None = None,
    message_key: str | None = None,
    params: dict[str, Any] | None = None,
    url: str | None = None,
    dedupe_key: str | None = None,
) -> dict[str, Any] | None:
    """Tell ``user_id`` about something, unless they turned that kind off. Returns the row or None.

    Kinds of this domain render with their own text; another domain's kind passes ``message_key``
    (a translation key) with ``params`` and a relative ``url`` to open. Call it after your own
    transaction commits: the live push goes out at once.
    """
    if not valid_kind(kind):
        raise ValueError(f"bad notification kind {kind!r}")
    if actor_id is not None and actor_id == user_id:
        return None  # nobody is told about their own actions
    if not wants_in_app(await queries.settings_of(user_id), kind):
        return None
    if kind in COLLAPSING and await queries.has_unread_like(user_id, kind, actor_id, release_id):
        return None
    data: dict[str, Any] = {}
    if message_key:
        data["message_key"] = message_key
        data["params"] = params or {}
    if url:
        data["url"] = url if url.startswith("/") and not url.startswith("//") else ""
    row: dict[str, Any] = {
        "public_id": new_id("ntf"),
        "user_id": user_id,
        "kind": kind,
        "actor_id": actor_id,
        "release_id": release_id,
        "comment_id": comment_id,
        "data": data,
        "dedupe_key": dedupe_key,
        "created_at": clock.now(),
    }
    inserted = (
        await Notification.insert(Notification(**row))
        .on_conflict(target=Notification.dedupe_key, action="DO NOTHING")
        .returning(Notification.id)
    )
    if not inserted:
        return None
    row["id"] = inserted[0]["id"]
    await push(user_id, row["public_id"])
    return row


async def notify_many(
    user_ids: Iterable[int],
    kind: str,
    *,
    actor_id: int | None,
    release_id: int | None,
    dedupe_prefix: str,
) -> int:
    """The same news for many people at once (a release to its creator's followers), in one insert.

    ``dedupe_prefix`` + the recipient makes each row unique, so a fan-out job that runs twice
    notifies nobody twice."""
    ids = [u for u in user_ids if u != actor_id]
    if not ids:
        return 0
    settings = await queries.settings_of_many(ids)
    now = clock.now()
    rows = [
        Notification(
            public_id=new_id("ntf"),
            user_id=uid,
            kind=kind,
            actor_id=actor_id,
            release_id=release_id,
            data={},
            dedupe_key=f"{dedupe_prefix}:{uid}",
            created_at=now,
        )
        for uid in ids
        if wants_in_app(settings.get(uid), kind)
    ]
    if not rows:
        return 0
    inserted = (
        await Notification.insert(*rows)
        .on_conflict(target=Notification.dedupe_key, action="DO NOTHING")
        .returning(Notification.user_id, Notification.public_id)
    )
    for item in inserted:
        await push(item["user_id"], item["public_id"])
    return len(inserted)


async def push(user_id: int, notification_public_id: str | None, unread: int | None = None) -> None:
    payload: dict[str, Any] = {"id": notification_public_id}
    if unread is not None:
        payload["unread"] = unread
    await events.publish(channel(user_id), payload)


async def unread_count(user_id: int) -> int:
    return await queries.unread_count(user_id, UNREAD_CAP)


async def list_for(
    actor: Actor, first: int | None, after: str | None, unread_only: bool = False
) -> Page[dict[str, Any]]:
    size = page_size(first)
    rows = await queries.notifications_of(actor.user_id, size + 1, int_after(after), unread_only)
    return make_page(rows, size, lambda r: r["id"])


async def get_for(actor: Actor, public_id: str) -> dict[str, Any] | None:
    row = await queries.notification_by_public_id(public_id)
    if row is None or row["user_id"] != actor.user_id:
        return None
    return row


async def mark_read(actor: Actor, ids: list[str] | None, everything: bool) -> int:
    """Mark some (or all) of the actor's notifications read; returns the new unread count."""
    if not everything and not ids:
        raise DomainError("social.errors.nothing_selected", field="ids")
    query = Notification.update({Notification.read_at: clock.now()}).where(
        Notification.user_id == actor.user_id, Notification.read_at.is_null()
    )
    if not everything:
        query = query.where(Notification.public_id.is_in(list(ids or [])[:100]))
    await query
    unread = await unread_count(actor.user_id)
    await push(actor.user_id, None, unread)  # the actor's other tabs update their bell too
    return unread


async def update_preferences(
    actor: Actor, *, app_off: list[str], email_off: list[str], digest: bool
) -> dict[str, Any]:
    known = set(NOTIFICATION_KINDS)
    for name, values in (("appOff", app_off), ("emailOff", email_off)):
        if any(v not in known for v in values):
            raise DomainError("social.errors.notification_kind_unknown", field=name)
    now = clock.now()
    changes: dict[str, Any] = {
        "app_off": sorted(set(app_off)),
        "email_off": sorted(set(email_off)),
        "digest": bool(digest),
        "updated_at": now,
    }
    async with db.transaction():
        await NotificationSettings.insert(NotificationSettings(user_id=actor.user_id, **changes)).on_conflict(
            target=NotificationSettings.user_id, action="DO NOTHING"
        )
        await NotificationSettings.update(
            {getattr(NotificationSettings, k): v for k, v in changes.items()}
        ).where(NotificationSettings.user_id == actor.user_id)
    return await preferences(actor.user_id)
