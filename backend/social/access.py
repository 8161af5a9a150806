"""Who may see and do what in the community. One condition a line.

The one rule that matters most: a release that is not *listed* (published, public, not deleted) is
seen only by its owner — and, when it is unlisted, by whoever holds its secret link. Everything
that shows releases to other people (feeds, search, profile lists, oEmbed, notifications, GraphQL)
goes through ``can_view_release`` or the ``listed`` filter in ``queries.py``.
"""

from __future__ import annotations

import hmac
from typing import Any

from backend.core.actor import Actor
from backend.core.errors import DomainError, Forbidden, NotFound, Unauthenticated


def require_actor(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated()
    return actor


def require_write(actor: Actor | None) -> Actor:
    actor = require_actor(actor)
    if not actor.can("write"):
        raise Forbidden("common.errors.missing_scope", scope="write")
    return actor


def is_owner(actor: Actor | None, release: dict[str, Any]) -> bool:
    return actor is not None and actor.user_id == release["owner_id"]


def is_listed(release: dict[str, Any]) -> bool:
    """Listed releases may appear anywhere: feeds, search, profiles, oEmbed, notifications."""
    if release.get("deleted_at") is not None:
        return False
    if release["status"] != "published":
        return False
    return release["visibility"] == "public"


def has_link(release: dict[str, Any], key: str | None) -> bool:
    """The secret link of an unlisted release (compared in constant time)."""
    if release["visibility"] != "unlisted" or not key or not release.get("secret_token"):
        return False
    return hmac.compare_digest(key.encode(), str(release["secret_token"]).encode())


def can_view_release(actor: Actor | None, release: dict[str, Any], key: str | None = None) -> bool:
    if release.get("deleted_at") is not None:
        return False
    if is_owner(actor, release):
        return True
    if release["status"] != "published":
        return False
    if release["visibility"] == "public":
        return True
    return has_link(release, key)


def require_view_release(actor: Actor | None, release: dict[str, Any] | None, key: str | None = None) -> None:
    """Refuse without saying whether a hidden release exists."""
    if release is None or not can_view_release(actor, release, key):
        raise NotFound()


def require_interact(actor: Actor | None, release: dict[str, Any] | None, key: str | None = None) -> None:
    """Likes and comments: a deleted release gets its own answer (it existed and is gone)."""
    if (
        release is not None
        and release.get("deleted_at") is not None
        and is_visible_before_delete(actor, release)
    ):
        raise DomainError("social.errors.release_deleted")
    require_view_release(actor, release, key)


def is_visible_before_delete(actor: Actor | None, release: dict[str, Any]) -> bool:
    return is_owner(actor, release) or release["visibility"] == "public"


def require_owner(actor: Actor, release: dict[str, Any]) -> None:
    if not is_owner(actor, release):
        raise NotFound()  # another person's release: don't confirm it exists


def can_publish(actor: Actor) -> bool:
    return actor.platform_role in ("creator", "moderator", "admin")


def require_publisher(actor: Actor) -> None:
    if not can_publish(actor):
        raise Forbidden("social.errors.creators_only")
    if not actor.email_confirmed:
        raise Forbidden("social.errors.confirm_email_first")


def can_repost(actor: Actor, release: dict[str, Any]) -> bool:
    return is_listed(release) and not is_owner(actor, release)


def can_delete_comment(actor: Actor, comment: dict[str, Any], release: dict[str, Any]) -> bool:
    if comment["user_id"] == actor.user_id:
        return True
    if is_owner(actor, release):
        return True
    return actor.is_moderator


def require_moderator(actor: Actor | None) -> Actor:
    actor = require_actor(actor)
    if not actor.is_moderator:
        raise Forbidden()
    return actor


def can_see_stats(actor: Actor | None, owner_id: int) -> bool:
    """Charts of plays and follower growth are for the creator themselves."""
    return actor is not None and actor.user_id == owner_id
