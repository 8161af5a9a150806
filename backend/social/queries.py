"""Reads and small writes for the community tables. Services decide; this module only fetches.

``listed()`` is the filter every public listing uses: published, public, not deleted.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from piccolo.columns.combination import Where
from piccolo.query.methods.select import Count

from backend.core import clock, db
from backend.social.tables import (
    AuditEntry,
    Comment,
    Credit,
    Digest,
    Follow,
    Image,
    Like,
    Notification,
    NotificationSettings,
    PlayDaily,
    Profile,
    Release,
    ReleaseStats,
    Repost,
    StarterPick,
    VerificationRequest,
)

RELEASE_COLUMNS = (
    "id",
    "public_id",
    "owner_id",
    "title",
    "description",
    "genre",
    "tags",
    "artwork_key",
    "source_kind",
    "source_id",
    "asset_id",
    "stream_key",
    "duration",
    "peaks",
    "visibility",
    "secret_token",
    "status",
    "error_key",
    "publish_at",
    "published_at",
    "announced_at",
    "created_at",
    "updated_at",
    "deleted_at",
)
_JSON_FIELDS = (
    "tags",
    "peaks",
    "links",
    "genres",
    "press_photos",
    "press_releases",
    "data",
    "app_off",
    "email_off",
)
_TIME_FIELDS = (
    "publish_at",
    "published_at",
    "announced_at",
    "created_at",
    "updated_at",
    "deleted_at",
    "verified_at",
    "read_at",
    "decided_at",
    "at",
)


def normalize(row: dict[str, Any]) -> dict[str, Any]:
    """Raw SQL hands back JSON as text and (on SQLite) naive or textual times: make them data."""
    for name in _JSON_FIELDS:
        value = row.get(name)
        if isinstance(value, str):
            row[name] = json.loads(value) if value else None
    for name in _TIME_FIELDS:
        value = row.get(name)
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            row[name] = clock.as_utc(value)
    return row


def listed() -> Where:
    return (Release.status == "published") & (Release.visibility == "public") & Release.deleted_at.is_null()  # type: ignore[return-value]


# ----------------------------------------------------------------------------- profiles


async def profile_of(user_id: int) -> dict[str, Any] | None:
    row = await Profile.select().where(Profile.user_id == user_id).output(load_json=True).first()
    return normalize(row) if row else None


async def profiles_of(user_ids: list[int]) -> list[dict[str, Any]]:
    if not user_ids:
        return []
    rows = await Profile.select().where(Profile.user_id.is_in(user_ids)).output(load_json=True)
    return [normalize(r) for r in rows]


async def ensure_profile(user_id: int) -> None:
    now = clock.now()
    await Profile.insert(Profile(user_id=user_id, created_at=now, updated_at=now)).on_conflict(
        target=Profile.user_id, action="DO NOTHING"
    )


async def large_creator_ids(min_followers: int) -> list[int]:
    rows = await Profile.select(Profile.user_id).where(Profile.follower_count > min_followers)
    return [r["user_id"] for r in rows]


# ----------------------------------------------------------------------------- images


async def image_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await Image.select().where(Image.public_id == public_id).first()


async def latest_images(owner_id: int, limit: int = 10) -> list[dict[str, Any]]:
    return (
        await Image.select()
        .where(Image.owner_id == owner_id)
        .order_by(Image.id, ascending=False)
        .limit(limit)
    )


# ----------------------------------------------------------------------------- releases


async def release_by_public_id(public_id: str) -> dict[str, Any] | None:
    row = await Release.select().where(Release.public_id == public_id).output(load_json=True).first()
    return normalize(row) if row else None


async def release_by_id(release_id: int) -> dict[str, Any] | None:
    row = await Release.select().where(Release.id == release_id).output(load_json=True).first()
    return normalize(row) if row else None


async def releases_by_ids(ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = await Release.select().where(Release.id.is_in(ids)).output(load_json=True)
    return [normalize(r) for r in rows]


async def releases_by_public_ids(public_ids: list[str]) -> list[dict[str, Any]]:
    if not public_ids:
        return []
    rows = await Release.select().where(Release.public_id.is_in(public_ids)).output(load_json=True)
    return [normalize(r) for r in rows]


async def release_ids_for(public_ids: list[str]) -> dict[str, int]:
    if not public_ids:
        return {}
    rows = await Release.select(Release.id, Release.public_id).where(Release.public_id.is_in(public_ids))
    return {r["public_id"]: r["id"] for r in rows}


def _page_filter(query: Any, after: list[Any] | None) -> Any:
    """Newest first by (published_at, id); ``after`` is the last row's pair."""
    if after is None:
        return query
    at, last_id = datetime.fromisoformat(after[0]), int(after[1])
    return query.where((Release.published_at < at) | ((Release.published_at == at) & (Release.id < last_id)))


