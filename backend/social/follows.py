"""Following: who listens to whom. Counters live on both profiles and move in the same transaction."""

from __future__ import annotations

from typing import Any

from backend.core import clock, db, ratelimit
from backend.core.actor import Actor
from backend.core.errors import DomainError, RateLimited
from backend.core.pagination import Page, int_after, make_page, page_size
from backend.social import access, feeds, notifications, profiles, queries
from backend.social.tables import Follow, Profile

MAX_FOLLOWING = 10_000


async def follow(actor: Actor, user_public_id: str) -> dict[str, Any]:
    """Follow someone; returns the followed user. Refuses yourself and a second follow."""
    access.require_write(actor)
    target = await profiles.user_by_public_id(user_public_id)
    if target["id"] == actor.user_id:
        raise DomainError("social.errors.follow_self", field="userId")
    if await queries.follow_row(actor.user_id, target["id"]) is not None:
        raise DomainError("social.errors.already_following", field="userId")
    mine = await profiles.profile_for(actor.user_id)
    if mine["following_count"] >= MAX_FOLLOWING:
        raise DomainError("social.errors.following_limit", max=MAX_FOLLOWING)
    allowed, retry = await ratelimit.hit(f"social:follow:{actor.user_id}", 200, 3600)
    if not allowed:
        raise RateLimited(retry, key="social.errors.slow_down")
    try:
        async with db.transaction():
            await queries.ensure_profile(actor.user_id)
            await queries.ensure_profile(target["id"])
            await Follow.insert(
                Follow(follower_id=actor.user_id, followee_id=target["id"], created_at=clock.now())
            )
            await Profile.update({Profile.following_count: Profile.following_count + 1}).where(
                Profile.user_id == actor.user_id
            )
            await Profile.update({Profile.follower_count: Profile.follower_count + 1}).where(
                Profile.user_id == target["id"]
            )
    except Exception as exc:
        if db.is_unique_violation(exc):  # two clicks at once: the first one won
            raise DomainError("social.errors.already_following", field="userId")
        raise
    await feeds.backfill(actor.user_id, target["id"])
    await notifications.notify(target["id"], "follow", actor_id=actor.user_id)
    return target


async def unfollow(actor: Actor, user_public_id: str) -> dict[str, Any]:
    access.require_write(actor)
    target = await profiles.user_by_public_id(user_public_id)
    async with db.transaction():
        gone = (
            await Follow.delete()
            .where(Follow.follower_id == actor.user_id, Follow.followee_id == target["id"])
            .returning(Follow.id)
        )
        if gone:
            await Profile.update({Profile.following_count: Profile.following_count - 1}).where(
                Profile.user_id == actor.user_id
            )
            await Profile.update({Profile.follower_count: Profile.follower_count - 1}).where(
                Profile.user_id == target["id"]
            )
    if gone:
        await feeds.forget(actor.user_id, target["id"])
    return target


async def followers(user_id: int, first: int | None, after: str | None) -> Page[dict[str, Any]]:
    size = page_size(first)
    rows = await queries.followers_of(user_id, size + 1, int_after(after))
    return make_page(rows, size, lambda r: r["id"])


async def following(user_id: int, first: int | None, after: str | None) -> Page[dict[str, Any]]:
    size = page_size(first)
    rows = await queries.following_of(user_id, size + 1, int_after(after))
    return make_page(rows, size, lambda r: r["id"])


async def follows_among(actor: Actor | None, user_ids: list[int]) -> set[int]:
    if actor is None:
        return set()
    return await queries.followed_among(actor.user_id, user_ids)
