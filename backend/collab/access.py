"""Who may do what with a shared project. One condition a line; callers pass the actor's role.

A role is ``"owner"`` (the studio's project owner), ``"editor"``, ``"commenter"``, ``"viewer"``, or
``None`` (outside the project). Services look the role up once (``roles.role_of``) and ask here.
"""

from __future__ import annotations

from typing import Any

from backend.core.actor import Actor
from backend.core.errors import Forbidden, NotFound

ROLES = ("editor", "commenter", "viewer")
EDITING = ("owner", "editor")
COMMENTING = ("owner", "editor", "commenter")


def can_view(role: str | None) -> bool:
    return role is not None


def can_edit(actor: Actor, role: str | None) -> bool:
    if not actor.can("write"):
        return False
    return role in EDITING


def can_comment(actor: Actor, role: str | None) -> bool:
    if not actor.can("write"):
        return False
    return role in COMMENTING


def can_manage_members(actor: Actor, role: str | None) -> bool:
    if not actor.can("write"):
        return False
    return role == "owner"


def can_resolve_comment(actor: Actor, role: str | None, comment: dict[str, Any]) -> bool:
    if not can_comment(actor, role):
        return False
    return role in EDITING or comment["author_id"] == actor.user_id


def can_delete_comment(actor: Actor, role: str | None, comment: dict[str, Any]) -> bool:
    if not can_comment(actor, role):
        return False
    return role == "owner" or comment["author_id"] == actor.user_id


def can_fork(actor: Actor, role: str | None, allow_forks: bool) -> bool:
    if not actor.can("write") or role is None:
        return False
    return role == "owner" or allow_forks


def can_call(actor: Actor, role: str | None) -> bool:
    """Voice calls and presence: everyone in the project, viewers too."""
    return role is not None


def require_view(role: str | None) -> None:
    """Outside the project, it doesn't exist (no hint that the id is real)."""
    if not can_view(role):
        raise NotFound()


def require(allowed: bool, key: str = "collab.errors.not_allowed") -> None:
    if not allowed:
        raise Forbidden(key)
