"""Accounts use cases: sign-up, confirmation, log-in, password reset, profile, organizations, API keys."""

from __future__ import annotations

import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from email_validator import EmailNotValidError, validate_email

from backend.accounts import access, key_cache, queries
from backend.accounts.tables import (
    API_SCOPES,
    ORG_ROLES,
    PLATFORM_ROLES,
    ApiKey,
    EmailToken,
    Invitation,
    Membership,
    Organization,
    User,
)
from backend.core import clock, db, jobs, ratelimit
from backend.core.actor import Actor
from backend.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from backend.core.i18n import LOCALES, normalize_locale, t
from backend.core.ids import new_id
from backend.core.pagination import Page, int_after, make_page, page_size
from backend.core.passwords import dummy_verify, hash_password, verify_password, weakness
from backend.core.settings import get_settings
from backend.core.signing import random_token, token_hash
from backend.mail import services as mail

REGIONS = ("eu", "us", "br", "jp")
CONFIRM_TTL = timedelta(days=3)
RESET_TTL = timedelta(hours=2)
INVITE_TTL = timedelta(days=14)
API_KEY_PREFIX = "cdz"

CONFIRM_PATH = "/confirm"
RESET_PATH = "/reset-password"
INVITE_PATH = "/invitations/accept"


# ----------------------------------------------------------------------------- validation


def clean_email(value: str, field: str = "email") -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise DomainError("accounts.errors.email_invalid", field=field)


def clean_display_name(value: str) -> str:
    name = " ".join(value.split())
    if not 1 <= len(name) <= 80:
        raise DomainError("accounts.errors.display_name_length", field="displayName", max=80)
    return name


def clean_time_zone(value: str) -> str:
    value = value.strip() or "UTC"
    if value not in _time_zones():
        raise DomainError("accounts.errors.time_zone_invalid", field="timeZone")
    ZoneInfo(value)
    return value


_TZ_CACHE: frozenset[str] | None = None


def _time_zones() -> frozenset[str]:
    global _TZ_CACHE
    if _TZ_CACHE is None:
        _TZ_CACHE = frozenset(available_timezones() | {"UTC"})
    return _TZ_CACHE


def clean_locale(value: str) -> str:
    locale = normalize_locale(value)
    if locale is None:
        raise DomainError("accounts.errors.locale_invalid", field="locale")
    return locale


def _collect(*checks: Any) -> list[Any]:
    """Run each check, gathering every field error instead of stopping at the first."""
    results, errors = [], []
    for check in checks:
        try:
            results.append(check())
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            results.append(None)
        except DomainError as exc:
            errors.append(exc)
            results.append(None)
    if errors:
        raise errors[0] if len(errors) == 1 else ValidationFailed(errors)
    return results


def _slugify(value: str, max_len: int) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_" if max_len <= 40 else "-", ascii_text.lower()).strip("_-")
    return slug[:max_len] or "user"


async def _unique_handle(display_name: str) -> str:
    base = _slugify(display_name, 24)
    if len(base) < 3:
        base = f"{base}_music"
    candidate = base
    for n in range(2, 10_000):
        if not await queries.handle_exists(candidate):
            return candidate
        candidate = f"{base}{n}"
    return f"{base}_{random_token(4).lower()}"


# ----------------------------------------------------------------------------- sign-up


@dataclass(frozen=True, slots=True)
class SignUp:
    email: str
    password: str
    display_name: str
    region: str = "eu"
    locale: str = "en"
    time_zone: str = "UTC"


def _check_region(region: str) -> str:
    if region not in REGIONS:
        raise DomainError("accounts.errors.region_invalid", field="region")
    return region


def _check_password(password: str, email: str, field: str = "password") -> str:
    problem = weakness(password, email=email)
    if problem:
        raise DomainError(problem, field=field, min=10)
    return password


