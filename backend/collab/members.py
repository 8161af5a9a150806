"""Sharing a project: invitations by email or handle, roles, removal.

Inviting needs the owner's plan to include collaboration (Professional and up), asked of billing
when inviting and again when the invitee accepts. People already in a project keep their role if
the owner's plan changes later (nobody is thrown out of a song mid-session by a billing event);
the owner can remove them at any time.

Every change is published on the project's channel: open subscriptions re-check the role of their
subscriber at once, so a removed collaborator's live stream ends and their next submit is refused.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from backend.accounts import services as accounts
from backend.audio import services as audio
from backend.billing import services as billing
from backend.collab import access, channels, presence, queries, roles, stream
from backend.collab.tables import Invitation, Member
from backend.core import clock, db, jobs, ratelimit
from backend.core.actor import Actor
from backend.core.errors import DomainError, NotFound
from backend.core.i18n import t
from backend.core.ids import new_id
from backend.core.settings import get_settings
from backend.core.signing import random_token, token_hash
from backend.mail import services as mail

INVITE_PATH = "/project-invitations/"
_HANDLE = re.compile(r"^@?[A-Za-z0-9_.-]{2,40}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


async def _project_as_owner(actor: Actor, project_id: str) -> dict[str, Any]:
    project = await audio.get_project(actor, project_id)
    access.require(access.can_manage_members(actor, await roles.role_of(actor, project)))
    return project


async def require_collaboration(owner_id: int, field: str) -> None:
    """Sharing is a feature of the owner's plan (``FEATURE_NOT_IN_PLAN`` names the plan to offer)."""
    plan = await billing.entitlements(owner_id)
    if not plan.has("collaboration"):
        upgrade = plan.upgrade_for(feature="collaboration")
        raise billing.FeatureNotInPlan("collaboration", upgrade.code if upgrade else None, field=field)


def check_role(role: Any, field: str = "role") -> str:
    if role not in access.ROLES:
        raise DomainError("collab.errors.bad_role", field=field)
    return role


async def _find_invitee(who: str) -> tuple[dict[str, Any] | None, str]:
    """(account, email): by email the account may not exist yet; by handle it must."""
    text = " ".join(str(who).split())
    if "@" in text[1:] and _EMAIL.match(text):
        email = text.lower()
        return await accounts.find_user_by_email(email), email
    if _HANDLE.match(text):
        user = await accounts.find_user_by_handle(text.lstrip("@").lower())
        if user is None:
            raise DomainError("collab.errors.no_such_handle", field="invitee", handle=text.lstrip("@"))
        return user, ""
    raise DomainError("collab.errors.bad_invitee", field="invitee")


async def invite(actor: Actor, project_id: str, who: str, role: str) -> tuple[dict[str, Any], str]:
    """Invite someone; returns the invitation and its token (the link's secret, shown once)."""
    project = await _project_as_owner(actor, project_id)
    role = check_role(role)
    await require_collaboration(project["owner_id"], "invitee")
    user, email = await _find_invitee(who)
    if user is not None and user["id"] == project["owner_id"]:
        raise DomainError("collab.errors.invite_self", field="invitee")
    if user is not None and await queries.member(project_id, user["id"]):
        raise DomainError("collab.errors.already_member", field="invitee")
    await ratelimit.enforce(f"collab-invite:{project_id}", 50, 3600)
    token = random_token()
    days = get_settings().collab.invitation_days
    by_handle = not email
    user_id: int | None = user["id"] if user else None
    existing = await queries.pending_for(project_id, user_id=user_id if by_handle else None, email=email)
    locale = user["locale"] if user else actor.locale
    link = f"{get_settings().base_url}{INVITE_PATH}{token}"
    async with db.transaction():
        if existing is not None:  # invited again: a new role and a fresh link, one pending row
            await Invitation.update(
                {Invitation.status: "revoked", Invitation.responded_at: clock.now()}
            ).where(Invitation.id == existing["id"])
        public_id = new_id("inv")
        await Invitation.insert(
            Invitation(
                public_id=public_id,
                project_id=project_id,
                email=email,
                user_id=user_id,
                role=role,
                token_hash=token_hash(token),
                invited_by=actor.user_id,
                status="pending",
                created_at=clock.now(),
                expires_at=clock.now() + timedelta(days=days),
            )
        )
        address = email or (user["email"] if user else "")
        _, job = await mail.queue_email(
            to=address,
            kind="project_invitation",
            locale=locale,
            user_id=user["id"] if user else None,
            subject=t(
                "collab.email.invite.subject", locale, inviter=actor.display_name, title=project["title"]
            ),
            body=t(
                "collab.email.invite.body",
                locale,
                inviter=actor.display_name,
                title=project["title"],
                role=t(f"collab.roles.{role}", locale),
                link=link,
                days=days,
            ),
        )
    await jobs.dispatch(job)
    if user is not None:
        await _notify(
            user["id"],
            "project_invite",
            actor.user_id,
            "collab.notifications.invited",
            {"inviter": actor.display_name, "title": project["title"]},
            INVITE_PATH + token,
            f"collab-invite:{public_id}",
        )
    await channels.publish(project_id, {"type": "membership", "change": "invited"})
    invitation = await queries.invitation_by_public_id(public_id)
    assert invitation is not None
    return invitation, token