async def releases_of_owner(
    owner_id: int, *, include_hidden: bool, limit: int, after: list[Any] | None
) -> list[dict[str, Any]]:
    """An owner's releases, newest first. Unpublished and scheduled ones sort by creation time."""
    if include_hidden:
        query = Release.select().where(Release.owner_id == owner_id, Release.deleted_at.is_null())
        query = query.order_by(Release.id, ascending=False).limit(limit)
        if after is not None:
            query = query.where(Release.id < int(after[-1]))
        rows = await query.output(load_json=True)
    else:
        query = Release.select().where(Release.owner_id == owner_id, listed())
        query = query.order_by(Release.published_at, Release.id, ascending=False).limit(limit)
        rows = await _page_filter(query, after).output(load_json=True)
    return [normalize(r) for r in rows]


async def search_releases(
    text: str, genre: str | None, limit: int, after: list[Any] | None
) -> list[dict[str, Any]]:
    query = Release.select().where(listed())
    if text:
        pattern = f"%{_escape_like(text)}%"
        # SQLite's LIKE already ignores ASCII case (and has no ILIKE).
        query = query.where(Release.title.ilike(pattern) if db.is_postgres() else Release.title.like(pattern))
    if genre:
        query = query.where(Release.genre == genre)
    query = query.order_by(Release.published_at, Release.id, ascending=False).limit(limit)
    rows = await _page_filter(query, after).output(load_json=True)
    return [normalize(r) for r in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "").replace("%", "").replace("_", " ")[:80]


async def count_listed_of(owner_id: int) -> int:
    return await Release.count().where(Release.owner_id == owner_id, listed())


async def credits_of(release_ids: list[int]) -> list[dict[str, Any]]:
    if not release_ids:
        return []
    return (
        await Credit.select()
        .where(Credit.release.is_in(release_ids))
        .order_by(Credit.release)
        .order_by(Credit.position)
    )


async def stats_of(release_ids: list[int]) -> list[dict[str, Any]]:
    if not release_ids:
        return []
    return await ReleaseStats.select().where(ReleaseStats.release_id.is_in(release_ids))


async def ensure_stats(release_id: int) -> None:
    await ReleaseStats.insert(ReleaseStats(release_id=release_id)).on_conflict(
        target=ReleaseStats.release_id, action="DO NOTHING"
    )


async def plays_by_day(release_id: int, since: date) -> list[dict[str, Any]]:
    return (
        await PlayDaily.select(PlayDaily.day, PlayDaily.plays)
        .where(PlayDaily.release_id == release_id, PlayDaily.day >= since)
        .order_by(PlayDaily.day)
    )


# ----------------------------------------------------------------------------- engagement


async def liked_among(user_id: int, release_ids: list[int]) -> set[int]:
    if not release_ids:
        return set()
    rows = await Like.select(Like.release).where(Like.user_id == user_id, Like.release.is_in(release_ids))
    return {r["release"] for r in rows}


