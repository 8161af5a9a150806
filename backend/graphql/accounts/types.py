from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from backend.accounts import services as accounts
from backend.core.actor import Actor
from backend.graphql.loaders import OrganizationByIdLoader, UserByIdLoader
from backend.graphql.pagination import Connection, connection

if TYPE_CHECKING:
    from backend.graphql.social.types import Profile


@strawberry.enum
class OrgRole(Enum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


@strawberry.enum
class PlatformRole(Enum):
    LISTENER = "listener"
    CREATOR = "creator"
    MODERATOR = "moderator"
    ADMIN = "admin"


@strawberry.enum
class ApiScope(Enum):
    READ = "read"
    WRITE = "write"


@strawberry.type(description="Another Cadenza user, as anyone may see them.")
class User:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def display_name(self) -> str:
        return self.row["display_name"]

    @strawberry.field
    def handle(self) -> str:
        return self.row["handle"]

    @strawberry.field(description="Their community profile: bio, pictures, followers, releases.")
    async def profile(
        self, info: Info
    ) -> Annotated[Profile, strawberry.lazy("backend.graphql.social.types")] | None:
        from backend.graphql.social.types import load_profile

        return await load_profile(info, self.row["id"])


@strawberry.type(description="The signed-in user, with what only they may see.")
class Viewer:
    actor: strawberry.Private[Actor]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.actor.public_id)

    @strawberry.field
    def email(self) -> str:
        return self.actor.email

    @strawberry.field
    def email_confirmed(self) -> bool:
        return self.actor.email_confirmed

    @strawberry.field
    def display_name(self) -> str:
        return self.actor.display_name

    @strawberry.field
    def handle(self) -> str:
        return self.actor.handle

    @strawberry.field(description="Your community profile: bio, pictures, followers, releases.")
    async def profile(
        self, info: Info
    ) -> Annotated[Profile, strawberry.lazy("backend.graphql.social.types")] | None:
        from backend.graphql.social.types import load_profile

        return await load_profile(info, self.actor.user_id)

    @strawberry.field
    def region(self) -> str:
        return self.actor.region

    @strawberry.field
    def locale(self) -> str:
        return self.actor.locale

    @strawberry.field
    def time_zone(self) -> str:
        return self.actor.time_zone

    @strawberry.field
    def platform_role(self) -> PlatformRole:
        return PlatformRole(self.actor.platform_role)

    @strawberry.field(description="How this request is authenticated: SESSION or API_KEY.")
    def auth(self) -> str:
        return "API_KEY" if self.actor.api_key_id is not None else "SESSION"

    @strawberry.field
    async def created_at(self, info: Info) -> datetime:
        row = await info.context.loader(UserByIdLoader).load(self.actor.user_id)
        return row["created_at"]

    @strawberry.field
    async def organizations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Membership]:
        page = await accounts.my_organizations(self.actor, first, after)
        return connection(page, Membership)

    @strawberry.field
    async def api_keys(self, first: int | None = None, after: str | None = None) -> Connection[ApiKey]:
        page = await accounts.list_api_keys(self.actor, first, after)
        return connection(page, ApiKey)


@strawberry.type
class Organization:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def name(self) -> str:
        return self.row["name"]

    @strawberry.field
    def slug(self) -> str:
        return self.row["slug"]

    @strawberry.field
    def region(self) -> str:
        return self.row["region"]

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]

    @strawberry.field(description="The signed-in user's role here, if a member.")
    async def viewer_role(self, info: Info) -> OrgRole | None:
        actor = info.context.actor
        if actor is None:
            return None
        role = await accounts.my_role(actor, self.row["id"])
        return OrgRole(role) if role else None

    @strawberry.field
    async def members(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Membership]:
        page = await accounts.organization_members(info.context.require_actor(), self.row["id"], first, after)
        return connection(page, Membership)

    @strawberry.field(description="Open invitations; empty unless the viewer manages members.")
    async def invitations(self, info: Info) -> list[Invitation]:
        rows = await accounts.organization_invitations(info.context.require_actor(), self.row["id"])
        return [Invitation(row=r) for r in rows]


@strawberry.type
class Membership:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def role(self) -> OrgRole:
        return OrgRole(self.row["role"])

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        if "user" not in self.row:
            return None
        row = await info.context.loader(UserByIdLoader).load(self.row["user"])
        return User(row=row) if row else None

    @strawberry.field
    async def organization(self, info: Info) -> Organization | None:
        if "organization" not in self.row:
            return None
        row = await info.context.loader(OrganizationByIdLoader).load(self.row["organization"])
        return Organization(row=row) if row else None


@strawberry.type
class Invitation:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def email(self) -> str:
        return self.row["email"]

    @strawberry.field
    def role(self) -> OrgRole:
        return OrgRole(self.row["role"])

    @strawberry.field
    def expires_at(self) -> datetime:
        return self.row["expires_at"]

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]


@strawberry.type(description="An API key. Its secret is shown only once, by createApiKey.")
class ApiKey:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def name(self) -> str:
        return self.row["name"]

    @strawberry.field(description="The visible start of the key, e.g. cdz_a1b2c3d4.")
    def prefix(self) -> str:
        return self.row["prefix"]

    @strawberry.field
    def scopes(self) -> list[ApiScope]:
        return [ApiScope(s) for s in self.row["scopes"].split(",") if s]

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]

    @strawberry.field
    def last_used_at(self) -> datetime | None:
        return self.row["last_used_at"]

    @strawberry.field
    def revoked_at(self) -> datetime | None:
        return self.row["revoked_at"]

    @strawberry.field
    def active(self) -> bool:
        return self.row["revoked_at"] is None
