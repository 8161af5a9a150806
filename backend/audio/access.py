"""Who may see or change what in the studio. One condition a line.

A project's owner may do everything; the people it is shared with have a role (editor, commenter,
viewer) kept by collaboration (``backend.collab``), which ``project_role`` asks. Only the owner may
delete a project.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from backend.core.actor import Actor
from backend.core.errors import Forbidden, NotFound, Unauthenticated


def require_actor(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated()
    return actor


def require_write(actor: Actor) -> None:
    if not actor.can("write"):
        raise Forbidden("common.errors.missing_scope", scope="write")


def can_view_asset(actor: Actor, asset: dict[str, Any]) -> bool:
    if asset["status"] == "deleted":
        return False
    return asset["owner_id"] == actor.user_id


def can_use_asset(actor: Actor, asset: dict[str, Any]) -> bool:
    """Put the asset in a project: one's own, and only once it decoded."""
    if not can_view_asset(actor, asset):
        return False
    return asset["status"] == "ready"


def can_delete_asset(actor: Actor, asset: dict[str, Any]) -> bool:
    return can_view_asset(actor, asset)


def can_use_asset_in(actor: Actor, asset: dict[str, Any], owners: Collection[int]) -> bool:
    """Place a sound in a project: one's own, or — for a shared or forked project — a sound of its
    owner's (or of the project it was forked from): collaborators re-use the song's sounds."""
    if asset["status"] != "ready":
        return False
    return asset["owner_id"] == actor.user_id or asset["owner_id"] in owners


async def asset_owners(project: dict[str, Any]) -> set[int]:
    from backend.collab import services as collab  # collaboration builds on the studio

    return {project["owner_id"], *await collab.fork_source_owners(project["public_id"])}


async def project_role(actor: Actor, project: dict[str, Any]) -> str | None:
    """``"owner"``, the role the project is shared with the actor in, or None."""
    if project["owner_id"] == actor.user_id:
        return "owner"
    from backend.collab import services as collab  # collaboration builds on the studio

    return await collab.role_in_project(actor.user_id, project["public_id"])


def can_view_project(actor: Actor, project: dict[str, Any], role: str | None) -> bool:
    return role is not None


def can_edit_project(actor: Actor, project: dict[str, Any], role: str | None) -> bool:
    if not actor.can("write"):
        return False
    return role in ("owner", "editor")


def can_delete_project(actor: Actor, project: dict[str, Any]) -> bool:
    if not actor.can("write"):
        return False
    return project["owner_id"] == actor.user_id


def visible_asset(actor: Actor, asset: dict[str, Any] | None) -> dict[str, Any]:
    """Someone else's asset is indistinguishable from one that doesn't exist."""
    if asset is None or not can_view_asset(actor, asset):
        raise NotFound()
    return asset


async def visible_project(actor: Actor, project: dict[str, Any] | None) -> dict[str, Any]:
    if project is None or not can_view_project(actor, project, await project_role(actor, project)):
        raise NotFound()
    return project


async def editable_project(actor: Actor, project: dict[str, Any] | None) -> dict[str, Any]:
    role = await project_role(actor, project) if project is not None else None
    if project is None or not can_view_project(actor, project, role):
        raise NotFound()
    if not can_edit_project(actor, project, role):
        raise Forbidden("audio.errors.project_read_only")
    return project