async def sign_up(data: SignUp, *, ip: str = "") -> dict[str, Any]:
    """Create an account and send the confirmation link. Returns the new user row."""
    settings = get_settings()
    if ip:
        await ratelimit.enforce(f"signup:ip:{ip}", settings.security.signups_per_hour_per_ip, 3600)
    email, _, display_name, region, locale, time_zone = _collect(
        lambda: clean_email(data.email),
        lambda: _check_password(data.password, data.email),
        lambda: clean_display_name(data.display_name),
        lambda: _check_region(data.region),
        lambda: clean_locale(data.locale),
        lambda: clean_time_zone(data.time_zone),
    )
    if await queries.email_exists(email):
        raise DomainError("accounts.errors.email_taken", field="email")
    password_hash = await hash_password(data.password)
    now = clock.now()
    for _attempt in range(3):
        handle = await _unique_handle(display_name)
        try:
            async with db.transaction():
                row = {
                    "public_id": new_id("usr"),
                    "email": email,
                    "password_hash": password_hash,
                    "display_name": display_name,
                    "handle": handle,
                    "region": region,
                    "locale": locale,
                    "time_zone": time_zone,
                    "platform_role": "creator",
                    "created_at": now,
                    "updated_at": now,
                }
                inserted = await User.insert(User(**row)).returning(User.id)
                row["id"] = inserted[0]["id"]
                job = await _send_confirmation(row)
            break
        except Exception as exc:
            if not db.is_unique_violation(exc):
                raise
            if await queries.email_exists(email):
                raise DomainError("accounts.errors.email_taken", field="email")
    else:  # pragma: no cover - three handle collisions in a row
        raise DomainError("common.errors.try_again")
    await jobs.dispatch(job)
    user = await queries.user_by_id(row["id"])
    assert user is not None
    return user


async def _new_email_token(user_id: int, purpose: str, ttl: timedelta) -> str:
    token = random_token()
    await EmailToken.insert(
        EmailToken(
            user=user_id,
            purpose=purpose,
            token_hash=token_hash(token),
            expires_at=clock.now() + ttl,
            created_at=clock.now(),
        )
    )
    return token


async def _send_confirmation(user: dict[str, Any]) -> dict[str, Any]:
    token = await _new_email_token(user["id"], "confirm", CONFIRM_TTL)
    link = f"{get_settings().base_url}{CONFIRM_PATH}?token={token}"
    locale = user["locale"]
    _, job = await mail.queue_email(
        to=user["email"],
        kind="confirm_email",
        locale=locale,
        user_id=user["id"],
        subject=t("accounts.email.confirm.subject", locale),
        body=t("accounts.email.confirm.body", locale, name=user["display_name"], link=link, days=3),
    )
    return job


async def resend_confirmation(actor: Actor) -> None:
    if actor.email_confirmed:
        raise DomainError("accounts.errors.already_confirmed")
    await ratelimit.enforce(f"confirm-resend:{actor.user_id}", 5, 3600)
    user = await queries.user_by_id(actor.user_id)
    assert user is not None
    async with db.transaction():
        job = await _send_confirmation(user)
    await jobs.dispatch(job)


async def _consume_token(token: str, purpose: str) -> dict[str, Any]:
    """Mark a one-time token used, exactly once, even under concurrent clicks."""
    if not token or len(token) > 200:
        raise DomainError(f"accounts.errors.{purpose}_link_invalid", field="token")
    row = await queries.token_by_hash(token_hash(token))
    if row is None or row["purpose"] != purpose:
        raise DomainError(f"accounts.errors.{purpose}_link_invalid", field="token")
    if row["used_at"] is not None:
        raise DomainError(f"accounts.errors.{purpose}_link_used", field="token")
    if clock.as_utc(row["expires_at"]) < clock.now():
        raise DomainError(f"accounts.errors.{purpose}_link_expired", field="token")
    updated = (
        await EmailToken.update({EmailToken.used_at: clock.now()})
        .where(EmailToken.id == row["id"], EmailToken.used_at.is_null())
        .returning(EmailToken.id)
    )
    if not updated:
        raise DomainError(f"accounts.errors.{purpose}_link_used", field="token")
    return row


async def confirm_email(token: str) -> dict[str, Any]:
    row = await _consume_token(token, "confirm")
    await User.update({User.email_confirmed_at: clock.now(), User.updated_at: clock.now()}).where(
        User.id == row["user"], User.email_confirmed_at.is_null()
    )
    user = await queries.user_by_id(row["user"])
    assert user is not None
    return user


# ----------------------------------------------------------------------------- log-in


