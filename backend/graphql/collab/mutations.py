from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.collab import services as collab
from backend.core.errors import DomainError
from backend.core.i18n import t
from backend.graphql.audio.mutations import ProjectOperationInput, _operation
from backend.graphql.audio.types import Project
from backend.graphql.collab.types import (
    CallSignalKind,
    Collaborator,
    Presence,
    ProjectComment,
    ProjectInvitation,
    ProjectRole,
    Snapshot,
)
from backend.graphql.errors import FieldError, field_errors, returns_payload
from backend.graphql.permissions import CanWrite


@strawberry.type
class SubmitProjectOperationsPayload:
    revision: int | None = strawberry.field(
        default=None, description="The revision after the commit (for a dropped batch: the current one)."
    )
    committed_on: int | None = strawberry.field(
        default=None, description="The revision the batch was applied on."
    )
    operations: JSON | None = strawberry.field(
        default=None, description="The operations as committed (transformed)."
    )
    dropped: int = strawberry.field(default=0, description="Operations that became noops (meaningless now).")
    replayed: bool = strawberry.field(
        default=False, description="The stored answer to an earlier send of this batch."
    )
    resync_required: bool = strawberry.field(
        default=False, description="Nothing was committed: fetch the project again before retrying."
    )
    current_revision: int | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdatePresencePayload:
    presence: Presence | None = None
    revision: int | None = strawberry.field(
        default=None, description="The project's revision (to spot missed events)."
    )
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class ProjectInvitationPayload:
    invitation: ProjectInvitation | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class AcceptProjectInvitationPayload:
    project: Project | None = None
    role: ProjectRole | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class CollaboratorPayload:
    collaborator: Collaborator | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class RemoveCollaboratorPayload:
    removed_user_id: strawberry.ID | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class ProjectCommentPayload:
    comment: ProjectComment | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletedPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class SnapshotPayload:
    snapshot: Snapshot | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class RestoreProjectVersionPayload:
    project: Project | None = None
    revision: int | None = None
    operations: JSON | None = strawberry.field(
        default=None, description="The operations the restore committed."
    )
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class SetProjectForkingPayload:
    allow_forks: bool | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class ForkProjectPayload:
    project: Project | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class SendCallSignalPayload:
    delivered: bool = False
    errors: list[FieldError] = strawberry.field(default_factory=list)


def _batch_errors(exc: DomainError, locale: str) -> list[FieldError]:
    errors = field_errors(exc, locale)
    number = exc.params.get("number")
    if number is not None:
        for error in errors:
            error.message = t("audio.errors.in_operation", locale, number=number, message=error.message)
    return errors


