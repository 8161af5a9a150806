"""Who may do what with accounts and organizations. One condition a line."""

from __future__ import annotations

from typing import Any

from backend.core.actor import Actor
from backend.core.errors import Forbidden, Unauthenticated


def require_actor(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated()
    return actor


def require_scope(actor: Actor, scope: str) -> None:
    if not actor.can(scope):
        raise Forbidden("common.errors.missing_scope", scope=scope)


def require_confirmed(actor: Actor) -> None:
    if not actor.email_confirmed:
        raise Forbidden("accounts.errors.email_not_confirmed")


def require_session(actor: Actor) -> None:
    """Managing API keys needs a person at a browser, not another key."""
    if actor.api_key_id is not None:
        raise Forbidden("accounts.errors.session_required")


def can_view_organization(actor: Actor, membership: dict[str, Any] | None) -> bool:
    if membership is not None:
        return True
    return actor.is_admin


def can_manage_members(actor: Actor, membership: dict[str, Any] | None) -> bool:
    if membership is None:
        return actor.is_admin
    return membership["role"] in ("owner", "admin")


def can_grant_role(membership: dict[str, Any] | None, role: str) -> bool:
    """Admins manage members; only owners make or unmake owners and admins."""
    if membership is None:
        return False
    if membership["role"] == "owner":
        return True
    return membership["role"] == "admin" and role == "member"


def require_platform_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden()