async def _notify(
    user_id: int, kind: str, actor_id: int, key: str, params: dict[str, Any], url: str, dedupe: str
) -> None:
    from backend.social import services as social  # the community's notifications (bell, digest)

    await social.notify(
        user_id, kind, actor_id=actor_id, message_key=key, params=params, url=url, dedupe_key=dedupe
    )


def _addressed_to(invitation: dict[str, Any], actor: Actor) -> bool:
    if invitation["user_id"] is not None and invitation["user_id"] == actor.user_id:
        return True
    return bool(invitation["email"]) and invitation["email"] == actor.email.lower() and actor.email_confirmed


async def _open_invitation(
    actor: Actor, *, token: str | None = None, invitation_id: str | None = None
) -> dict[str, Any]:
    if token:
        invitation = await queries.invitation_by_token_hash(token_hash(token))
    else:
        invitation = await queries.invitation_by_public_id(invitation_id or "")
        if invitation is not None and not _addressed_to(invitation, actor):
            invitation = None  # someone else's invitation is not even there
    if invitation is None:
        raise DomainError("collab.errors.invitation_not_found", field="invitation")
    if invitation["status"] != "pending":
        raise DomainError(f"collab.errors.invitation_{invitation['status']}", field="invitation")
    if clock.as_utc(invitation["expires_at"]) < clock.now():
        raise DomainError("collab.errors.invitation_expired", field="invitation")
    if not _addressed_to(invitation, actor):
        raise DomainError("collab.errors.invitation_wrong_account", field="invitation")
    return invitation


async def invitation_for_token(actor: Actor, token: str) -> dict[str, Any]:
    return await _open_invitation(actor, token=token)


