from __future__ import annotations

import strawberry
from strawberry.types import Info

from backend.accounts import services as accounts
from backend.core.actor import Actor
from backend.graphql.accounts.types import (
    ApiKey,
    ApiScope,
    Invitation,
    Membership,
    Organization,
    OrgRole,
    PlatformRole,
    User,
    Viewer,
)
from backend.graphql.errors import FieldError, returns_payload
from backend.graphql.permissions import CanWrite, IsAuthenticated


@strawberry.input
class SignUpInput:
    email: str
    password: str
    display_name: str
    region: str = "eu"
    locale: str = "en"
    time_zone: str = "UTC"


@strawberry.input
class UpdateProfileInput:
    display_name: str | None = None
    locale: str | None = None
    time_zone: str | None = None


@strawberry.type
class SignUpPayload:
    viewer: Viewer | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class ViewerPayload:
    viewer: Viewer | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class OkPayload:
    ok: bool = False
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class OrganizationPayload:
    organization: Organization | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class InvitationPayload:
    invitation: Invitation | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class MembershipPayload:
    membership: Membership | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey | None = None
    secret: str | None = strawberry.field(default=None, description="The whole key. Shown this once only.")
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyPayload:
    api_key: ApiKey | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class UserPayload:
    user: User | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


def _viewer(row: dict) -> Viewer:
    return Viewer(actor=Actor.from_user_row(row))


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Create an account; a confirmation link is emailed.")
    @returns_payload(SignUpPayload)
    async def sign_up(self, info: Info, input: SignUpInput) -> SignUpPayload:
        row = await accounts.sign_up(
            accounts.SignUp(
                email=input.email,
                password=input.password,
                display_name=input.display_name,
                region=input.region,
                locale=input.locale,
                time_zone=input.time_zone,
            ),
            ip=info.context.ip,
        )
        info.context.start_session(row["id"])
        return SignUpPayload(viewer=_viewer(row))

    @strawberry.mutation
    @returns_payload(ViewerPayload)
    async def confirm_email(self, info: Info, token: str) -> ViewerPayload:
        row = await accounts.confirm_email(token)
        return ViewerPayload(viewer=_viewer(row))

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @returns_payload(OkPayload)
    async def resend_confirmation(self, info: Info) -> OkPayload:
        await accounts.resend_confirmation(info.context.actor)
        return OkPayload(ok=True)

    @strawberry.mutation(description="Check credentials and start a browser session (cookie).")
    @returns_payload(ViewerPayload)
    async def log_in(self, info: Info, email: str, password: str) -> ViewerPayload:
        row = await accounts.authenticate(email, password, ip=info.context.ip)
        info.context.start_session(row["id"])
        return ViewerPayload(viewer=_viewer(row))

    @strawberry.mutation
    def log_out(self, info: Info) -> OkPayload:
        info.context.end_session()
        return OkPayload(ok=True)

    @strawberry.mutation(description="Email a reset link if the address has an account. Always succeeds.")
    @returns_payload(OkPayload)
    async def request_password_reset(self, info: Info, email: str) -> OkPayload:
        await accounts.request_password_reset(email, ip=info.context.ip)
        return OkPayload(ok=True)

    @strawberry.mutation
    @returns_payload(ViewerPayload)
    async def reset_password(self, info: Info, token: str, password: str) -> ViewerPayload:
        row = await accounts.reset_password(token, password)
        return ViewerPayload(viewer=_viewer(row))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(OkPayload)
    async def change_password(self, info: Info, current_password: str, new_password: str) -> OkPayload:
        await accounts.change_password(info.context.actor, current_password, new_password)
        return OkPayload(ok=True)

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(ViewerPayload)
    async def update_profile(self, info: Info, input: UpdateProfileInput) -> ViewerPayload:
        row = await accounts.update_profile(
            info.context.actor,
            display_name=input.display_name,
            locale=input.locale,
            time_zone=input.time_zone,
        )
        return ViewerPayload(viewer=_viewer(row))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(OrganizationPayload)
    async def create_organization(self, info: Info, name: str) -> OrganizationPayload:
        return OrganizationPayload(
            organization=Organization(row=await accounts.create_organization(info.context.actor, name))
        )

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(InvitationPayload)
    async def invite_member(
        self, info: Info, organization_id: strawberry.ID, email: str, role: OrgRole = OrgRole.MEMBER
    ) -> InvitationPayload:
        row = await accounts.invite_member(info.context.actor, str(organization_id), email, role.value)
        return InvitationPayload(invitation=Invitation(row=row))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(OrganizationPayload)
    async def accept_invitation(self, info: Info, token: str) -> OrganizationPayload:
        return OrganizationPayload(
            organization=Organization(row=await accounts.accept_invitation(info.context.actor, token))
        )

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(MembershipPayload)
    async def change_member_role(
        self, info: Info, organization_id: strawberry.ID, user_id: strawberry.ID, role: OrgRole
    ) -> MembershipPayload:
        row = await accounts.change_member_role(
            info.context.actor, str(organization_id), str(user_id), role.value
        )
        return MembershipPayload(membership=Membership(row=row))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(OkPayload)
    async def remove_member(
        self, info: Info, organization_id: strawberry.ID, user_id: strawberry.ID
    ) -> OkPayload:
        await accounts.remove_member(info.context.actor, str(organization_id), str(user_id))
        return OkPayload(ok=True)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @returns_payload(CreateApiKeyPayload)
    async def create_api_key(
        self, info: Info, name: str, scopes: list[ApiScope] | None = None
    ) -> CreateApiKeyPayload:
        if scopes is not None and len(scopes) > 10:
            scopes = scopes[:10]
        row, secret = await accounts.create_api_key(
            info.context.actor, name, [s.value for s in (scopes or [ApiScope.READ])]
        )
        return CreateApiKeyPayload(api_key=ApiKey(row=row), secret=secret)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @returns_payload(ApiKeyPayload)
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> ApiKeyPayload:
        return ApiKeyPayload(api_key=ApiKey(row=await accounts.revoke_api_key(info.context.actor, str(id))))

    @strawberry.mutation(permission_classes=[CanWrite], description="Platform admins only.")
    @returns_payload(UserPayload)
    async def set_platform_role(self, info: Info, user_id: strawberry.ID, role: PlatformRole) -> UserPayload:
        return UserPayload(
            user=User(row=await accounts.set_platform_role(info.context.actor, str(user_id), role.value))
        )
