"""DataLoaders of the collaboration types (one query per request for all replies, or all people)."""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader

from backend.accounts import services as accounts
from backend.collab import services as collab


async def _replies(thread_ids: list[int]) -> list[list[dict[str, Any]]]:
    found = await collab.comment_replies(list(set(thread_ids)))
    return [found.get(i, []) for i in thread_ids]


class RepliesByThreadLoader(DataLoader[int, list[dict[str, Any]]]):
    """Replies of threads the resolver already showed (so the viewer may see them)."""

    def __init__(self) -> None:
        super().__init__(load_fn=_replies)


async def _users(ids: list[str]) -> list[dict[str, Any] | None]:
    found = {}
    for public_id in set(ids):
        found[public_id] = await accounts.find_user(public_id)
    return [found.get(i) for i in ids]


class UserByPublicIdLoader(DataLoader[str, dict[str, Any] | None]):
    """For events, which name people by public id; a subscription's context keeps its cache, so
    each author is looked up once per connection."""

    def __init__(self) -> None:
        super().__init__(load_fn=_users)
