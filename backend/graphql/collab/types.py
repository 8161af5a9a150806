"""Collaboration types: roles, invitations, presence, comments, history, snapshots, live events."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.collab import services as collab
from backend.core.i18n import t
from backend.graphql.accounts.types import User
from backend.graphql.audio.types import ProjectOperationKind
from backend.graphql.collab.loaders import RepliesByThreadLoader, UserByPublicIdLoader
from backend.graphql.loaders import UserByIdLoader


@strawberry.enum(description="What someone may do in a shared project.")
class ProjectRole(Enum):
    OWNER = "owner"
    EDITOR = "editor"
    COMMENTER = "commenter"
    VIEWER = "viewer"


def role_enum(role: str | None) -> ProjectRole | None:
    return ProjectRole(role) if role else None


@strawberry.enum
class InvitationStatus(Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"


@strawberry.enum(description="WebRTC signalling messages, relayed to one collaborator.")
class CallSignalKind(Enum):
    OFFER = "offer"
    ANSWER = "answer"
    ICE = "ice"
    HANGUP = "hangup"


async def _user(info: Info, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    row = await info.context.loader(UserByIdLoader).load(user_id)
    return User(row=row) if row else None


async def _user_by_public_id(info: Info, public_id: str | None) -> User | None:
    if not public_id:
        return None
    row = await info.context.loader(UserByPublicIdLoader).load(public_id)
    return User(row=row) if row else None


@strawberry.type(description="Someone in a project: the owner, or a collaborator with a role.")
class Collaborator:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        return await _user(info, self.row["user_id"])

    @strawberry.field
    def role(self) -> ProjectRole:
        return ProjectRole(self.row["role"])

    @strawberry.field(description="The colour this person has on every collaborator's screen.")
    async def color(self, info: Info) -> str:
        user = await info.context.loader(UserByIdLoader).load(self.row["user_id"])
        return collab.color_of(user["public_id"]) if user else "#888888"

    @strawberry.field
    def since(self) -> datetime | None:
        return self.row.get("created_at")


@strawberry.type(description="An invitation to a project, by email address or by handle.")
class ProjectInvitation:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def project_id(self) -> strawberry.ID:
        return strawberry.ID(self.row["project_id"])

    @strawberry.field(description="The project's title, as the invitee sees it before joining.")
    async def project_title(self) -> str:
        return await collab.project_title(self.row)

    @strawberry.field
    def role(self) -> ProjectRole:
        return ProjectRole(self.row["role"])

    @strawberry.field(description="The address invited, or the invited account's handle.")
    async def invitee(self, info: Info) -> str:
        if self.row["email"]:
            return self.row["email"]
        user = await info.context.loader(UserByIdLoader).load(self.row["user_id"])
        return f"@{user['handle']}" if user else ""

    @strawberry.field
    def status(self) -> InvitationStatus:
        return InvitationStatus(self.row["status"])

    @strawberry.field
    async def invited_by(self, info: Info) -> User | None:
        return await _user(info, self.row["invited_by"])

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]

    @strawberry.field
    def expires_at(self) -> datetime:
        return self.row["expires_at"]


@strawberry.type
class PresenceUser:
    id: strawberry.ID
    display_name: str
    handle: str


@strawberry.type(
    description="One open client (a tab or an API connection) in a project, and what it touches."
)
class Presence:
    data: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def client_id(self) -> str:
        return self.data["client_id"]

    @strawberry.field
    def user(self) -> PresenceUser:
        user = self.data["user"]
        return PresenceUser(
            id=strawberry.ID(user["id"]), display_name=user.get("name", ""), handle=user.get("handle", "")
        )

    @strawberry.field
    def color(self) -> str:
        return self.data.get("color") or collab.color_of(self.data["user"]["id"])

    @strawberry.field
    def initials(self) -> str:
        return self.data.get("initials") or collab.initials_of(self.data["user"].get("name", "?"))

    @strawberry.field(description="The track selected, if any.")
    def track_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.data["track_id"]) if self.data.get("track_id") else None

    @strawberry.field(description="The clip selected, if any.")
    def clip_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.data["clip_id"]) if self.data.get("clip_id") else None

    @strawberry.field(description="Seconds.")
    def playhead(self) -> float | None:
        return self.data.get("playhead")

    @strawberry.field
    def in_call(self) -> bool:
        return bool(self.data.get("in_call"))


@strawberry.type(description="A comment pinned to a time on the timeline (and maybe a track), or a reply.")
class ProjectComment:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def body(self) -> str:
        return self.row["body"]

    @strawberry.field(description="Seconds from the start of the timeline.")
    def time(self) -> float:
        return self.row["time"]

    @strawberry.field
    def track_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.row["track_id"]) if self.row["track_id"] else None

    @strawberry.field(description="The project revision it was written against.")
    def revision(self) -> int:
        return self.row["revision"]

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        return await _user(info, self.row["author_id"])

    @strawberry.field
    def resolved(self) -> bool:
        return self.row["resolved_at"] is not None

    @strawberry.field
    def resolved_at(self) -> datetime | None:
        return self.row["resolved_at"]

    @strawberry.field
    async def resolved_by(self, info: Info) -> User | None:
        return await _user(info, self.row["resolved_by"])

    @strawberry.field(description="Replies, oldest first (a reply has none).")
    async def replies(self, info: Info) -> list[ProjectComment]:
        if self.row["thread_id"] is not None:
            return []
        rows = await info.context.loader(RepliesByThreadLoader).load(self.row["id"])
        return [ProjectComment(row=r) for r in rows]

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]


HISTORY_FIELDS = {"set_project", "set_track", "set_clip", "set_master"}


def summary(kind: str, payload: dict[str, Any], locale: str) -> str:
    """A short sentence for the history list, in the reader's language."""
    params: dict[str, Any] = {}
    if kind in HISTORY_FIELDS:
        params["field"] = t(f"collab.history.fields.{payload.get('field')}", locale)
    if kind == "add_track":
        params["name"] = payload.get("track", {}).get("name", "")
    if kind == "move_clip":
        params["start"] = payload.get("start", 0)
    return t(f"collab.history.kinds.{kind}", locale, **params)


