from __future__ import annotations

from typing import Any

from backend.accounts.tables import ApiKey, EmailToken, Invitation, Membership, Organization, User
from backend.core.db import fetch_one

USER_COLUMNS = (
    User.id,
    User.public_id,
    User.email,
    User.email_confirmed_at,
    User.display_name,
    User.handle,
    User.region,
    User.locale,
    User.time_zone,
    User.platform_role,
    User.is_active,
    User.created_at,
)


async def user_by_id(user_id: int) -> dict[str, Any] | None:
    return await User.select(*USER_COLUMNS).where(User.id == user_id).first()


async def users_by_ids(ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return await User.select(*USER_COLUMNS).where(User.id.is_in(ids))


async def user_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await User.select(*USER_COLUMNS).where(User.public_id == public_id).first()


async def user_by_email(email: str) -> dict[str, Any] | None:
    return await User.select(*USER_COLUMNS).where(User.email == email.lower()).first()


async def user_by_handle(handle: str) -> dict[str, Any] | None:
    return await User.select(*USER_COLUMNS).where(User.handle == handle.lower()).first()


async def password_hash(user_id: int) -> str | None:
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    return row["password_hash"] if row else None


async def email_exists(email: str) -> bool:
    return await User.exists().where(User.email == email.lower())


async def handle_exists(handle: str) -> bool:
    return await User.exists().where(User.handle == handle)


async def token_by_hash(token_hash: str) -> dict[str, Any] | None:
    return await EmailToken.select().where(EmailToken.token_hash == token_hash).first()


_API_KEY_WITH_USER = """
SELECT k.id, k.public_id, k.key_hash, k.scopes, k.revoked_at, k.last_used_at,
       u.id AS user_id, u.public_id AS user_public_id, u.email AS user_email,
       u.email_confirmed_at AS user_email_confirmed_at, u.display_name AS user_display_name,
       u.handle AS user_handle, u.region AS user_region, u.locale AS user_locale,
       u.time_zone AS user_time_zone, u.platform_role AS user_platform_role,
       u.is_active AS user_is_active, u.created_at AS user_created_at
FROM api_key k JOIN app_user u ON u.id = k."user"
WHERE k.prefix = $1
"""


async def api_key_with_user(prefix: str) -> dict[str, Any] | None:
    """One query for the hot path of every API request: the key and its owner (hand-written SQL:
    building it with Piccolo cost ten times the query itself)."""
    return await fetch_one(_API_KEY_WITH_USER, prefix)


async def api_keys_of(user_id: int, limit: int, after_id: int | None) -> list[dict[str, Any]]:
    query = (
        ApiKey.select(
            ApiKey.id,
            ApiKey.public_id,
            ApiKey.name,
            ApiKey.prefix,
            ApiKey.scopes,
            ApiKey.created_at,
            ApiKey.last_used_at,
            ApiKey.revoked_at,
        )
        .where(ApiKey.user == user_id)
        .order_by(ApiKey.id, ascending=False)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(ApiKey.id < after_id)
    return await query


async def api_key_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await ApiKey.select().where(ApiKey.public_id == public_id).first()


async def organization_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await Organization.select().where(Organization.public_id == public_id).first()


async def organizations_by_ids(ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return await Organization.select().where(Organization.id.is_in(ids))


async def slug_exists(slug: str) -> bool:
    return await Organization.exists().where(Organization.slug == slug)


async def membership(org_id: int, user_id: int) -> dict[str, Any] | None:
    return (
        await Membership.select().where(Membership.organization == org_id, Membership.user == user_id).first()
    )


async def memberships_of_user(user_id: int, limit: int, after_id: int | None) -> list[dict[str, Any]]:
    query = (
        Membership.select(Membership.id, Membership.role, Membership.organization, Membership.created_at)
        .where(Membership.user == user_id)
        .order_by(Membership.id, ascending=False)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Membership.id < after_id)
    return await query


async def members_of(org_id: int, limit: int, after_id: int | None) -> list[dict[str, Any]]:
    query = (
        Membership.select(Membership.id, Membership.role, Membership.user, Membership.created_at)
        .where(Membership.organization == org_id)
        .order_by(Membership.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Membership.id > after_id)
    return await query


async def owner_count(org_id: int) -> int:
    return await Membership.count().where(Membership.organization == org_id, Membership.role == "owner")


async def invitation_by_token_hash(token_hash: str) -> dict[str, Any] | None:
    return await Invitation.select().where(Invitation.token_hash == token_hash).first()


async def invitation_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await Invitation.select().where(Invitation.public_id == public_id).first()


async def pending_invitations(org_id: int) -> list[dict[str, Any]]:
    return (
        await Invitation.select()
        .where(
            Invitation.organization == org_id,
            Invitation.accepted_at.is_null(),
            Invitation.revoked_at.is_null(),
        )
        .order_by(Invitation.id, ascending=False)
        .limit(100)
    )
