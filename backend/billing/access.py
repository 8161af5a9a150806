"""Who may see and change which billing. One condition a line.

A user manages their own billing; an organization's billing is managed by its owners and admins
and seen by nobody else. Anyone else asking gets "not found", never a hint that it exists.
"""

from __future__ import annotations

from backend.core.actor import Actor
from backend.core.errors import Forbidden, Unauthenticated


def require_actor(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated()
    return actor


def require_write(actor: Actor) -> None:
    if not actor.can("write"):
        raise Forbidden("common.errors.missing_scope", scope="write")


def can_manage_organization_billing(role: str | None) -> bool:
    return role in ("owner", "admin")


def can_view_organization_billing(role: str | None) -> bool:
    return role in ("owner", "admin")


def can_refund(actor: Actor) -> bool:
    return actor.is_admin