async def accept(
    actor: Actor, *, token: str | None = None, invitation_id: str | None = None
) -> dict[str, Any]:
    """Join the project with the invited role; returns the membership row."""
    if not actor.can("write"):
        raise DomainError("common.errors.missing_scope", scope="write")
    invitation = await _open_invitation(actor, token=token, invitation_id=invitation_id)
    project_id = invitation["project_id"]
    owner_id = await _owner_of(project_id, invitation)
    await require_collaboration(owner_id, "invitation")
    async with db.transaction():
        claimed = await (
            Invitation.update({Invitation.status: "accepted", Invitation.responded_at: clock.now()})
            .where(Invitation.id == invitation["id"], Invitation.status == "pending")
            .returning(Invitation.id)
        )
        if not claimed:
            raise DomainError("collab.errors.invitation_accepted", field="invitation")
        existing = await queries.member(project_id, actor.user_id)
        if existing is None:
            await Member.insert(
                Member(
                    project_id=project_id,
                    user_id=actor.user_id,
                    role=invitation["role"],
                    added_by=invitation["invited_by"],
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
        else:
            await Member.update({Member.role: invitation["role"], Member.updated_at: clock.now()}).where(
                Member.id == existing["id"]
            )
    await stream.bump_membership(project_id)
    await channels.publish(
        project_id,
        {"type": "membership", "change": "joined", "user": actor.public_id, "role": invitation["role"]},
    )
    await _notify(
        invitation["invited_by"],
        "project_joined",
        actor.user_id,
        "collab.notifications.joined",
        {"name": actor.display_name},
        f"/projects/{project_id}",
        f"collab-joined:{invitation['public_id']}",
    )
    row = await queries.member(project_id, actor.user_id)
    assert row is not None
    return row


async def _owner_of(project_id: str, invitation: dict[str, Any]) -> int:
    """The project's owner, found through the inviter (who owns it) without a read right yet."""
    inviter = await accounts.actor_for_user(invitation["invited_by"])
    if inviter is None:
        raise DomainError("collab.errors.invitation_not_found", field="invitation")
    try:
        project = await audio.get_project(inviter, project_id)
    except NotFound:
        raise DomainError("collab.errors.invitation_not_found", field="invitation") from None
    return int(project["owner_id"])


async def decline(actor: Actor, invitation_id: str) -> dict[str, Any]:
    invitation = await _open_invitation(actor, invitation_id=invitation_id)
    await Invitation.update({Invitation.status: "declined", Invitation.responded_at: clock.now()}).where(
        Invitation.id == invitation["id"]
    )
    await channels.publish(invitation["project_id"], {"type": "membership", "change": "declined"})
    found = await queries.invitation_by_public_id(invitation_id)
    assert found is not None
    return found


async def revoke(actor: Actor, invitation_id: str) -> dict[str, Any]:
    invitation = await queries.invitation_by_public_id(invitation_id)
    if invitation is None:
        raise NotFound()
    await _project_as_owner(actor, invitation["project_id"])
    if invitation["status"] != "pending":
        raise DomainError(f"collab.errors.invitation_{invitation['status']}", field="invitation")
    await Invitation.update({Invitation.status: "revoked", Invitation.responded_at: clock.now()}).where(
        Invitation.id == invitation["id"]
    )
    await channels.publish(invitation["project_id"], {"type": "membership", "change": "revoked"})
    found = await queries.invitation_by_public_id(invitation_id)
    assert found is not None
    return found


async def _target(project_id: str, user_public_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    user = await accounts.find_user(user_public_id)
    row = await queries.member(project_id, user["id"]) if user else None
    if user is None or row is None:
        raise DomainError("collab.errors.not_a_member", field="userId")
    return user, row


async def change_role(actor: Actor, project_id: str, user_public_id: str, role: str) -> dict[str, Any]:
    await _project_as_owner(actor, project_id)
    role = check_role(role)
    user, row = await _target(project_id, user_public_id)
    await Member.update({Member.role: role, Member.updated_at: clock.now()}).where(Member.id == row["id"])
    await stream.bump_membership(project_id)
    await channels.publish(
        project_id, {"type": "membership", "change": "role", "user": user["public_id"], "role": role}
    )
    updated = await queries.member(project_id, user["id"])
    assert updated is not None
    return updated


async def remove(actor: Actor, project_id: str, user_public_id: str) -> None:
    """The owner removes someone, or someone leaves. Takes effect at once, on open streams too."""
    project = await audio.get_project(actor, project_id)
    leaving = user_public_id == actor.public_id
    if not leaving:
        access.require(access.can_manage_members(actor, await roles.role_of(actor, project)))
    user, row = await _target(project_id, user_public_id)
    await Member.delete().where(Member.id == row["id"])
    await stream.bump_membership(project_id)
    await channels.publish(
        project_id, {"type": "membership", "change": "removed", "user": user["public_id"], "role": None}
    )
    await presence.forget_person(project_id, user["public_id"])


async def members(actor: Actor, project_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(project, members); the owner first, as a pseudo-row with role ``owner``."""
    project = await audio.get_project(actor, project_id)
    rows = await queries.members_of(project_id)
    owner = {"user_id": project["owner_id"], "role": "owner", "created_at": project["created_at"]}
    return project, [owner, *rows]


async def invitations(actor: Actor, project_id: str) -> list[dict[str, Any]]:
    """Pending invitations of a project: only its owner sees who was invited."""
    project = await audio.get_project(actor, project_id)
    if not access.can_manage_members(actor, await roles.role_of(actor, project)):
        return []
    return await queries.pending_invitations(project_id)


async def my_invitations(actor: Actor) -> list[dict[str, Any]]:
    rows = await queries.invitations_for(
        actor.user_id, actor.email.lower() if actor.email_confirmed else "\x00"
    )
    now = clock.now()
    return [r for r in rows if clock.as_utc(r["expires_at"]) >= now]


async def shared_with_me(actor: Actor, limit: int, before_id: int | None) -> list[dict[str, Any]]:
    """Memberships, newest first, with the project rows that still exist."""
    rows = await queries.memberships_of(actor.user_id, limit, before_id)
    found = []
    for row in rows:
        try:
            found.append({**row, "project": await audio.get_project(actor, row["project_id"])})
        except NotFound:
            continue  # the project was deleted
    return found


async def project_title(invitation: dict[str, Any]) -> str:
    """The title an invitee sees before joining (read as the inviter, who owns the project)."""
    inviter = await accounts.actor_for_user(invitation["invited_by"])
    if inviter is None:
        return ""
    try:
        return str((await audio.get_project(inviter, invitation["project_id"]))["title"])
    except NotFound:
        return ""
