"""The actor's role in a project, and the owners whose sounds a (forked) project may use."""

from __future__ import annotations

from typing import Any

from backend.collab import queries
from backend.core.actor import Actor

FORK_DEPTH = 8  # a fork of a fork of …: how far up the chain sounds are shared


async def role_in_project(user_id: int, project_id: str) -> str | None:
    """A collaborator's role (not the owner's: the studio knows its owner)."""
    row = await queries.member(project_id, user_id)
    return row["role"] if row else None


async def role_of(actor: Actor, project: dict[str, Any]) -> str | None:
    if project["owner_id"] == actor.user_id:
        return "owner"
    return await role_in_project(actor.user_id, project["public_id"])


async def fork_source_owners(project_id: str) -> set[int]:
    """Owners of the projects this one was forked from (their sounds are in the fork's document)."""
    owners: set[int] = set()
    current = project_id
    for _ in range(FORK_DEPTH):
        row = await queries.shared_project(current)
        if row is None or not row["forked_from"]:
            break
        if row["forked_from_owner"] is not None:
            owners.add(int(row["forked_from_owner"]))
        current = row["forked_from"]
    return owners
