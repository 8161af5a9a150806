"""Comments pinned to a time on the timeline (and optionally a track), replies, resolution.

A thread is a root comment and its replies (``thread_id``); resolving is per thread. Every change is
published on the project's channel so open studios show it at once.
"""

from __future__ import annotations

from typing import Any

from backend.audio import services as audio
from backend.collab import access, channels, queries, roles
from backend.collab.tables import Comment
from backend.core import clock, ratelimit
from backend.core.actor import Actor
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.core.pagination import Page, int_after, make_page, page_size

BODY_MAX = 2000
TIMELINE_SECONDS = 3600.0


def _body(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not 1 <= len(text) <= BODY_MAX:
        raise DomainError("collab.errors.comment_length", field="body", max=BODY_MAX)
    return text


def _time(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= TIMELINE_SECONDS:
        raise DomainError("collab.errors.comment_time", field="time", max=int(TIMELINE_SECONDS))
    return float(value)


async def _commentable(actor: Actor, project_id: str) -> tuple[dict[str, Any], str | None]:
    project = await audio.get_project(actor, project_id)
    role = await roles.role_of(actor, project)
    access.require(access.can_comment(actor, role), "collab.errors.cannot_comment")
    return project, role


async def add(
    actor: Actor,
    project_id: str,
    body: str,
    *,
    time: float | None = None,
    track_id: str | None = None,
    reply_to: str | None = None,
) -> dict[str, Any]:
    project, _ = await _commentable(actor, project_id)
    text = _body(body)
    await ratelimit.enforce(f"collab-comment:{actor.user_id}", 30, 60)
    thread = None
    if reply_to:
        thread = await queries.comment_by_public_id(reply_to)
        if thread is None or thread["project_id"] != project_id or thread["thread_id"] is not None:
            raise DomainError("collab.errors.comment_not_found", field="replyTo")
        at, on_track = thread["time"], thread["track_id"]
    else:
        at = _time(time if time is not None else 0.0)
        on_track = track_id or ""
        if on_track and not any(tr["id"] == on_track for tr in project["document"]["tracks"]):
            raise DomainError("collab.errors.track_not_found", field="trackId")
    public_id = new_id("cmt")
    await Comment.insert(
        Comment(
            public_id=public_id,
            project_id=project_id,
            thread_id=thread["id"] if thread else None,
            author_id=actor.user_id,
            body=text,
            time=at,
            track_id=on_track,
            revision=project["revision"],
            created_at=clock.now(),
        )
    )
    row = await queries.comment_by_public_id(public_id)
    assert row is not None
    await _announce(project_id, "replied" if thread else "created", thread or row, row)
    return row


async def _announce(project_id: str, change: str, thread: dict[str, Any], comment: dict[str, Any]) -> None:
    await channels.publish(
        project_id,
        {"type": "comment", "change": change, "thread": thread["public_id"], "comment": comment["public_id"]},
    )


async def _own_comment(actor: Actor, comment_id: str) -> tuple[dict[str, Any], str | None]:
    comment = await queries.comment_by_public_id(comment_id)
    if comment is None:
        raise NotFound()
    project = await audio.get_project(actor, comment["project_id"])  # NotFound outside the project
    return comment, await roles.role_of(actor, project)


async def resolve(actor: Actor, comment_id: str, resolved: bool = True) -> dict[str, Any]:
    comment, role = await _own_comment(actor, comment_id)
    if comment["thread_id"] is not None:
        raise DomainError("collab.errors.resolve_thread", field="id")
    access.require(access.can_resolve_comment(actor, role, comment), "collab.errors.cannot_resolve")
    await Comment.update(
        {
            Comment.resolved_at: clock.now() if resolved else None,
            Comment.resolved_by: actor.user_id if resolved else None,
        }
    ).where(Comment.id == comment["id"])
    row = await queries.comment_by_public_id(comment_id)
    assert row is not None
    await _announce(comment["project_id"], "resolved" if resolved else "reopened", row, row)
    return row


async def delete(actor: Actor, comment_id: str) -> dict[str, Any]:
    comment, role = await _own_comment(actor, comment_id)
    access.require(access.can_delete_comment(actor, role, comment), "collab.errors.cannot_delete_comment")
    await Comment.delete().where((Comment.id == comment["id"]) | (Comment.thread_id == comment["id"]))
    thread = await queries.comment_by_id(comment["thread_id"]) if comment["thread_id"] else comment
    await _announce(comment["project_id"], "deleted", thread or comment, comment)
    return comment


async def threads(
    actor: Actor, project_id: str, first: int | None, after: str | None, include_resolved: bool = True
) -> Page[dict[str, Any]]:
    """Root comments, newest first (replies through ``replies``)."""
    await audio.get_project(actor, project_id)
    size = page_size(first)
    rows = await queries.threads(project_id, size + 1, int_after(after), include_resolved)
    return make_page(rows, size, lambda r: r["id"])


async def get(actor: Actor, comment_id: str) -> dict[str, Any]:
    comment, _ = await _own_comment(actor, comment_id)
    return comment


async def replies(thread_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Replies by thread, oldest first (for a DataLoader; the caller checked the project)."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in thread_ids}
    for row in await queries.replies_of(thread_ids):
        found[row["thread_id"]].append(row)
    return found
