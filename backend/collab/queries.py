"""Reads (and the few plain writes) of the collaboration tables. JSON columns load as data."""

from __future__ import annotations

from typing import Any

from backend.collab.tables import Comment, Invitation, Member, SharedProject, Snapshot, Submission


async def member(project_id: str, user_id: int) -> dict[str, Any] | None:
    return await Member.select().where(Member.project_id == project_id, Member.user_id == user_id).first()


async def members_of(project_id: str) -> list[dict[str, Any]]:
    return await Member.select().where(Member.project_id == project_id).order_by(Member.id)


async def memberships_of(user_id: int, limit: int, before_id: int | None) -> list[dict[str, Any]]:
    query = Member.select().where(Member.user_id == user_id).order_by(Member.id, ascending=False).limit(limit)
    if before_id is not None:
        query = query.where(Member.id < before_id)
    return await query


async def invitation_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await Invitation.select().where(Invitation.public_id == public_id).first()


async def invitation_by_token_hash(token_hash: str) -> dict[str, Any] | None:
    return await Invitation.select().where(Invitation.token_hash == token_hash).first()


async def pending_invitations(project_id: str) -> list[dict[str, Any]]:
    return await (
        Invitation.select()
        .where(Invitation.project_id == project_id, Invitation.status == "pending")
        .order_by(Invitation.id)
    )


async def pending_for(project_id: str, *, user_id: int | None, email: str) -> dict[str, Any] | None:
    query = Invitation.select().where(Invitation.project_id == project_id, Invitation.status == "pending")
    query = (
        query.where(Invitation.user_id == user_id)
        if user_id is not None
        else query.where(Invitation.email == email)
    )
    return await query.first()


async def invitations_for(user_id: int, email: str) -> list[dict[str, Any]]:
    """Pending invitations addressed to this account, by handle or by its email address."""
    return await (
        Invitation.select()
        .where(Invitation.status == "pending", (Invitation.user_id == user_id) | (Invitation.email == email))
        .order_by(Invitation.id, ascending=False)
        .limit(50)
    )


async def comment_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await Comment.select().where(Comment.public_id == public_id).first()


async def comment_by_id(row_id: int) -> dict[str, Any] | None:
    return await Comment.select().where(Comment.id == row_id).first()


async def threads(
    project_id: str, limit: int, before_id: int | None, include_resolved: bool
) -> list[dict[str, Any]]:
    query = (
        Comment.select()
        .where(Comment.project_id == project_id, Comment.thread_id.is_null())
        .order_by(Comment.id, ascending=False)
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(Comment.id < before_id)
    if not include_resolved:
        query = query.where(Comment.resolved_at.is_null())
    return await query


async def replies_of(thread_ids: list[int]) -> list[dict[str, Any]]:
    if not thread_ids:
        return []
    return await Comment.select().where(Comment.thread_id.is_in(thread_ids)).order_by(Comment.id)


async def snapshot_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await Snapshot.select().where(Snapshot.public_id == public_id).output(load_json=True).first()


async def snapshots_of(project_id: str, limit: int, before_id: int | None) -> list[dict[str, Any]]:
    query = (
        Snapshot.select(
            Snapshot.id,
            Snapshot.public_id,
            Snapshot.project_id,
            Snapshot.name,
            Snapshot.revision,
            Snapshot.author_id,
            Snapshot.created_at,
        )
        .where(Snapshot.project_id == project_id)
        .order_by(Snapshot.id, ascending=False)
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(Snapshot.id < before_id)
    return await query


async def shared_project(project_id: str) -> dict[str, Any] | None:
    return await SharedProject.select().where(SharedProject.project_id == project_id).first()


async def forks_of(project_id: str, limit: int) -> list[dict[str, Any]]:
    return await (
        SharedProject.select()
        .where(SharedProject.forked_from == project_id)
        .order_by(SharedProject.id, ascending=False)
        .limit(limit)
    )


async def submission(project_id: str, author_id: int, client_batch_id: str) -> dict[str, Any] | None:
    return (
        await Submission.select()
        .where(
            Submission.project_id == project_id,
            Submission.author_id == author_id,
            Submission.client_batch_id == client_batch_id,
        )
        .output(load_json=True)
        .first()
    )


async def snapshot_at_or_after(project_id: str, revision: int) -> dict[str, Any] | None:
    return (
        await Snapshot.select()
        .where(Snapshot.project_id == project_id, Snapshot.revision >= revision)
        .order_by(Snapshot.revision)
        .output(load_json=True)
        .first()
    )
