"""Home feeds: releases and reposts from the people a listener follows, newest first.

Strategy: **hybrid**, fan-out on write with fan-out on read for very large accounts.

- When a creator releases (or someone reposts), a job copies one row per follower into
  ``social_feed_item`` with a single ``INSERT … SELECT`` from ``social_follow``. Reading a page is
  then one index range scan on ``(user_id, created_at DESC, …)`` joined to the releases — the same
  cost for a listener who follows ten creators or ten thousand, which is what keeps p95 flat.
- Creators with more than ``FANOUT_MAX_FOLLOWERS`` followers are not copied: one release of theirs
  would write hundreds of thousands of rows that mostly nobody reads. Their releases and reposts are
  merged in at read time instead (a listener follows few such accounts, and the list of them is
  small and cached), which costs one more indexed query per page only for their followers.
- Each feed keeps its newest ``FEED_CAP`` items (``trim_feeds``, hourly); a listener who pages past
  that horizon continues on a fan-out-on-read query over the releases of everyone they follow.
- Visibility is checked when reading, by joining the releases with the ``listed`` filter: a release
  made private, unpublished or deleted after it was copied never shows, and no copy needs cleaning.

A page costs a constant number of queries: the feed rows (with their releases) and, for followers of
large accounts, one more; everything each item shows is fetched by DataLoaders in batches.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from backend.core import clock
from backend.core.actor import Actor
from backend.core.pagination import Page, decode_cursor, encode_cursor, page_size
from backend.core.redis import key, redis_client
from backend.social import queries
from backend.social.queries import RELEASE_COLUMNS, normalize
from backend.social.tables import FeedItem, Release, Repost, StarterPick

FANOUT_MAX_FOLLOWERS = 20_000
FEED_CAP = 1_000
BACKFILL_ON_FOLLOW = 20
STARTER_SIZE = 500
STARTER_WINDOW = timedelta(days=30)
_LARGE_TTL = 60.0

_RELEASE_SELECT = ", ".join(f"r.{c}" for c in RELEASE_COLUMNS)
_LISTED_SQL = "r.status = 'published' AND r.visibility = 'public' AND r.deleted_at IS NULL"


@dataclass(frozen=True, slots=True)
class FeedEntry:
    kind: str  # release | repost
    at: datetime
    actor_id: int  # the creator, or who reposted it
    release: dict[str, Any]

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        return (self.at, self.release["id"], self.actor_id)


# ----------------------------------------------------------------------------- writing


async def fan_out_release(release: dict[str, Any]) -> int:
    """Copy a new release into its creator's followers' feeds (idempotent)."""
    return await _fan_out(release["owner_id"], release["id"], "release", release["published_at"])


async def fan_out_repost(reposter_id: int, release_id: int, at: datetime) -> int:
    return await _fan_out(reposter_id, release_id, "repost", at)


async def _fan_out(actor_id: int, release_id: int, kind: str, at: datetime) -> int:
    if actor_id in await large_creators():
        return 0  # read-time merge for very large accounts (see the module docstring)
    rows = await FeedItem.raw(
        "INSERT INTO social_feed_item (user_id, release_id, actor_id, kind, created_at) "
        "SELECT follower_id, {}, {}, {}, {} FROM social_follow WHERE followee_id = {} "
        "ON CONFLICT (user_id, release_id, actor_id, kind) DO NOTHING RETURNING user_id",
        release_id,
        actor_id,
        kind,
        at,
        actor_id,
    )
    return len(rows)


async def backfill(follower_id: int, followee_id: int) -> None:
    """A new follow shows the followee's latest releases at once (not only future ones)."""
    if followee_id in await large_creators():
        return
    await FeedItem.raw(
        "INSERT INTO social_feed_item (user_id, release_id, actor_id, kind, created_at) "  # noqa: S608 - constant SQL, bound values
        "SELECT {}, r.id, r.owner_id, 'release', r.published_at FROM social_release r "
        f"WHERE r.owner_id = {{}} AND {_LISTED_SQL} ORDER BY r.published_at DESC LIMIT {{}} "
        "ON CONFLICT (user_id, release_id, actor_id, kind) DO NOTHING",
        follower_id,
        followee_id,
        BACKFILL_ON_FOLLOW,
    )


async def forget(follower_id: int, followee_id: int) -> None:
    """Unfollowing removes what that account put in the feed."""
    await FeedItem.delete().where(FeedItem.user_id == follower_id, FeedItem.actor_id == followee_id)


async def remove_repost(reposter_id: int, release_id: int) -> None:
    await FeedItem.delete().where(
        FeedItem.actor_id == reposter_id, FeedItem.release_id == release_id, FeedItem.kind == "repost"
    )