async def authenticate(email: str, password: str, *, ip: str = "") -> dict[str, Any]:
    """Check credentials. Both the address and the client IP are rate-limited."""
    settings = get_settings()
    limit = settings.security.login_attempts_per_15min
    normalized = email.strip().lower()
    await ratelimit.enforce(f"login:email:{normalized}", limit, 900)
    if ip:
        await ratelimit.enforce(f"login:ip:{ip}", limit * 5, 900)
    user = await queries.user_by_email(normalized) if normalized else None
    if user is None:
        await dummy_verify()
        raise DomainError("accounts.errors.bad_credentials", field="password")
    stored = await queries.password_hash(user["id"])
    if not stored or not await verify_password(stored, password):
        raise DomainError("accounts.errors.bad_credentials", field="password")
    if not user["is_active"]:
        raise DomainError("accounts.errors.account_disabled")
    await ratelimit.reset(f"login:email:{normalized}")
    return user


# ----------------------------------------------------------------------------- password reset


async def request_password_reset(email: str, *, ip: str = "") -> None:
    """Always answers the same way, so it can't be used to find out who has an account."""
    if ip:
        await ratelimit.enforce(f"reset:ip:{ip}", 10, 3600)
    try:
        normalized = clean_email(email)
    except DomainError:
        return
    await ratelimit.enforce(f"reset:email:{normalized}", 5, 3600)
    user = await queries.user_by_email(normalized)
    if user is None:
        return
    async with db.transaction():
        token = await _new_email_token(user["id"], "reset", RESET_TTL)
        link = f"{get_settings().base_url}{RESET_PATH}?token={token}"
        _, job = await mail.queue_email(
            to=user["email"],
            kind="password_reset",
            locale=user["locale"],
            user_id=user["id"],
            subject=t("accounts.email.reset.subject", user["locale"]),
            body=t(
                "accounts.email.reset.body", user["locale"], name=user["display_name"], link=link, hours=2
            ),
        )
    await jobs.dispatch(job)


async def reset_password(token: str, new_password: str) -> dict[str, Any]:
    row = await queries.token_by_hash(token_hash(token)) if token else None
    user = await queries.user_by_id(row["user"]) if row else None
    _check_password(new_password, user["email"] if user else "")
    row = await _consume_token(token, "reset")
    new_hash = await hash_password(new_password)
    await User.update({User.password_hash: new_hash, User.updated_at: clock.now()}).where(
        User.id == row["user"]
    )
    user = await queries.user_by_id(row["user"])
    assert user is not None
    return user


async def change_password(actor: Actor, current: str, new_password: str) -> None:
    access.require_session(actor)
    stored = await queries.password_hash(actor.user_id)
    if not stored or not await verify_password(stored, current):
        raise DomainError("accounts.errors.bad_current_password", field="currentPassword")
    _check_password(new_password, actor.email, field="newPassword")
    await User.update(
        {User.password_hash: await hash_password(new_password), User.updated_at: clock.now()}
    ).where(User.id == actor.user_id)


# ----------------------------------------------------------------------------- profile


async def update_profile(
    actor: Actor,
    *,
    display_name: str | None = None,
    locale: str | None = None,
    time_zone: str | None = None,
) -> dict[str, Any]:
    access.require_scope(actor, "write")
    checks = []
    if display_name is not None:
        checks.append(lambda: ("display_name", clean_display_name(display_name)))
    if locale is not None:
        checks.append(lambda: ("locale", clean_locale(locale)))
    if time_zone is not None:
        checks.append(lambda: ("time_zone", clean_time_zone(time_zone)))
    values = dict(_collect(*checks))
    if values:
        values["updated_at"] = clock.now()
        await User.update(values).where(User.id == actor.user_id)
        await key_cache.announce(user_id=actor.user_id)
    user = await queries.user_by_id(actor.user_id)
    assert user is not None
    return user


async def set_platform_role(actor: Actor, user_public_id: str, role: str) -> dict[str, Any]:
    access.require_platform_admin(actor)
    if role not in PLATFORM_ROLES:
        raise DomainError("accounts.errors.role_invalid", field="role")
    user = await queries.user_by_public_id(user_public_id)
    if user is None:
        raise NotFound()
    await User.update({User.platform_role: role, User.updated_at: clock.now()}).where(User.id == user["id"])
    await key_cache.announce(user_id=user["id"])
    return await queries.user_by_id(user["id"]) or user


