"""Verification: a creator applies with links and evidence; a moderator grants or declines with a
reason; the badge follows; every decision is written to the audit log in the same transaction."""

from __future__ import annotations

from typing import Any

from backend.core import clock, db, ratelimit
from backend.core.actor import Actor
from backend.core.errors import DomainError, NotFound, RateLimited
from backend.core.ids import new_id
from backend.core.pagination import Page, int_after, make_page, page_size
from backend.social import access, notifications, profiles, queries
from backend.social.tables import AuditEntry, Profile, VerificationRequest

MAX_LINKS = 5
MAX_EVIDENCE = 2000
MAX_REASON = 1000


async def apply(actor: Actor, links: list[str], evidence: str) -> dict[str, Any]:
    access.require_write(actor)
    cleaned = [profiles.clean_url(link, field="links") for link in links if link.strip()]
    if not cleaned:
        raise DomainError("social.errors.verification_links_required", field="links")
    if len(cleaned) > MAX_LINKS:
        raise DomainError("social.errors.too_many_links", field="links", max=MAX_LINKS)
    text = profiles.clean_text(evidence, field="evidence", limit=MAX_EVIDENCE)
    profile = await profiles.profile_for(actor.user_id)
    if profile["verified_at"] is not None:
        raise DomainError("social.errors.already_verified")
    latest = await queries.latest_verification_of(actor.user_id)
    if latest is not None and latest["status"] == "pending":
        raise DomainError("social.errors.verification_pending")
    allowed, retry = await ratelimit.hit(f"social:verify:{actor.user_id}", 3, 24 * 3600)
    if not allowed:
        raise RateLimited(retry, key="social.errors.slow_down")
    row: dict[str, Any] = {
        "public_id": new_id("ver"),
        "user_id": actor.user_id,
        "links": cleaned,
        "evidence": text,
        "status": "pending",
        "created_at": clock.now(),
    }
    await VerificationRequest.insert(VerificationRequest(**row))
    found = await queries.verification_by_public_id(row["public_id"])
    assert found is not None
    return found


async def mine(actor: Actor) -> dict[str, Any] | None:
    return await queries.latest_verification_of(actor.user_id)


async def queue(actor: Actor, first: int | None, after: str | None) -> Page[dict[str, Any]]:
    access.require_moderator(actor)
    size = page_size(first)
    rows = await queries.pending_verifications(size + 1, int_after(after))
    return make_page(rows, size, lambda r: r["id"])


async def audit_log(actor: Actor, first: int | None, after: str | None) -> Page[dict[str, Any]]:
    access.require_moderator(actor)
    size = page_size(first)
    rows = await queries.audit_entries(size + 1, int_after(after))
    return make_page(rows, size, lambda r: r["id"])


async def decide(actor: Actor, request_id: str, grant: bool, reason: str) -> dict[str, Any]:
    access.require_write(actor)
    access.require_moderator(actor)
    reason = profiles.clean_text(reason, field="reason", limit=MAX_REASON)
    if not grant and not reason:
        raise DomainError("social.errors.reason_required", field="reason")
    request = await queries.verification_by_public_id(request_id)
    if request is None:
        raise NotFound()
    if request["user_id"] == actor.user_id:
        raise DomainError("social.errors.own_verification")
    if request["status"] != "pending":
        raise DomainError("social.errors.already_decided")
    status = "granted" if grant else "declined"
    now = clock.now()
    async with db.transaction():
        moved = (
            await VerificationRequest.update(
                {
                    VerificationRequest.status: status,
                    VerificationRequest.reason: reason,
                    VerificationRequest.decided_by: actor.user_id,
                    VerificationRequest.decided_at: now,
                }
            )
            .where(VerificationRequest.id == request["id"], VerificationRequest.status == "pending")
            .returning(VerificationRequest.id)
        )
        if not moved:  # another moderator decided a moment ago
            raise DomainError("social.errors.already_decided")
        if grant:
            await queries.ensure_profile(request["user_id"])
            await Profile.update({Profile.verified_at: now, Profile.updated_at: now}).where(
                Profile.user_id == request["user_id"]
            )
        await AuditEntry.insert(
            AuditEntry(
                actor_id=actor.user_id,
                action=f"verification.{status}",
                subject=request["public_id"],
                data={"user_id": request["user_id"], "reason": reason},
                created_at=now,
            )
        )
    await notifications.notify(
        request["user_id"],
        "verification",
        actor_id=None,
        message_key=f"social.notifications.verification_{status}",
        params={"reason": reason},
        url="/settings/verification",
    )
    found = await queries.verification_by_public_id(request_id)
    assert found is not None
    return found


async def revoke(actor: Actor, user_public_id: str, reason: str) -> dict[str, Any]:
    """Take a badge away (also a logged decision)."""
    access.require_write(actor)
    access.require_moderator(actor)
    reason = profiles.clean_text(reason, field="reason", limit=MAX_REASON)
    if not reason:
        raise DomainError("social.errors.reason_required", field="reason")
    user = await profiles.user_by_public_id(user_public_id)
    now = clock.now()
    async with db.transaction():
        await Profile.update({Profile.verified_at: None, Profile.updated_at: now}).where(
            Profile.user_id == user["id"]
        )
        await AuditEntry.insert(
            AuditEntry(
                actor_id=actor.user_id,
                action="verification.revoked",
                subject=user["public_id"],
                data={"user_id": user["id"], "reason": reason},
                created_at=now,
            )
        )
    return user
