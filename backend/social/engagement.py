"""Likes, reposts and timed comments. Each change moves its counter in the same transaction and, once
committed, tells the release's owner."""

from __future__ import annotations

from typing import Any

from backend.core import clock, db, jobs, ratelimit
from backend.core.actor import Actor
from backend.core.errors import DomainError, NotFound, RateLimited
from backend.core.ids import new_id
from backend.core.pagination import Page, int_after, make_page, page_size
from backend.social import access, feeds, notifications, queries
from backend.social.profiles import clean_text
from backend.social.tables import Comment, Like, ReleaseStats, Repost

MAX_COMMENT = 1000
# A comment flood is refused: a short burst, then a steady hourly cap.
COMMENTS_PER_MINUTE = 5
COMMENTS_PER_HOUR = 60


async def _release(actor: Actor | None, public_id: str, key: str | None) -> dict[str, Any]:
    release = await queries.release_by_public_id(public_id) if public_id else None
    access.require_interact(actor, release, key)
    assert release is not None
    return release


async def _bump(release_id: int, column: Any, delta: int) -> None:
    await queries.ensure_stats(release_id)
    await ReleaseStats.update({column: column + delta}).where(ReleaseStats.release_id == release_id)


# ----------------------------------------------------------------------------- likes


async def like(actor: Actor, public_id: str, key: str | None = None) -> dict[str, Any]:
    access.require_write(actor)
    release = await _release(actor, public_id, key)
    if release["id"] in await queries.liked_among(actor.user_id, [release["id"]]):
        raise DomainError("social.errors.already_liked")
    try:
        async with db.transaction():
            await Like.insert(Like(user_id=actor.user_id, release=release["id"], created_at=clock.now()))
            await _bump(release["id"], ReleaseStats.likes, 1)
    except Exception as exc:
        if db.is_unique_violation(exc):  # a double click raced the check above
            raise DomainError("social.errors.already_liked")
        raise
    await notifications.notify(release["owner_id"], "like", actor_id=actor.user_id, release_id=release["id"])
    return release


async def unlike(actor: Actor, public_id: str, key: str | None = None) -> dict[str, Any]:
    access.require_write(actor)
    release = await _release(actor, public_id, key)
    async with db.transaction():
        gone = (
            await Like.delete()
            .where(Like.user_id == actor.user_id, Like.release == release["id"])
            .returning(Like.id)
        )
        if gone:
            await _bump(release["id"], ReleaseStats.likes, -1)
    return release


# ----------------------------------------------------------------------------- reposts


async def repost(actor: Actor, public_id: str) -> dict[str, Any]:
    access.require_write(actor)
    release = await _release(actor, public_id, None)
    if access.is_owner(actor, release):
        raise DomainError("social.errors.repost_own")
    if not access.can_repost(actor, release):
        raise DomainError("social.errors.repost_not_public")
    if release["id"] in await queries.reposted_among(actor.user_id, [release["id"]]):
        raise DomainError("social.errors.already_reposted")
    now = clock.now()
    try:
        async with db.transaction():
            await Repost.insert(Repost(user_id=actor.user_id, release=release["id"], created_at=now))
            await _bump(release["id"], ReleaseStats.reposts, 1)
            job = await jobs.create_job(
                "social.announce_repost",
                {"release_id": public_id, "user_id": actor.user_id},
                owner_id=actor.user_id,
                subject=public_id,
            )
    except Exception as exc:
        if db.is_unique_violation(exc):
            raise DomainError("social.errors.already_reposted")
        raise
    await jobs.dispatch(job)
    await notifications.notify(
        release["owner_id"], "repost", actor_id=actor.user_id, release_id=release["id"]
    )
    return release


async def undo_repost(actor: Actor, public_id: str) -> dict[str, Any]:
    access.require_write(actor)
    release = await queries.release_by_public_id(public_id)
    if release is None:
        raise NotFound()
    async with db.transaction():
        gone = (
            await Repost.delete()
            .where(Repost.user_id == actor.user_id, Repost.release == release["id"])
            .returning(Repost.id)
        )
        if gone:
            await _bump(release["id"], ReleaseStats.reposts, -1)
    if gone:
        await feeds.remove_repost(actor.user_id, release["id"])
    return release


# ----------------------------------------------------------------------------- comments


def clean_moment(at_seconds: float | None, duration: float | None) -> float | None:
    if at_seconds is None:
        return None
    if at_seconds != at_seconds or at_seconds < 0 or (duration is not None and at_seconds > duration + 1):
        raise DomainError("social.errors.moment_invalid", field="atSeconds")
    return round(float(at_seconds), 1)


async def comment(
    actor: Actor, public_id: str, body: str, at_seconds: float | None = None, key: str | None = None
) -> dict[str, Any]:
    access.require_write(actor)
    release = await _release(actor, public_id, key)
    text = clean_text(body, field="body", limit=MAX_COMMENT)
    if not text:
        raise DomainError("social.errors.comment_empty", field="body")
    moment = clean_moment(at_seconds, release["duration"])
    for bucket, limit, window in (
        (f"social:comment:m:{actor.user_id}", COMMENTS_PER_MINUTE, 60),
        (f"social:comment:h:{actor.user_id}", COMMENTS_PER_HOUR, 3600),
    ):
        allowed, retry = await ratelimit.hit(bucket, limit, window)
        if not allowed:
            raise RateLimited(retry, key="social.errors.comment_flood")
    row: dict[str, Any] = {
        "public_id": new_id("cmt"),
        "release": release["id"],
        "user_id": actor.user_id,
        "body": text,
        "at_seconds": moment,
        "created_at": clock.now(),
    }
    async with db.transaction():
        inserted = await Comment.insert(Comment(**row)).returning(Comment.id)
        row["id"] = inserted[0]["id"]
        await _bump(release["id"], ReleaseStats.comments, 1)
    await notifications.notify(
        release["owner_id"], "comment", actor_id=actor.user_id, release_id=release["id"], comment_id=row["id"]
    )
    return row


async def delete_comment(actor: Actor, comment_public_id: str) -> dict[str, Any]:
    access.require_write(actor)
    row = await queries.comment_by_public_id(comment_public_id)
    if row is None or row["deleted_at"] is not None:
        raise NotFound()
    release = await queries.release_by_id(row["release"])
    if release is None or not access.can_delete_comment(actor, row, release):
        raise NotFound()
    async with db.transaction():
        gone = (
            await Comment.update({Comment.deleted_at: clock.now()})
            .where(Comment.id == row["id"], Comment.deleted_at.is_null())
            .returning(Comment.id)
        )
        if gone:
            await _bump(release["id"], ReleaseStats.comments, -1)
    return row


async def comments(
    actor: Actor | None, release: dict[str, Any], first: int | None, after: str | None
) -> Page[dict[str, Any]]:
    """Comments of a release the caller was already allowed to see, newest first."""
    size = page_size(first)
    rows = await queries.comments_of(release["id"], size + 1, int_after(after))
    return make_page(rows, size, lambda r: r["id"])