async def get_user(user_id: int) -> dict[str, Any] | None:
    return await queries.user_by_id(user_id)


async def get_users(ids: list[int]) -> list[dict[str, Any]]:
    return await queries.users_by_ids(ids)


async def find_user(public_id: str) -> dict[str, Any] | None:
    return await queries.user_by_public_id(public_id)


async def find_user_by_handle(handle: str) -> dict[str, Any] | None:
    return await queries.user_by_handle(handle)


async def find_user_by_email(email: str) -> dict[str, Any] | None:
    return await queries.user_by_email(email)


async def actor_for_user(user_id: int) -> Actor | None:
    row = await queries.user_by_id(user_id)
    if row is None or not row["is_active"]:
        return None
    return Actor.from_user_row(row)


# ----------------------------------------------------------------------------- API keys


def _split_key(secret: str) -> tuple[str, str] | None:
    parts = secret.split("_")
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or len(parts[1]) != 8 or not 20 <= len(parts[2]) <= 100:
        return None
    return f"{parts[0]}_{parts[1]}", parts[2]


async def create_api_key(actor: Actor, name: str, scopes: list[str]) -> tuple[dict[str, Any], str]:
    """Returns the key's row and its secret, which is never shown again."""
    access.require_session(actor)
    access.require_confirmed(actor)
    name = " ".join(name.split())
    if not 1 <= len(name) <= 80:
        raise DomainError("accounts.errors.key_name_length", field="name", max=80)
    wanted = sorted(set(scopes or ["read"]))
    if any(scope not in API_SCOPES for scope in wanted):
        raise DomainError("accounts.errors.scope_invalid", field="scopes")
    active = await ApiKey.count().where(ApiKey.user == actor.user_id, ApiKey.revoked_at.is_null())
    if active >= 25:
        raise DomainError("accounts.errors.too_many_keys", max=25)
    prefix = f"{API_KEY_PREFIX}_{random_token(6)[:8].replace('-', 'x').replace('_', 'y')}"
    secret_part = random_token(30).replace("_", "z")
    secret = f"{prefix}_{secret_part}"
    row: dict[str, Any] = {
        "public_id": new_id("key"),
        "user": actor.user_id,
        "name": name,
        "prefix": prefix,
        "key_hash": token_hash(secret),
        "scopes": ",".join(wanted),
        "created_at": clock.now(),
    }
    await ApiKey.insert(ApiKey(**row))
    stored = await queries.api_key_by_public_id(row["public_id"])
    assert stored is not None
    return stored, secret


async def list_api_keys(actor: Actor, first: int | None, after: str | None) -> Page[dict[str, Any]]:
    size = page_size(first)
    rows = await queries.api_keys_of(actor.user_id, size + 1, int_after(after))
    return make_page(rows, size, lambda r: r["id"])


async def revoke_api_key(actor: Actor, key_public_id: str) -> dict[str, Any]:
    access.require_session(actor)
    row = await queries.api_key_by_public_id(key_public_id)
    if row is None or row["user"] != actor.user_id:
        raise NotFound()
    if row["revoked_at"] is None:
        await ApiKey.update({ApiKey.revoked_at: clock.now()}).where(ApiKey.id == row["id"])
    await key_cache.announce(prefix=row["prefix"])
    updated = await queries.api_key_by_public_id(key_public_id)
    assert updated is not None
    return updated


async def authenticate_api_key(secret: str) -> Actor | None:
    """The actor for a bearer key, or ``None`` when the key is unknown, wrong or revoked."""
    split = _split_key(secret.strip())
    if split is None:
        return None
    secret_hash = token_hash(secret.strip())
    remembered = key_cache.get(split[0], secret_hash)
    if remembered is not None:
        return remembered
    row = await queries.api_key_with_user(split[0])
    if row is None or row["revoked_at"] is not None:
        return None
    if not hmac.compare_digest(row["key_hash"], secret_hash):
        return None
    if not row["user_is_active"]:
        return None
    now = clock.now()
    last = row["last_used_at"]
    if last is None or clock.as_utc(last) < now - timedelta(minutes=5):
        # Written at most every five minutes, so the hot path stays read-only.
        await ApiKey.update({ApiKey.last_used_at: now}).where(ApiKey.id == row["id"])
    user = {k.removeprefix("user_"): v for k, v in row.items() if k.startswith("user_")}
    actor = Actor.from_user_row(user, api_key_id=row["id"], scopes=frozenset(row["scopes"].split(",")))
    key_cache.put(split[0], secret_hash, actor)
    return actor