@strawberry.type(
    description="One committed change of a project, with its author (the log is never rewritten)."
)
class HistoryEntry:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="The revision this change produced.")
    def revision(self) -> int:
        return self.row["revision"]

    @strawberry.field
    def kind(self) -> ProjectOperationKind:
        return ProjectOperationKind(self.row["kind"])

    @strawberry.field(description="What changed, in the viewer's language.")
    def summary(self, info: Info) -> str:
        return summary(self.row["kind"], self.row["payload"], info.context.locale)

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        return await _user(info, self.row["author_id"])

    @strawberry.field
    def batch_id(self) -> str:
        return self.row["batch_id"]

    @strawberry.field(description="The operation as applied.")
    def operation(self) -> JSON:
        return self.row["payload"]

    @strawberry.field(description="The operation that undoes it.")
    def inverse(self) -> JSON | None:
        return self.row["inverse"]

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]


@strawberry.type(description="A named version of a project.")
class Snapshot:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def name(self) -> str:
        return self.row["name"]

    @strawberry.field
    def revision(self) -> int:
        return self.row["revision"]

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        return await _user(info, self.row["author_id"])

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]


@strawberry.type(description="Where a forked project came from.")
class ForkSource:
    project_id: strawberry.ID
    title: str
    revision: int | None
    visible: bool = strawberry.field(description="False when the viewer may not open the source.")


@strawberry.type(description="Who is in a project, what the viewer may do there, and how calls connect.")
class Collaboration:
    project_id: strawberry.ID
    role: ProjectRole
    members: list[Collaborator]
    invitations: list[ProjectInvitation] = strawberry.field(description="Pending; only the owner sees them.")
    presence: list[Presence]
    allow_forks: bool
    forked_from: ForkSource | None
    can_edit: bool
    can_comment: bool
    can_manage: bool
    can_fork: bool
    ice_servers: JSON = strawberry.field(description="RTCPeerConnection iceServers (STUN/TURN) for calls.")


@strawberry.type(description="A project shared with the viewer.")
class SharedProject:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def project_id(self) -> strawberry.ID:
        return strawberry.ID(self.row["project_id"])

    @strawberry.field
    def title(self) -> str:
        return self.row["project"]["title"]

    @strawberry.field
    def revision(self) -> int:
        return self.row["project"]["revision"]

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await _user(info, self.row["project"]["owner_id"])

    @strawberry.field
    def role(self) -> ProjectRole:
        return ProjectRole(self.row["role"])

    @strawberry.field
    def since(self) -> datetime:
        return self.row["created_at"]

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.row["project"]["updated_at"]


# ----------------------------------------------------------------------------- live events


@strawberry.type(
    description=(
        "First event of the stream: the current revision and document, your role and who is here. With "
        "`resumedFrom` (you subscribed with `afterRevision`), the commits after that revision follow "
        "as events: keep your state and apply them instead of the document."
    )
)
class ProjectSynced:
    project_id: strawberry.ID
    revision: int
    document: JSON
    role: ProjectRole
    people: list[Presence]
    resumed_from: int | None


