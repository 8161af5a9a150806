from __future__ import annotations

import strawberry
from strawberry.types import Info

from backend.collab import access
from backend.collab import services as collab
from backend.graphql.collab.types import (
    Collaboration,
    Collaborator,
    ForkSource,
    HistoryEntry,
    Presence,
    ProjectComment,
    ProjectInvitation,
    ProjectRole,
    SharedProject,
    Snapshot,
)
from backend.graphql.pagination import Connection, connection
from backend.graphql.permissions import IsAuthenticated


@strawberry.type
class CollabQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Who is in a project (members, presence), what the viewer may do, call settings.",
    )
    async def project_collaboration(self, info: Info, project_id: strawberry.ID) -> Collaboration:
        actor = info.context.actor
        project, rows = await collab.members(actor, str(project_id))
        role = await collab.role_of(actor, project)
        settings = await collab.settings_of(project["public_id"])
        source = await collab.forked_from(actor, project["public_id"])
        return Collaboration(
            project_id=strawberry.ID(project["public_id"]),
            role=ProjectRole(role),
            members=[Collaborator(row=r) for r in rows],
            invitations=[ProjectInvitation(row=r) for r in await collab.invitations(actor, str(project_id))],
            presence=[Presence(data=p) for p in await collab.presence_of(project["public_id"])],
            allow_forks=bool(settings["allow_forks"]),
            forked_from=ForkSource(
                project_id=strawberry.ID(source["project_id"]),
                title=source["title"],
                revision=source["revision"],
                visible=source["visible"],
            )
            if source
            else None,
            can_edit=access.can_edit(actor, role),
            can_comment=access.can_comment(actor, role),
            can_manage=access.can_manage_members(actor, role),
            can_fork=access.can_fork(actor, role, bool(settings["allow_forks"])),
            ice_servers=collab.ice_servers(),  # type: ignore[arg-type]
        )

    @strawberry.field(permission_classes=[IsAuthenticated], description="Comment threads, newest first.")
    async def project_comments(
        self,
        info: Info,
        project_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
        include_resolved: bool = True,
    ) -> Connection[ProjectComment]:
        page = await collab.comment_threads(
            info.context.actor, str(project_id), first, after, include_resolved
        )
        return connection(page, ProjectComment)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def project_comment(self, info: Info, id: strawberry.ID) -> ProjectComment:
        return ProjectComment(row=await collab.get_comment(info.context.actor, str(id)))

    @strawberry.field(
        permission_classes=[IsAuthenticated], description="Every change with its author, newest first."
    )
    async def project_history(
        self, info: Info, project_id: strawberry.ID, first: int | None = None, after: str | None = None
    ) -> Connection[HistoryEntry]:
        return connection(
            await collab.history(info.context.actor, str(project_id), first, after), HistoryEntry
        )

    @strawberry.field(permission_classes=[IsAuthenticated], description="Named versions, newest first.")
    async def project_snapshots(
        self, info: Info, project_id: strawberry.ID, first: int | None = None, after: str | None = None
    ) -> Connection[Snapshot]:
        return connection(await collab.snapshots(info.context.actor, str(project_id), first, after), Snapshot)

    @strawberry.field(permission_classes=[IsAuthenticated], description="Invitations waiting for the viewer.")
    async def my_project_invitations(self, info: Info) -> list[ProjectInvitation]:
        return [ProjectInvitation(row=r) for r in await collab.my_invitations(info.context.actor)]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The invitation a link's token opens (if it is the viewer's).",
    )
    async def project_invitation(self, info: Info, token: str) -> ProjectInvitation:
        return ProjectInvitation(row=await collab.invitation_for_token(info.context.actor, token))

    @strawberry.field(permission_classes=[IsAuthenticated], description="Projects shared with the viewer.")
    async def shared_projects(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[SharedProject]:
        from backend.core.pagination import int_after, make_page, page_size

        size = page_size(first)
        rows = await collab.shared_with_me(info.context.actor, size + 1, int_after(after))
        return connection(make_page(rows, size, lambda r: r["id"]), SharedProject)