# ----------------------------------------------------------------------------- organizations


async def _unique_slug(name: str) -> str:
    base = _slugify(name, 50).replace("_", "-") or "org"
    candidate = base
    n = 2
    while await queries.slug_exists(candidate):
        candidate = f"{base}-{n}"
        n += 1
    return candidate


async def create_organization(actor: Actor, name: str) -> dict[str, Any]:
    access.require_scope(actor, "write")
    name = " ".join(name.split())
    if not 2 <= len(name) <= 80:
        raise DomainError("accounts.errors.org_name_length", field="name", min=2, max=80)
    for _ in range(3):
        try:
            async with db.transaction():
                public_id = new_id("org")
                rows = await Organization.insert(
                    Organization(
                        public_id=public_id,
                        name=name,
                        slug=await _unique_slug(name),
                        region=actor.region,
                        created_at=clock.now(),
                    )
                ).returning(Organization.id)
                await Membership.insert(
                    Membership(
                        organization=rows[0]["id"], user=actor.user_id, role="owner", created_at=clock.now()
                    )
                )
            break
        except Exception as exc:
            if not db.is_unique_violation(exc):
                raise
    org = await queries.organization_by_public_id(public_id)
    assert org is not None
    return org


async def get_organization(actor: Actor, public_id: str) -> dict[str, Any]:
    org = await queries.organization_by_public_id(public_id)
    if org is None:
        raise NotFound()
    membership = await queries.membership(org["id"], actor.user_id)
    if not access.can_view_organization(actor, membership):
        raise NotFound()  # don't confirm that a private organization exists
    return org


async def my_role(actor: Actor, org_id: int) -> str | None:
    membership = await queries.membership(org_id, actor.user_id)
    return membership["role"] if membership else None


async def my_organizations(actor: Actor, first: int | None, after: str | None) -> Page[dict[str, Any]]:
    size = page_size(first)
    rows = await queries.memberships_of_user(actor.user_id, size + 1, int_after(after))
    return make_page(rows, size, lambda r: r["id"])


async def organization_members(
    actor: Actor, org_id: int, first: int | None, after: str | None
) -> Page[dict[str, Any]]:
    membership = await queries.membership(org_id, actor.user_id)
    if not access.can_view_organization(actor, membership):
        raise NotFound()
    size = page_size(first)
    rows = await queries.members_of(org_id, size + 1, int_after(after))
    return make_page(rows, size, lambda r: r["id"])


async def organizations_by_ids(ids: list[int]) -> list[dict[str, Any]]:
    return await queries.organizations_by_ids(ids)


async def organization_invitations(actor: Actor, org_id: int) -> list[dict[str, Any]]:
    membership = await queries.membership(org_id, actor.user_id)
    if not access.can_manage_members(actor, membership):
        return []
    return await queries.pending_invitations(org_id)


async def invite_member(actor: Actor, org_public_id: str, email: str, role: str) -> dict[str, Any]:
    access.require_scope(actor, "write")
    org = await get_organization(actor, org_public_id)
    membership = await queries.membership(org["id"], actor.user_id)
    if role not in ORG_ROLES:
        raise DomainError("accounts.errors.role_invalid", field="role")
    if not access.can_manage_members(actor, membership) or not access.can_grant_role(membership, role):
        raise Forbidden()
    address = clean_email(email)
    await ratelimit.enforce(f"invite:{org['id']}", 100, 3600)
    existing = await queries.user_by_email(address)
    if existing and await queries.membership(org["id"], existing["id"]):
        raise DomainError("accounts.errors.already_member", field="email")
    token = random_token()
    locale = existing["locale"] if existing else actor.locale
    async with db.transaction():
        row = {
            "public_id": new_id("inv"),
            "organization": org["id"],
            "email": address,
            "role": role,
            "token_hash": token_hash(token),
            "invited_by": actor.user_id,
            "expires_at": clock.now() + INVITE_TTL,
            "created_at": clock.now(),
        }
        await Invitation.insert(Invitation(**row))
        link = f"{get_settings().base_url}{INVITE_PATH}?token={token}"
        _, job = await mail.queue_email(
            to=address,
            kind="org_invitation",
            locale=locale,
            user_id=existing["id"] if existing else None,
            subject=t("accounts.email.invite.subject", locale, org=org["name"]),
            body=t(
                "accounts.email.invite.body",
                locale,
                inviter=actor.display_name,
                org=org["name"],
                role=t(f"accounts.roles.{role}", locale),
                link=link,
            ),
        )
    await jobs.dispatch(job)
    invitation = await queries.invitation_by_public_id(row["public_id"])
    assert invitation is not None
    return invitation