@strawberry.type
class CollabMutations:
    @strawberry.mutation(
        permission_classes=[CanWrite],
        description=(
            "Submit a batch made on `baseRevision`: the server transforms it against everything committed "
            "since, commits it at the current revision and broadcasts it. Keep one batch in flight; resend "
            "with the same `clientBatchId` after a lost answer (it is never committed twice)."
        ),
    )
    async def submit_project_operations(
        self,
        info: Info,
        project_id: strawberry.ID,
        base_revision: int,
        operations: list[ProjectOperationInput],
        client_batch_id: str,
    ) -> SubmitProjectOperationsPayload:
        locale = info.context.locale
        try:
            done = await collab.submit(
                info.context.actor,
                str(project_id),
                base_revision,
                [_operation(o) for o in operations],
                client_batch_id,
            )
        except collab.ResyncRequired as exc:
            return SubmitProjectOperationsPayload(
                resync_required=True, current_revision=exc.current, errors=field_errors(exc, locale)
            )
        except collab.Refused as exc:
            # The client's view of the project is off: it should fetch it again before retrying.
            return SubmitProjectOperationsPayload(
                resync_required=True, current_revision=exc.current, errors=_batch_errors(exc, locale)
            )
        except DomainError as exc:
            return SubmitProjectOperationsPayload(errors=_batch_errors(exc, locale))
        return SubmitProjectOperationsPayload(
            revision=done.revision,
            committed_on=done.committed_on,
            operations=done.operations,  # type: ignore[arg-type]
            dropped=done.dropped,
            replayed=done.replayed,
            current_revision=done.revision,
        )

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Heartbeat and selection of one client (send every few seconds; floods are refused).",
    )
    @returns_payload(UpdatePresencePayload)
    async def update_presence(
        self,
        info: Info,
        project_id: strawberry.ID,
        client_id: str,
        track_id: strawberry.ID | None = None,
        clip_id: strawberry.ID | None = None,
        playhead: float | None = None,
        in_call: bool = False,
    ) -> UpdatePresencePayload:
        actor = info.context.actor
        project = await _project(info, str(project_id))
        entry = await collab.update_presence(
            actor,
            project["public_id"],
            client_id,
            collab.Selection(
                track_id=str(track_id) if track_id else None,
                clip_id=str(clip_id) if clip_id else None,
                playhead=playhead,
                in_call=in_call,
            ),
        )
        return UpdatePresencePayload(presence=Presence(data=entry), revision=project["revision"])

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Invite someone by email address or @handle (Professional plan and up).",
    )
    @returns_payload(ProjectInvitationPayload)
    async def invite_collaborator(
        self, info: Info, project_id: strawberry.ID, invitee: str, role: ProjectRole
    ) -> ProjectInvitationPayload:
        if role == ProjectRole.OWNER:
            raise DomainError("collab.errors.bad_role", field="role")
        row, _ = await collab.invite(info.context.actor, str(project_id), invitee, role.value)
        return ProjectInvitationPayload(invitation=ProjectInvitation(row=row))

    @strawberry.mutation(
        permission_classes=[CanWrite], description="Accept an invitation (by its id, or by the link's token)."
    )
    @returns_payload(AcceptProjectInvitationPayload)
    async def accept_project_invitation(
        self, info: Info, invitation_id: strawberry.ID | None = None, token: str | None = None
    ) -> AcceptProjectInvitationPayload:
        actor = info.context.actor
        row = await collab.accept(
            actor, token=token, invitation_id=str(invitation_id) if invitation_id else None
        )
        return AcceptProjectInvitationPayload(
            project=Project(row=await _project(info, row["project_id"])), role=ProjectRole(row["role"])
        )

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(ProjectInvitationPayload)
    async def decline_project_invitation(
        self, info: Info, invitation_id: strawberry.ID
    ) -> ProjectInvitationPayload:
        return ProjectInvitationPayload(
            invitation=ProjectInvitation(row=await collab.decline(info.context.actor, str(invitation_id)))
        )

    @strawberry.mutation(permission_classes=[CanWrite], description="The owner takes an invitation back.")
    @returns_payload(ProjectInvitationPayload)
    async def revoke_project_invitation(
        self, info: Info, invitation_id: strawberry.ID
    ) -> ProjectInvitationPayload:
        return ProjectInvitationPayload(
            invitation=ProjectInvitation(row=await collab.revoke(info.context.actor, str(invitation_id)))
        )

    @strawberry.mutation(
        permission_classes=[CanWrite], description="The owner changes someone's role (at once)."
    )
    @returns_payload(CollaboratorPayload)
    async def change_collaborator_role(
        self, info: Info, project_id: strawberry.ID, user_id: strawberry.ID, role: ProjectRole
    ) -> CollaboratorPayload:
        if role == ProjectRole.OWNER:
            raise DomainError("collab.errors.bad_role", field="role")
        row = await collab.change_role(info.context.actor, str(project_id), str(user_id), role.value)
        return CollaboratorPayload(collaborator=Collaborator(row=row))

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="The owner removes someone (or someone leaves): at once, open connections included.",
    )
    @returns_payload(RemoveCollaboratorPayload)
    async def remove_collaborator(
        self, info: Info, project_id: strawberry.ID, user_id: strawberry.ID
    ) -> RemoveCollaboratorPayload:
        await collab.remove(info.context.actor, str(project_id), str(user_id))
        return RemoveCollaboratorPayload(removed_user_id=user_id)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Comment at a time (seconds), maybe on a track; or reply to a thread (`replyTo`).",
    )
    @returns_payload(ProjectCommentPayload)
    async def add_project_comment(
        self,
        info: Info,
        project_id: strawberry.ID,
        body: str,
        time: float | None = None,
        track_id: strawberry.ID | None = None,
        reply_to: strawberry.ID | None = None,
    ) -> ProjectCommentPayload:
        row = await collab.add_comment(
            info.context.actor,
            str(project_id),
            body,
            time=time,
            track_id=str(track_id) if track_id else None,
            reply_to=str(reply_to) if reply_to else None,
        )
        return ProjectCommentPayload(comment=ProjectComment(row=row))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(ProjectCommentPayload)
    async def resolve_project_comment(
        self, info: Info, comment_id: strawberry.ID, resolved: bool = True
    ) -> ProjectCommentPayload:
        return ProjectCommentPayload(
            comment=ProjectComment(
                row=await collab.resolve_comment(info.context.actor, str(comment_id), resolved)
            )
        )

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(DeletedPayload)
    async def delete_project_comment(self, info: Info, comment_id: strawberry.ID) -> DeletedPayload:
        row = await collab.delete_comment(info.context.actor, str(comment_id))
        return DeletedPayload(deleted_id=strawberry.ID(row["public_id"]))

    @strawberry.mutation(permission_classes=[CanWrite], description="Name the current version.")
    @returns_payload(SnapshotPayload)
    async def create_snapshot(self, info: Info, project_id: strawberry.ID, name: str) -> SnapshotPayload:
        return SnapshotPayload(
            snapshot=Snapshot(row=await collab.create_snapshot(info.context.actor, str(project_id), name))
        )

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(DeletedPayload)
    async def delete_snapshot(self, info: Info, snapshot_id: strawberry.ID) -> DeletedPayload:
        row = await collab.delete_snapshot(info.context.actor, str(snapshot_id))
        return DeletedPayload(deleted_id=strawberry.ID(row["public_id"]))

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Bring back an earlier revision or snapshot as new operations (history isn't rewritten).",
    )
    @returns_payload(RestoreProjectVersionPayload)
    async def restore_project_version(
        self,
        info: Info,
        project_id: strawberry.ID,
        revision: int | None = None,
        snapshot_id: strawberry.ID | None = None,
    ) -> RestoreProjectVersionPayload:
        committed = await collab.restore(
            info.context.actor,
            str(project_id),
            revision=revision,
            snapshot_id=str(snapshot_id) if snapshot_id else None,
        )
        return RestoreProjectVersionPayload(
            project=Project(row=committed.project),
            revision=committed.project["revision"],
            operations=committed.operations,  # type: ignore[arg-type]
        )

    @strawberry.mutation(permission_classes=[CanWrite], description="The owner allows (or stops) forking.")
    @returns_payload(SetProjectForkingPayload)
    async def set_project_forking(
        self, info: Info, project_id: strawberry.ID, allowed: bool
    ) -> SetProjectForkingPayload:
        row = await collab.set_forking(info.context.actor, str(project_id), allowed)
        return SetProjectForkingPayload(allow_forks=bool(row["allow_forks"]))

    @strawberry.mutation(
        permission_classes=[CanWrite], description="Copy the current version into a project of your own."
    )
    @returns_payload(ForkProjectPayload)
    async def fork_project(
        self, info: Info, project_id: strawberry.ID, title: str | None = None
    ) -> ForkProjectPayload:
        return ForkProjectPayload(
            project=Project(row=await collab.fork(info.context.actor, str(project_id), title))
        )

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Relay a WebRTC offer, answer or ICE candidate to one collaborator (or one client).",
    )
    @returns_payload(SendCallSignalPayload)
    async def send_call_signal(
        self,
        info: Info,
        project_id: strawberry.ID,
        to_user_id: strawberry.ID,
        kind: CallSignalKind,
        payload: JSON,
        from_client_id: str,
        to_client_id: str | None = None,
    ) -> SendCallSignalPayload:
        await collab.send_signal(
            info.context.actor,
            str(project_id),
            str(to_user_id),
            kind.value,
            payload,
            from_client_id=from_client_id,
            to_client_id=to_client_id,
        )
        return SendCallSignalPayload(delivered=True)


async def _project(info: Info, project_id: str) -> dict:
    from backend.audio import services as audio

    return await audio.get_project(info.context.actor, project_id)