@strawberry.type(description="A batch committed to the project, as applied (after transformation).")
class OperationsCommitted:
    data: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def project_id(self) -> strawberry.ID:
        return strawberry.ID(self.data["project"])

    @strawberry.field
    def base_revision(self) -> int:
        return self.data["base_revision"]

    @strawberry.field
    def revision(self) -> int:
        return self.data["revision"]

    @strawberry.field(description="The client batch id it was submitted with (or the studio's batch id).")
    def batch_id(self) -> str:
        return self.data["batch_id"]

    @strawberry.field
    def author_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.data["author"]) if self.data.get("author") else None

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        return await _user_by_public_id(info, self.data.get("author"))

    @strawberry.field
    def operations(self) -> JSON:
        return self.data["operations"]


@strawberry.type(description="A batch whose every operation became a noop: nothing was committed.")
class BatchDropped:
    project_id: strawberry.ID
    author_id: strawberry.ID | None
    batch_id: str
    revision: int
    count: int


@strawberry.type(description="Someone's presence changed (or they left: `left`).")
class PresenceChanged:
    presence: Presence
    left: bool


@strawberry.enum
class CommentChange(Enum):
    CREATED = "created"
    REPLIED = "replied"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    DELETED = "deleted"


@strawberry.type(description="A comment was added, answered, resolved, reopened or deleted.")
class CommentChanged:
    change: CommentChange
    thread_id: strawberry.ID
    comment_id: strawberry.ID


@strawberry.type(description="A WebRTC signalling message addressed to the subscriber.")
class CallSignal:
    kind: CallSignalKind
    payload: JSON
    from_user_id: strawberry.ID
    from_name: str
    from_client_id: str
    to_client_id: str | None


@strawberry.enum
class MembershipChange(Enum):
    INVITED = "invited"
    JOINED = "joined"
    DECLINED = "declined"
    REVOKED = "revoked"
    ROLE = "role"
    REMOVED = "removed"


@strawberry.type(description="Someone joined, left or changed role; `yourRole` is the subscriber's now.")
class MembershipChanged:
    membership_change: MembershipChange
    user_id: strawberry.ID | None
    member_role: ProjectRole | None
    your_role: ProjectRole | None


@strawberry.type(description="A snapshot was created or deleted.")
class SnapshotChanged:
    snapshot_id: strawberry.ID
    deleted: bool


@strawberry.type(description="The subscriber's access was removed: the stream ends after this event.")
class AccessRevoked:
    project_id: strawberry.ID


ProjectEvent = Annotated[
    ProjectSynced
    | OperationsCommitted
    | BatchDropped
    | PresenceChanged
    | CommentChanged
    | CallSignal
    | MembershipChanged
    | SnapshotChanged
    | AccessRevoked,
    strawberry.union("ProjectEvent"),
]


def event_type(event: dict[str, Any]) -> Any:
    """A stream event (a dict from ``backend.collab.stream``) as its GraphQL type."""
    kind = event["type"]
    if kind == "synced":
        return ProjectSynced(
            project_id=strawberry.ID(event["project"]),
            revision=event["revision"],
            document=event["document"],
            role=ProjectRole(event["role"]),
            people=[Presence(data=p) for p in event["presence"]],
            resumed_from=event.get("resumed_from"),
        )
    if kind == "operations":
        return OperationsCommitted(data=event)
    if kind == "dropped":
        return BatchDropped(
            project_id=strawberry.ID(event["project"]),
            author_id=strawberry.ID(event["author"]),
            batch_id=event["batch_id"],
            revision=event["revision"],
            count=event["count"],
        )
    if kind == "presence":
        return PresenceChanged(presence=Presence(data=event), left=bool(event.get("left")))
    if kind == "comment":
        return CommentChanged(
            change=CommentChange(event["change"]),
            thread_id=strawberry.ID(event["thread"]),
            comment_id=strawberry.ID(event["comment"]),
        )
    if kind == "signal":
        return CallSignal(
            kind=CallSignalKind(event["kind"]),
            payload=event["payload"],
            from_user_id=strawberry.ID(event["from"]["id"]),
            from_name=event["from"].get("name", ""),
            from_client_id=event["from_client_id"],
            to_client_id=event.get("to_client_id"),
        )
    if kind == "membership":
        return MembershipChanged(
            membership_change=MembershipChange(event["change"]),
            user_id=strawberry.ID(event["user"]) if event.get("user") else None,
            member_role=role_enum(event.get("role")),
            your_role=role_enum(event.get("your_role")),
        )
    if kind == "snapshot":
        return SnapshotChanged(
            snapshot_id=strawberry.ID(event["snapshot"]), deleted=bool(event.get("deleted"))
        )
    if kind == "revoked":
        return AccessRevoked(project_id=strawberry.ID(event["project"]))
    raise ValueError(kind)