async def trim_feeds(
    cap: int = FEED_CAP, since: timedelta = timedelta(days=2), budget_seconds: float | None = None
) -> int:
    """Keep each recently fed listener's newest ``cap`` items; remember where their feed now starts.

    With ``budget_seconds`` it stops after that long; the next run goes on (trimmed feeds are quick).
    """
    cutoff = clock.now() - since
    users = await FeedItem.raw("SELECT DISTINCT user_id FROM social_feed_item WHERE created_at >= {}", cutoff)
    stop_at = time.monotonic() + budget_seconds if budget_seconds is not None else None
    removed = 0
    for row in users:
        if stop_at is not None and time.monotonic() > stop_at:
            break
        user_id = row["user_id"]
        edge = (
            await FeedItem.select(FeedItem.created_at)
            .where(FeedItem.user_id == user_id)
            .order_by(FeedItem.created_at, ascending=False)
            .offset(cap)
            .limit(1)
            .first()
        )
        if edge is None:
            continue
        gone = (
            await FeedItem.delete()
            .where(FeedItem.user_id == user_id, FeedItem.created_at <= edge["created_at"])
            .returning(FeedItem.id)
        )
        removed += len(gone)
        await redis_client().hset(  # type: ignore[misc]
            key("social", "feed-horizon"), str(user_id), edge["created_at"].isoformat()
        )
    return removed


# ----------------------------------------------------------------------------- reading

_large_cache: tuple[float, frozenset[int]] | None = None


async def large_creators() -> frozenset[int]:
    """Accounts whose followers read them at request time; cached briefly per process."""
    global _large_cache
    now = time.monotonic()
    if _large_cache is None or now - _large_cache[0] > _LARGE_TTL:
        _large_cache = (now, frozenset(await queries.large_creator_ids(FANOUT_MAX_FOLLOWERS)))
    return _large_cache[1]


def forget_large_cache() -> None:
    global _large_cache
    _large_cache = None


def _decode(after: str | None) -> tuple[datetime, int, int] | None:
    values = decode_cursor(after)
    if values is None:
        return None
    try:
        at, release_id, actor_id = values
        return datetime.fromisoformat(at), int(release_id), int(actor_id)
    except (TypeError, ValueError):
        from backend.core.errors import DomainError

        raise DomainError("common.errors.bad_cursor", field="after")


def _before(
    cursor: tuple[datetime, int, int] | None, alias_at: str, alias_rel: str, alias_act: str
) -> tuple[str, list[Any]]:
    if cursor is None:
        return "", []
    return f" AND ({alias_at}, {alias_rel}, {alias_act}) < ({{}}, {{}}, {{}})", list(cursor)


async def _stored_items(user_id: int, cursor: Any, limit: int) -> list[FeedEntry]:
    clause, args = _before(cursor, "f.created_at", "f.release_id", "f.actor_id")
    rows = await FeedItem.raw(
        f"SELECT f.created_at AS at, f.actor_id AS feed_actor, f.kind AS feed_kind, {_RELEASE_SELECT} "  # noqa: S608 - constant SQL, bound values
        "FROM social_feed_item f JOIN social_release r ON r.id = f.release_id "
        f"WHERE f.user_id = {{}} AND {_LISTED_SQL}{clause} "
        "ORDER BY f.created_at DESC, f.release_id DESC, f.actor_id DESC LIMIT {}",
        user_id,
        *args,
        limit,
    )
    return [_entry(r) for r in rows]


def _entry(row: dict[str, Any]) -> FeedEntry:
    kind, actor = row.pop("feed_kind"), row.pop("feed_actor")
    row = normalize(row)
    return FeedEntry(kind=kind, at=row.pop("at"), actor_id=int(actor), release=row)


async def _read_time_items(
    user_id: int, creators: list[int] | None, cursor: Any, limit: int
) -> list[FeedEntry]:
    """Releases and reposts of ``creators`` (fan-out on read), newest first; ``None`` means everyone
    ``user_id`` follows (a subquery, not thousands of parameters)."""
    if creators == []:
        return []
    if creators is None:
        who, who_args = "IN (SELECT followee_id FROM social_follow WHERE follower_id = {})", [user_id]
    else:
        who, who_args = "IN (" + ", ".join("{}" for _ in creators) + ")", list(creators)
    r_clause, r_args = _before(cursor, "r.published_at", "r.id", "r.owner_id")
    p_clause, p_args = _before(cursor, "p.created_at", "r.id", "p.user_id")
    rows = await Release.raw(
        "SELECT * FROM (SELECT r.published_at AS at, r.owner_id AS feed_actor, 'release' AS feed_kind, "  # noqa: S608 - constant SQL, bound values
        f"{_RELEASE_SELECT} FROM social_release r WHERE r.owner_id {who} AND {_LISTED_SQL}{r_clause} "
        "ORDER BY r.published_at DESC, r.id DESC LIMIT {}) AS own "
        "UNION ALL SELECT * FROM (SELECT p.created_at AS at, p.user_id AS feed_actor, "
        f"'repost' AS feed_kind, {_RELEASE_SELECT} "
        "FROM social_repost p JOIN social_release r ON r.id = p.release "
        f"WHERE p.user_id {who} AND {_LISTED_SQL}{p_clause} "
        "ORDER BY p.created_at DESC LIMIT {}) AS shared",
        *who_args,
        *r_args,
        limit,
        *who_args,
        *p_args,
        limit,
    )
    return [_entry(r) for r in rows]


