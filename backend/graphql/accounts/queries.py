from __future__ import annotations

import strawberry
from strawberry.types import Info

from backend.accounts import services as accounts
from backend.graphql.accounts.types import Organization, User, Viewer
from backend.graphql.permissions import IsAuthenticated


@strawberry.type
class AccountQueries:
    @strawberry.field(description="Who you are: null when not signed in.")
    def viewer(self, info: Info) -> Viewer | None:
        actor = info.context.actor
        return Viewer(actor=actor) if actor is not None else None

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def organization(self, info: Info, id: strawberry.ID) -> Organization:
        return Organization(row=await accounts.get_organization(info.context.actor, str(id)))

    @strawberry.field(description="A user by handle (without the @).")
    async def user(self, handle: str) -> User | None:
        row = await accounts.find_user_by_handle(handle)
        return User(row=row) if row and row["is_active"] else None