async def accept_invitation(actor: Actor, token: str) -> dict[str, Any]:
    """Join the organization. The invitation must be for the signed-in address."""
    access.require_scope(actor, "write")
    invitation = await queries.invitation_by_token_hash(token_hash(token)) if token else None
    if invitation is None or invitation["revoked_at"] is not None:
        raise DomainError("accounts.errors.invite_link_invalid", field="token")
    if invitation["accepted_at"] is not None:
        raise DomainError("accounts.errors.invite_link_used", field="token")
    if clock.as_utc(invitation["expires_at"]) < clock.now():
        raise DomainError("accounts.errors.invite_link_expired", field="token")
    if invitation["email"] != actor.email:
        raise DomainError("accounts.errors.invite_wrong_account", email=invitation["email"])
    async with db.transaction():
        claimed = (
            await Invitation.update({Invitation.accepted_at: clock.now()})
            .where(Invitation.id == invitation["id"], Invitation.accepted_at.is_null())
            .returning(Invitation.id)
        )
        if not claimed:
            raise DomainError("accounts.errors.invite_link_used", field="token")
        if await queries.membership(invitation["organization"], actor.user_id) is None:
            await Membership.insert(
                Membership(
                    organization=invitation["organization"],
                    user=actor.user_id,
                    role=invitation["role"],
                    created_at=clock.now(),
                )
            )
    org = await queries.organizations_by_ids([invitation["organization"]])
    return org[0]


async def change_member_role(
    actor: Actor, org_public_id: str, user_public_id: str, role: str
) -> dict[str, Any]:
    access.require_scope(actor, "write")
    org = await get_organization(actor, org_public_id)
    if role not in ORG_ROLES:
        raise DomainError("accounts.errors.role_invalid", field="role")
    mine = await queries.membership(org["id"], actor.user_id)
    target_user = await queries.user_by_public_id(user_public_id)
    target = await queries.membership(org["id"], target_user["id"]) if target_user else None
    if target is None:
        raise NotFound()
    if not access.can_grant_role(mine, role) or not access.can_grant_role(mine, target["role"]):
        raise Forbidden()
    async with db.transaction():
        if target["role"] == "owner" and role != "owner" and await queries.owner_count(org["id"]) <= 1:
            raise DomainError("accounts.errors.last_owner")
        await Membership.update({Membership.role: role}).where(Membership.id == target["id"])
    updated = await queries.membership(org["id"], target["user"])
    assert updated is not None
    return updated


async def remove_member(actor: Actor, org_public_id: str, user_public_id: str) -> None:
    access.require_scope(actor, "write")
    org = await get_organization(actor, org_public_id)
    mine = await queries.membership(org["id"], actor.user_id)
    target_user = await queries.user_by_public_id(user_public_id)
    target = await queries.membership(org["id"], target_user["id"]) if target_user else None
    if target is None:
        raise NotFound()
    leaving = target["user"] == actor.user_id
    if not leaving and not access.can_grant_role(mine, target["role"]):
        raise Forbidden()
    if target["role"] == "owner" and await queries.owner_count(org["id"]) <= 1:
        raise DomainError("accounts.errors.last_owner")
    await Membership.delete().where(Membership.id == target["id"])


async def organization_ids_of(user_id: int) -> list[int]:
    rows = await Membership.select(Membership.organization).where(Membership.user == user_id)
    return [r["organization"] for r in rows]


def supported_locales() -> tuple[str, ...]:
    return LOCALES


async def watch_api_key_changes() -> None:
    """For each web process: forget remembered keys that another process revoked or changed."""
    await key_cache.watch()
