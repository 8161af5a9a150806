"""DataLoaders of the community types: one query per kind of thing per request, whatever the page.

Loaders that depend on who is looking take ``(viewer_id, id)`` keys, so one class serves every viewer
and ``context.loader(cls)`` can build it without arguments.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from strawberry.dataloader import DataLoader

from backend.social import services as social


async def _profiles(user_ids: list[int]) -> list[dict[str, Any]]:
    found = await social.profiles.profiles_for(list(user_ids))
    return [found[uid] for uid in user_ids]


class ProfileByUserIdLoader(DataLoader[int, dict[str, Any]]):
    def __init__(self) -> None:
        super().__init__(load_fn=_profiles)


async def _releases(ids: list[int]) -> list[dict[str, Any] | None]:
    rows = {r["id"]: r for r in await social.queries.releases_by_ids(list(set(ids)))}
    return [rows.get(i) for i in ids]


class ReleaseByIdLoader(DataLoader[int, dict[str, Any] | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=_releases)


_EMPTY_STATS = {"plays": 0, "likes": 0, "reposts": 0, "comments": 0}


async def _stats(ids: list[int]) -> list[dict[str, Any]]:
    rows = {r["release_id"]: r for r in await social.queries.stats_of(list(set(ids)))}
    return [rows.get(i, _EMPTY_STATS) for i in ids]


class StatsByReleaseIdLoader(DataLoader[int, dict[str, Any]]):
    def __init__(self) -> None:
        super().__init__(load_fn=_stats)


async def _pending(public_ids: list[str]) -> list[int]:
    found = await social.plays.pending_counts(list(set(public_ids)))
    return [found.get(p, 0) for p in public_ids]


class PendingPlaysLoader(DataLoader[str, int]):
    """Plays counted in Redis but not yet aggregated into the stats row (one HMGET per request)."""

    def __init__(self) -> None:
        super().__init__(load_fn=_pending)


async def _credits(ids: list[int]) -> list[list[dict[str, Any]]]:
    by_release: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in await social.queries.credits_of(list(set(ids))):
        by_release[row["release"]].append(row)
    return [by_release.get(i, []) for i in ids]


class CreditsByReleaseIdLoader(DataLoader[int, list[dict[str, Any]]]):
    def __init__(self) -> None:
        super().__init__(load_fn=_credits)


async def _comments(ids: list[int]) -> list[dict[str, Any] | None]:
    rows = {r["id"]: r for r in await social.queries.comments_by_ids(list(set(ids)))}
    return [rows.get(i) for i in ids]


class CommentByIdLoader(DataLoader[int, dict[str, Any] | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=_comments)


def _by_viewer(keys: list[tuple[int, int]]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = defaultdict(list)
    for viewer, item in keys:
        grouped[viewer].append(item)
    return grouped


async def _liked(keys: list[tuple[int, int]]) -> list[bool]:
    found: set[tuple[int, int]] = set()
    for viewer, ids in _by_viewer(keys).items():
        found |= {(viewer, i) for i in await social.queries.liked_among(viewer, ids)}
    return [k in found for k in keys]


class ViewerLikedLoader(DataLoader[tuple[int, int], bool]):
    def __init__(self) -> None:
        super().__init__(load_fn=_liked)


async def _reposted(keys: list[tuple[int, int]]) -> list[bool]:
    found: set[tuple[int, int]] = set()
    for viewer, ids in _by_viewer(keys).items():
        found |= {(viewer, i) for i in await social.queries.reposted_among(viewer, ids)}
    return [k in found for k in keys]


class ViewerRepostedLoader(DataLoader[tuple[int, int], bool]):
    def __init__(self) -> None:
        super().__init__(load_fn=_reposted)


async def _follows(keys: list[tuple[int, int]]) -> list[bool]:
    found: set[tuple[int, int]] = set()
    for viewer, ids in _by_viewer(keys).items():
        found |= {(viewer, i) for i in await social.queries.followed_among(viewer, ids)}
    return [k in found for k in keys]


class ViewerFollowsLoader(DataLoader[tuple[int, int], bool]):
    def __init__(self) -> None:
        super().__init__(load_fn=_follows)


MISSING: Any = object()


def ready(loader: DataLoader[Any, Any], key: Any) -> Any:
    """The loader's value for ``key`` if it is already loaded, else ``MISSING``.

    Resolvers answer synchronously when a list resolver prefetched their data: graphql-core then
    completes the field in place instead of scheduling an asyncio task for it (130 tasks a feed page).
    """
    future = loader.cache_map.get(key)
    if future is None or not future.done() or future.cancelled() or future.exception() is not None:
        return MISSING
    return future.result()