async def _followed_large(user_id: int) -> list[int]:
    large = await large_creators()
    if not large:
        return []
    return sorted(await queries.followed_among(user_id, list(large)))


async def _was_trimmed(user_id: int) -> bool:
    """Whether older items of this feed were dropped (then a short page continues read-time)."""
    return bool(await redis_client().hexists(key("social", "feed-horizon"), str(user_id)))  # type: ignore[misc]


async def home_feed(actor: Actor, first: int | None, after: str | None) -> Page[FeedEntry]:
    size = page_size(first)
    cursor = _decode(after)
    entries = await _stored_items(actor.user_id, cursor, size + 1)
    large = await _followed_large(actor.user_id)
    if large:
        entries += await _read_time_items(actor.user_id, large, cursor, size + 1)
    if len(entries) <= size and await _was_trimmed(actor.user_id):
        # The stored feed ran out and older items were trimmed: continue over everyone followed,
        # read-time, from the same cursor (what is still stored repeats and is dropped below).
        entries += await _read_time_items(actor.user_id, None, cursor, size + 1)
    return _paginate(entries, size)


def _paginate(entries: list[FeedEntry], size: int) -> Page[FeedEntry]:
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    unique: list[FeedEntry] = []
    seen: set[tuple[int, int, str]] = set()
    for entry in entries:
        ident = (entry.release["id"], entry.actor_id, entry.kind)
        if ident not in seen:
            seen.add(ident)
            unique.append(entry)
    has_next = len(unique) > size
    unique = unique[:size]
    cursors = [encode_cursor(e.at.isoformat(), e.release["id"], e.actor_id) for e in unique]
    return Page(items=unique, cursors=cursors, has_next=has_next)


# ----------------------------------------------------------------------------- starter feed


async def rebuild_starter(now: datetime | None = None) -> int:
    """Rank recent public releases by engagement, decayed by age (a job runs it every few minutes)."""
    now = now or clock.now()
    since = now - STARTER_WINDOW
    rows = await Release.raw(
        "SELECT r.id AS id, r.published_at AS published_at, COALESCE(s.plays, 0) AS plays, "  # noqa: S608 - constant SQL, bound values
        "COALESCE(s.likes, 0) AS likes, COALESCE(s.reposts, 0) AS reposts, "
        "COALESCE(s.comments, 0) AS comments "
        "FROM social_release r LEFT JOIN social_release_stats s ON s.release_id = r.id "
        f"WHERE {_LISTED_SQL} AND r.published_at >= {{}} ORDER BY r.published_at DESC LIMIT 20000",
        since,
    )
    if len(rows) < 50:  # a young platform: top up with the newest releases of any age
        rows += await Release.raw(
            "SELECT r.id AS id, r.published_at AS published_at, 0 AS plays, 0 AS likes, 0 AS reposts, "  # noqa: S608 - constant SQL, bound values
            f"0 AS comments FROM social_release r WHERE {_LISTED_SQL} AND r.published_at < {{}} "
            "ORDER BY r.published_at DESC LIMIT 50",
            since,
        )
    scored = []
    for row in rows:
        published = normalize({"published_at": row["published_at"]})["published_at"] or now
        hours = max(0.0, (now - published).total_seconds() / 3600)
        engagement = row["plays"] + 3 * row["likes"] + 5 * row["reposts"] + 2 * row["comments"] + 1
        scored.append((engagement / (hours + 2) ** 1.2, row["id"]))
    scored.sort(reverse=True)
    picks = [
        StarterPick(rank=i + 1, release_id=rid, score=score)
        for i, (score, rid) in enumerate(scored[:STARTER_SIZE])
    ]
    from backend.core import db

    async with db.transaction():
        await StarterPick.delete(force=True)
        if picks:
            await StarterPick.insert(*picks)
    return len(picks)


async def starter_feed(first: int | None, after: str | None) -> Page[dict[str, Any]]:
    size = page_size(first)
    values = decode_cursor(after)
    after_rank = int(values[0]) if values else None
    if after_rank is None and await queries.starter_is_empty():
        await rebuild_starter()
    rows = await queries.starter_page(size + 1, after_rank)
    has_next = len(rows) > size
    rows = rows[:size]
    return Page(items=rows, cursors=[encode_cursor(r["rank"]) for r in rows], has_next=has_next)


async def reposts_since(user_id: int, since: datetime) -> int:
    return await Repost.count().where(Repost.user_id == user_id, Repost.created_at >= since)
