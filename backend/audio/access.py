"""Who may see or change what in the studio. One condition a line.

Owner only for now. Collaboration extends ``can_view_project`` / ``can_edit_project`` with roles
(it will pass the actor's membership row in, as accounts does for organizations).
"""

from __future__ import annotations

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


def can_view_project(actor: Actor, project: dict[str, Any]) -> bool:
    return project["owner_id"] == actor.user_id


def can_edit_project(actor: Actor, project: dict[str, Any]) -> bool:
    if not actor.can("write"):
        return False
    return project["owner_id"] == actor.user_id


def can_delete_project(actor: Actor, project: dict[str, Any]) -> bool:
    return can_edit_project(actor, project) and project["owner_id"] == actor.user_id


def visible_asset(actor: Actor, asset: dict[str, Any] | None) -> dict[str, Any]:
    """Someone else's asset is indistinguishable from one that doesn't exist."""
    if asset is None or not can_view_asset(actor, asset):
        raise NotFound()
    return asset


def visible_project(actor: Actor, project: dict[str, Any] | None) -> dict[str, Any]:
    if project is None or not can_view_project(actor, project):
        raise NotFound()
    return project


def editable_project(actor: Actor, project: dict[str, Any] | None) -> dict[str, Any]:
    visible_project(actor, project)
    assert project is not None
    if not can_edit_project(actor, project):
        raise Forbidden("audio.errors.project_read_only")
    return project
