"""The community's use cases, for GraphQL, pages and other domains. Each takes an ``Actor`` and ids.

Other domains call only this module, mostly:

- ``notify(user_id, kind, actor_id=..., message_key=..., params=..., url=...)`` — tell a user
  something (live in the bell, and in their daily digest). Use your own ``kind`` (e.g. ``"sale"``)
  with a translation key; the user's per-type preferences apply.
- ``listed_release(public_id)`` — a release anyone may see, or None (for a shop or a search index).
- ``profile_summary(user_id)`` — display name, handle, avatar key, verified.
- The genre taxonomy is not here: it is ``backend.taxonomy``, shared by everyone.
"""

from __future__ import annotations

from typing import Any

from backend.social import (
    access,
    charts,
    engagement,
    feeds,
    follows,
    images,
    notifications,
    plays,
    profiles,
    queries,
    releases,
    sharing,
    texts,
    verification,
)
from backend.social.notifications import notify
from backend.social.profiles import ProfileChanges
from backend.social.releases import CreditInput, ReleaseChanges, ReleaseInput

__all__ = [
    "CreditInput",
    "ProfileChanges",
    "ReleaseChanges",
    "ReleaseInput",
    "access",
    "charts",
    "engagement",
    "feeds",
    "follows",
    "images",
    "listed_release",
    "notifications",
    "notify",
    "plays",
    "profile_summary",
    "profiles",
    "queries",
    "releases",
    "sharing",
    "texts",
    "verification",
]


async def listed_release(public_id: str) -> dict[str, Any] | None:
    release = await queries.release_by_public_id(public_id)
    return release if release is not None and access.is_listed(release) else None


async def profile_summary(user_id: int) -> dict[str, Any]:
    profile = await profiles.profile_for(user_id)
    return {
        "user_id": user_id,
        "avatar_key": profile["avatar_key"],
        "verified": profile["verified_at"] is not None,
        "follower_count": profile["follower_count"],
    }