async def reposted_among(user_id: int, release_ids: list[int]) -> set[int]:
    if not release_ids:
        return set()
    rows = await Repost.select(Repost.release).where(
        Repost.user_id == user_id, Repost.release.is_in(release_ids)
    )
    return {r["release"] for r in rows}


async def comment_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await Comment.select().where(Comment.public_id == public_id).first()


async def comments_of(release_id: int, limit: int, after_id: int | None) -> list[dict[str, Any]]:
    query = (
        Comment.select()
        .where(Comment.release == release_id, Comment.deleted_at.is_null())
        .order_by(Comment.id, ascending=False)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Comment.id < after_id)
    return await query


async def comments_by_ids(ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return await Comment.select().where(Comment.id.is_in(ids))


# ----------------------------------------------------------------------------- follows


async def follow_row(follower_id: int, followee_id: int) -> dict[str, Any] | None:
    return (
        await Follow.select()
        .where(Follow.follower_id == follower_id, Follow.followee_id == followee_id)
        .first()
    )


async def followed_among(follower_id: int, user_ids: list[int]) -> set[int]:
    if not user_ids:
        return set()
    rows = await Follow.select(Follow.followee_id).where(
        Follow.follower_id == follower_id, Follow.followee_id.is_in(user_ids)
    )
    return {r["followee_id"] for r in rows}


async def followers_of(user_id: int, limit: int, after_id: int | None) -> list[dict[str, Any]]:
    query = (
        Follow.select(Follow.id, Follow.follower_id.as_alias("user_id"), Follow.created_at)
        .where(Follow.followee_id == user_id)
        .order_by(Follow.id, ascending=False)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Follow.id < after_id)
    return await query


async def following_of(user_id: int, limit: int, after_id: int | None) -> list[dict[str, Any]]:
    query = (
        Follow.select(Follow.id, Follow.followee_id.as_alias("user_id"), Follow.created_at)
        .where(Follow.follower_id == user_id)
        .order_by(Follow.id, ascending=False)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Follow.id < after_id)
    return await query


async def follower_ids_after(user_id: int, after_id: int, limit: int) -> list[dict[str, Any]]:
    return (
        await Follow.select(Follow.id, Follow.follower_id)
        .where(Follow.followee_id == user_id, Follow.id > after_id)
        .order_by(Follow.id)
        .limit(limit)
    )


async def new_followers_by_day(user_id: int, since: datetime) -> list[dict[str, Any]]:
    rows = await Follow.raw(
        "SELECT date(created_at) AS day, count(*) AS n FROM social_follow "
        "WHERE followee_id = {} AND created_at >= {} GROUP BY date(created_at) ORDER BY day",
        user_id,
        since,
    )
    return [{"day": _as_date(r["day"]), "n": int(r["n"])} for r in rows]


async def followers_before(user_id: int, before: datetime) -> int:
    return await Follow.count().where(Follow.followee_id == user_id, Follow.created_at < before)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# ----------------------------------------------------------------------------- starter feed


async def starter_page(limit: int, after_rank: int | None) -> list[dict[str, Any]]:
    sql = (
        "SELECT p.rank AS rank, " + ", ".join(f"r.{c}" for c in RELEASE_COLUMNS) + " "
        "FROM social_starter_pick p JOIN social_release r ON r.id = p.release_id "
        "WHERE r.status = 'published' AND r.visibility = 'public' AND r.deleted_at IS NULL "
        "AND p.rank > {} ORDER BY p.rank LIMIT {}"
    )
    rows = await StarterPick.raw(sql, after_rank or 0, limit)
    return [normalize(r) for r in rows]


async def starter_is_empty() -> bool:
    return not await StarterPick.exists()


# ----------------------------------------------------------------------------- notifications


async def notification_by_public_id(public_id: str) -> dict[str, Any] | None:
    row = (
        await Notification.select().where(Notification.public_id == public_id).output(load_json=True).first()
    )
    return normalize(row) if row else None


async def notifications_of(
    user_id: int, limit: int, after_id: int | None, unread_only: bool
) -> list[dict[str, Any]]:
    query = (
        Notification.select()
        .where(Notification.user_id == user_id)
        .order_by(Notification.id, ascending=False)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Notification.id < after_id)
    if unread_only:
        query = query.where(Notification.read_at.is_null())
    return [normalize(r) for r in await query.output(load_json=True)]


async def unread_count(user_id: int, cap: int) -> int:
    """Counted up to ``cap`` only: a bell shows "99+", it never needs the exact number."""
    rows = await Notification.raw(
        "SELECT count(*) AS n FROM (SELECT 1 FROM social_notification "
        "WHERE user_id = {} AND read_at IS NULL LIMIT {}) AS unread",
        user_id,
        cap,
    )
    return int(rows[0]["n"]) if rows else 0


async def has_unread_like(user_id: int, kind: str, actor_id: int | None, release_id: int | None) -> bool:
    query = Notification.exists().where(
        Notification.user_id == user_id, Notification.kind == kind, Notification.read_at.is_null()
    )
    query = query.where(
        Notification.actor_id.is_null() if actor_id is None else Notification.actor_id == actor_id
    )
    query = query.where(
        Notification.release_id.is_null() if release_id is None else Notification.release_id == release_id
    )
    return await query


async def settings_of(user_id: int) -> dict[str, Any] | None:
    row = (
        await NotificationSettings.select()
        .where(NotificationSettings.user_id == user_id)
        .output(load_json=True)
        .first()
    )
    return normalize(row) if row else None


async def settings_of_many(user_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not user_ids:
        return {}
    rows = (
        await NotificationSettings.select()
        .where(NotificationSettings.user_id.is_in(user_ids))
        .output(load_json=True)
    )
    return {r["user_id"]: normalize(r) for r in rows}


async def users_with_recent_unread(since: datetime, after_user: int, limit: int) -> list[int]:
    rows = await Notification.raw(
        "SELECT DISTINCT user_id FROM social_notification WHERE read_at IS NULL AND created_at >= {} "
        "AND user_id > {} ORDER BY user_id LIMIT {}",
        since,
        after_user,
        limit,
    )
    return [int(r["user_id"]) for r in rows]


async def digest_exists(user_id: int, day: date) -> bool:
    return await Digest.exists().where(Digest.user_id == user_id, Digest.day == day)


# ----------------------------------------------------------------------------- verification


async def verification_by_public_id(public_id: str) -> dict[str, Any] | None:
    row = (
        await VerificationRequest.select()
        .where(VerificationRequest.public_id == public_id)
        .output(load_json=True)
        .first()
    )
    return normalize(row) if row else None


async def latest_verification_of(user_id: int) -> dict[str, Any] | None:
    row = (
        await VerificationRequest.select()
        .where(VerificationRequest.user_id == user_id)
        .order_by(VerificationRequest.id, ascending=False)
        .output(load_json=True)
        .first()
    )
    return normalize(row) if row else None


async def pending_verifications(limit: int, after_id: int | None) -> list[dict[str, Any]]:
    query = (
        VerificationRequest.select()
        .where(VerificationRequest.status == "pending")
        .order_by(VerificationRequest.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(VerificationRequest.id > after_id)
    return [normalize(r) for r in await query.output(load_json=True)]


async def audit_entries(limit: int, after_id: int | None) -> list[dict[str, Any]]:
    query = AuditEntry.select().order_by(AuditEntry.id, ascending=False).limit(limit)
    if after_id is not None:
        query = query.where(AuditEntry.id < after_id)
    return [normalize(r) for r in await query.output(load_json=True)]


async def count_of(table: Any, *where: Any) -> int:
    rows = await table.select(Count()).where(*where)
    return int(rows[0]["count"]) if rows else 0
