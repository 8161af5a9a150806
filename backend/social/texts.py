"""What a notification says, in the reader's language, worked out when it is read."""

from __future__ import annotations

from typing import Any

from backend.core.actor import Actor
from backend.core.i18n import t
from backend.social import access

_WITH_TRACK = {"like", "repost", "comment", "release"}


def _clock(seconds: float) -> str:
    total = int(seconds)
    return f"{total // 60}:{total % 60:02d}"


def describe(
    notification: dict[str, Any],
    *,
    recipient: Actor | None,
    actor_user: dict[str, Any] | None,
    release: dict[str, Any] | None,
    comment: dict[str, Any] | None = None,
    locale: str | None = None,
) -> tuple[str, str]:
    """(message, relative url). A release the recipient may no longer see is not named."""
    kind = notification["kind"]
    data = notification.get("data") or {}
    name = actor_user["display_name"] if actor_user else t("social.notifications.someone", locale)
    visible = release is not None and access.can_view_release(recipient, release)
    if kind in _WITH_TRACK and not visible:
        return t("social.notifications.unavailable", locale, name=name), ""
    if kind == "follow":
        url = f"/@{actor_user['handle']}" if actor_user else ""
        return t("social.notifications.follow", locale, name=name), url
    if kind in _WITH_TRACK and release is not None:
        url = f"/tracks/{release['public_id']}"
        if kind == "comment" and comment is not None and comment.get("at_seconds") is not None:
            message = t(
                "social.notifications.comment_at",
                locale,
                name=name,
                title=release["title"],
                at=_clock(comment["at_seconds"]),
            )
            return message, f"{url}?t={int(comment['at_seconds'])}"
        return t(f"social.notifications.{kind}", locale, name=name, title=release["title"]), url
    if data.get("message_key"):
        return t(str(data["message_key"]), locale, **(data.get("params") or {})), str(data.get("url") or "")
    return t("social.notifications.generic", locale), str(data.get("url") or "")
