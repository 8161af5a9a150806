"""Releases: publish from a studio render or an upload, edit, schedule, unpublish, delete.

Life of a release: ``processing`` (its audio is being prepared by the studio's ingest or render) →
``scheduled`` (waiting for ``publish_at``) or ``published`` → maybe ``unpublished`` and back.
Followers are told once, the first time it is both published and public (``announced_at``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from backend import taxonomy
from backend.accounts import services as accounts
from backend.audio import services as audio
from backend.core import clock, db, jobs, ratelimit
from backend.core.actor import Actor
from backend.core.errors import DomainError, NotFound, RateLimited, ValidationFailed
from backend.core.ids import new_id
from backend.core.pagination import Page, decode_cursor, encode_cursor, page_size
from backend.core.signing import random_token
from backend.social import access, images, queries
from backend.social.profiles import clean_text
from backend.social.tables import VISIBILITIES, Credit, Release, ReleaseStats

MAX_TITLE = 120
MAX_DESCRIPTION = 5000
MAX_CREDITS = 20
MAX_SCHEDULE_AHEAD = timedelta(days=365)
PUBLISHES_PER_HOUR = 30


@dataclass(frozen=True, slots=True)
class CreditInput:
    role: str
    handle: str = ""  # a Cadenza user (with or without @)
    name: str = ""  # or just a name


@dataclass(frozen=True, slots=True)
class ReleaseInput:
    title: str
    description: str = ""
    genre: str = ""
    tags: list[str] = field(default_factory=list)
    visibility: str = "public"
    publish_at: datetime | None = None
    credits: list[CreditInput] = field(default_factory=list)
    upload_id: str | None = None
    render_id: str | None = None
    artwork_upload_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReleaseChanges:
    title: str | None = None
    description: str | None = None
    genre: str | None = None
    tags: list[str] | None = None
    visibility: str | None = None
    publish_at: datetime | None = None
    clear_schedule: bool = False
    credits: list[CreditInput] | None = None
    artwork_upload_id: str | None = None


# ----------------------------------------------------------------------------- validation


def clean_title(value: str) -> str:
    title = " ".join(value.split())
    if not title:
        raise DomainError("social.errors.title_required", field="title")
    if len(title) > MAX_TITLE:
        raise DomainError("social.errors.too_long", field="title", max=MAX_TITLE)
    return title


def clean_visibility(value: str) -> str:
    if value not in VISIBILITIES:
        raise DomainError("social.errors.visibility_invalid", field="visibility")
    return value


def clean_schedule(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise DomainError("social.errors.schedule_invalid", field="publishAt")
    value = clock.as_utc(value)
    now = clock.now()
    if value <= now:
        raise DomainError("social.errors.schedule_in_past", field="publishAt")
    if value > now + MAX_SCHEDULE_AHEAD:
        raise DomainError("social.errors.schedule_too_far", field="publishAt", days=MAX_SCHEDULE_AHEAD.days)
    return value


async def clean_credits(credits: list[CreditInput]) -> list[dict[str, Any]]:
    if len(credits) > MAX_CREDITS:
        raise DomainError("social.errors.too_many_credits", field="credits", max=MAX_CREDITS)
    cleaned = []
    for position, credit in enumerate(credits):
        role = " ".join(credit.role.split())
        handle = credit.handle.strip().lstrip("@").lower()
        name = " ".join(credit.name.split())
        if not role and not handle and not name:
            continue
        if not role or len(role) > 40:
            raise DomainError("social.errors.credit_role_invalid", field="credits", max=40)
        user_id = None
        if handle:
            user = await accounts.find_user_by_handle(handle) if len(handle) <= 40 else None
            if user is None or not user["is_active"]:
                raise DomainError("social.errors.credit_unknown_user", field="credits", handle=handle[:40])
            user_id = user["id"]
        elif not name or len(name) > 80:
            raise DomainError("social.errors.credit_name_invalid", field="credits", max=80)
        cleaned.append({"role": role, "user_id": user_id, "name": name, "position": position})
    return cleaned


async def _gather(checks: list[Any]) -> list[Any]:
    """Run every check (sync or async), reporting all field errors together."""
    results, errors = [], []
    for check in checks:
        try:
            value = check()
            if hasattr(value, "__await__"):
                value = await value
            results.append(value)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            results.append(None)
        except DomainError as exc:
            errors.append(exc)
            results.append(None)
    if errors:
        raise errors[0] if len(errors) == 1 else ValidationFailed(errors)
    return results


# ----------------------------------------------------------------------------- publish


async def publish(actor: Actor, data: ReleaseInput) -> dict[str, Any]:
    """Create a release from an upload or a render. Nothing changes unless every field is valid."""
    access.require_write(actor)
    access.require_publisher(actor)
    if bool(data.upload_id) == bool(data.render_id):
        raise DomainError("social.errors.audio_required", field="uploadId")
    title, description, genre, tags, visibility, publish_at, credits = await _gather(
        [
            lambda: clean_title(data.title),
            lambda: clean_text(data.description, field="description", limit=MAX_DESCRIPTION),
            lambda: taxonomy.clean_genre(data.genre),
            lambda: taxonomy.clean_tags(data.tags),
            lambda: clean_visibility(data.visibility),
            lambda: clean_schedule(data.publish_at),
            lambda: clean_credits(data.credits),
        ]
    )
    artwork = None
    if data.artwork_upload_id:
        artwork = await images.check_upload(actor, data.artwork_upload_id, "artwork", field="artworkUploadId")
    render = None
    if data.render_id:
        render = await audio.get_render(actor, data.render_id)
        if render["owner_id"] != actor.user_id:
            raise DomainError("social.errors.render_not_yours", field="renderId")
        if render["status"] in ("failed", "cancelled"):
            raise DomainError("social.errors.render_failed", field="renderId")
    allowed, retry = await ratelimit.hit(f"social:publish:{actor.user_id}", PUBLISHES_PER_HOUR, 3600)
    if not allowed:
        raise RateLimited(retry, key="social.errors.slow_down")
    asset_id = ""
    if data.upload_id:
        # The studio claims the upload and ingests it (duration, peaks, streamable preview).
        asset = await audio.create_asset(actor, data.upload_id, name=title)
        asset_id = asset["public_id"]
    now = clock.now()
    public_id = new_id("trk")
    async with db.transaction():
        inserted = await Release.insert(
            Release(
                public_id=public_id,
                owner_id=actor.user_id,
                title=title,
                description=description,
                genre=genre,
                tags=tags,
                source_kind="render" if render else "upload",
                source_id=data.render_id or data.upload_id or "",
                asset_id=asset_id,
                visibility=visibility,
                secret_token=random_token(18),
                status="processing",
                publish_at=publish_at,
                created_at=now,
                updated_at=now,
            )
        ).returning(Release.id)
        release_id = inserted[0]["id"]
        await ReleaseStats.insert(ReleaseStats(release_id=release_id))
        await _write_credits(release_id, credits)
        pending = [
            await jobs.create_job(
                "social.prepare_release", {"release_id": public_id}, owner_id=actor.user_id, subject=public_id
            )
        ]
        if artwork is not None:
            pending.append((await images.claim(actor, artwork, "artwork", public_id))[1])
    for job in pending:
        await jobs.dispatch(job)
    return await _row(public_id)


async def _write_credits(release_id: int, credits: list[dict[str, Any]]) -> None:
    await Credit.delete().where(Credit.release == release_id)
    if credits:
        await Credit.insert(*(Credit(release=release_id, **c) for c in credits))


async def _row(public_id: str) -> dict[str, Any]:
    row = await queries.release_by_public_id(public_id)
    if row is None:
        raise NotFound()
    return row


async def audio_ready(
    release: dict[str, Any], stream_key: str, duration: float | None, peaks: list[float]
) -> dict[str, Any]:
    """The prepare job found the audio: store it and go live (or wait for the scheduled time)."""
    now = clock.now()
    scheduled = release["publish_at"] is not None and release["publish_at"] > now
    values: dict[Any, Any] = {
        Release.stream_key: stream_key,
        Release.duration: duration,
        Release.peaks: peaks,
        Release.status: "scheduled" if scheduled else "published",
        Release.updated_at: now,
    }
    if not scheduled:
        values[Release.published_at] = now
    async with db.transaction():
        moved = (
            await Release.update(values)
            .where(Release.id == release["id"], Release.status == "processing")
            .returning(Release.id)
        )
        job = None
        if moved and scheduled:
            job = await jobs.create_job(
                "social.publish_scheduled",
                {"release_id": release["public_id"]},
                owner_id=release["owner_id"],
                subject=release["public_id"],
            )
        elif moved:
            job = await _announce_if_due(release["id"])
    if job is not None:
        delay = (release["publish_at"] - now).total_seconds() if scheduled else None
        await jobs.dispatch(job, defer_seconds=delay)
    return await _row(release["public_id"])


async def audio_failed(release: dict[str, Any], error_key: str) -> None:
    await Release.update(
        {Release.status: "failed", Release.error_key: error_key, Release.updated_at: clock.now()}
    ).where(Release.id == release["id"], Release.status == "processing")


async def publish_due(release_public_id: str) -> str:
    """Publish a scheduled release whose time has come; returns what happened."""
    release = await queries.release_by_public_id(release_public_id)
    if release is None or release["status"] != "scheduled" or release["deleted_at"] is not None:
        return "nothing"
    now = clock.now()
    if release["publish_at"] is not None and release["publish_at"] > now + timedelta(seconds=1):
        # Delivered early (the schedule moved, or a lost job was re-sent): wait again.
        job = await jobs.create_job(
            "social.publish_scheduled",
            {"release_id": release_public_id},
            owner_id=release["owner_id"],
            subject=release_public_id,
        )
        await jobs.dispatch(job, defer_seconds=(release["publish_at"] - now).total_seconds())
        return "rescheduled"
    async with db.transaction():
        moved = (
            await Release.update(
                {Release.status: "published", Release.published_at: now, Release.updated_at: now}
            )
            .where(Release.id == release["id"], Release.status == "scheduled")
            .returning(Release.id)
        )
        announce = await _announce_if_due(release["id"]) if moved else None
    if announce is not None:
        await jobs.dispatch(announce)
    return "published" if moved else "nothing"


async def _announce_if_due(release_id: int) -> dict[str, Any] | None:
    """Inside a transaction: if the release is listed and was never announced, mark it and make
    the fan-out job (feeds and followers' notifications)."""
    release = await queries.release_by_id(release_id)
    if release is None or not access.is_listed(release) or release["announced_at"] is not None:
        return None
    marked = (
        await Release.update({Release.announced_at: clock.now()})
        .where(Release.id == release_id, Release.announced_at.is_null())
        .returning(Release.id)
    )
    if not marked:
        return None
    return await jobs.create_job(
        "social.announce_release",
        {"release_id": release["public_id"], "after": 0},
        owner_id=release["owner_id"],
        subject=release["public_id"],
    )


# ----------------------------------------------------------------------------- read


async def get(actor: Actor | None, public_id: str, key: str | None = None) -> dict[str, Any]:
    release = await queries.release_by_public_id(public_id) if public_id else None
    access.require_view_release(actor, release, key)
    assert release is not None
    return release


async def of_owner(
    actor: Actor | None, owner_id: int, first: int | None, after: str | None
) -> Page[dict[str, Any]]:
    """A profile's releases: the owner sees all of theirs, everyone else only the listed ones."""
    size = page_size(first)
    mine = actor is not None and actor.user_id == owner_id
    cursor = decode_cursor(after)
    rows = await queries.releases_of_owner(owner_id, include_hidden=mine, limit=size + 1, after=cursor)
    return _page(rows, size, by_id=mine)


async def search(
    actor: Actor | None, text: str, genre: str | None, first: int | None, after: str | None
) -> Page[dict[str, Any]]:
    size = page_size(first)
    genre_id = taxonomy.clean_genre(genre) if genre else None
    rows = await queries.search_releases(
        " ".join(text.split())[:80], genre_id, size + 1, decode_cursor(after)
    )
    return _page(rows, size, by_id=False)


def _page(rows: list[dict[str, Any]], size: int, *, by_id: bool) -> Page[dict[str, Any]]:
    has_next = len(rows) > size
    rows = rows[:size]
    if by_id:
        cursors = [encode_cursor(r["id"]) for r in rows]
    else:
        cursors = [encode_cursor(r["published_at"].isoformat(), r["id"]) for r in rows]
    return Page(items=rows, cursors=cursors, has_next=has_next)


# ----------------------------------------------------------------------------- edit


async def update(actor: Actor, public_id: str, changes: ReleaseChanges) -> dict[str, Any]:
    access.require_write(actor)
    release = await queries.release_by_public_id(public_id)
    if release is None or release["deleted_at"] is not None:
        raise NotFound()
    access.require_owner(actor, release)
    checks: list[Any] = []
    if changes.title is not None:
        checks.append(lambda: ("title", clean_title(changes.title or "")))
    if changes.description is not None:
        checks.append(
            lambda: (
                "description",
                clean_text(changes.description or "", field="description", limit=MAX_DESCRIPTION),
            )
        )
    if changes.genre is not None:
        checks.append(lambda: ("genre", taxonomy.clean_genre(changes.genre or "")))
    if changes.tags is not None:
        checks.append(lambda: ("tags", taxonomy.clean_tags(changes.tags or [])))
    if changes.visibility is not None:
        checks.append(lambda: ("visibility", clean_visibility(changes.visibility or "")))
    if changes.publish_at is not None:
        if release["status"] not in ("processing", "scheduled"):
            raise DomainError("social.errors.already_published", field="publishAt")
        checks.append(lambda: ("publish_at", clean_schedule(changes.publish_at)))
    values = dict(await _gather(checks))
    credits = await clean_credits(changes.credits) if changes.credits is not None else None
    artwork = None
    if changes.artwork_upload_id:
        artwork = await images.check_upload(
            actor, changes.artwork_upload_id, "artwork", field="artworkUploadId"
        )
    now = clock.now()
    pending: list[dict[str, Any]] = []
    defer: dict[str, float] = {}
    async with db.transaction():
        if changes.clear_schedule and release["status"] == "scheduled":
            values.update(status="published", published_at=now, publish_at=None)
        elif changes.clear_schedule:
            values["publish_at"] = None
        if values:
            values["updated_at"] = now
            await Release.update({getattr(Release, k): v for k, v in values.items()}).where(
                Release.id == release["id"]
            )
        if credits is not None:
            await _write_credits(release["id"], credits)
        if artwork is not None:
            pending.append((await images.claim(actor, artwork, "artwork", public_id))[1])
        if "publish_at" in values and values["publish_at"] is not None and release["status"] == "scheduled":
            job = await jobs.create_job(
                "social.publish_scheduled",
                {"release_id": public_id},
                owner_id=actor.user_id,
                subject=public_id,
            )
            pending.append(job)
            defer[job["public_id"]] = (values["publish_at"] - now).total_seconds()
        announce = await _announce_if_due(release["id"])
        if announce is not None:
            pending.append(announce)
    for job in pending:
        await jobs.dispatch(job, defer_seconds=defer.get(job["public_id"]))
    return await _row(public_id)


async def unpublish(actor: Actor, public_id: str) -> dict[str, Any]:
    """Take a release down (feeds, profile, search and embeds stop showing it); reversible."""
    access.require_write(actor)
    release = await queries.release_by_public_id(public_id)
    if release is None or release["deleted_at"] is not None:
        raise NotFound()
    access.require_owner(actor, release)
    if release["status"] not in ("published", "scheduled"):
        raise DomainError("social.errors.not_published")
    await Release.update({Release.status: "unpublished", Release.updated_at: clock.now()}).where(
        Release.id == release["id"]
    )
    return await _row(public_id)


async def republish(actor: Actor, public_id: str) -> dict[str, Any]:
    access.require_write(actor)
    release = await queries.release_by_public_id(public_id)
    if release is None or release["deleted_at"] is not None:
        raise NotFound()
    access.require_owner(actor, release)
    if release["status"] != "unpublished":
        raise DomainError("social.errors.not_unpublished")
    now = clock.now()
    async with db.transaction():
        await Release.update(
            {
                Release.status: "published",
                Release.published_at: release["published_at"] or now,
                Release.publish_at: None,
                Release.updated_at: now,
            }
        ).where(Release.id == release["id"])
        job = await _announce_if_due(release["id"])
    if job is not None:
        await jobs.dispatch(job)
    return await _row(public_id)


async def delete(actor: Actor, public_id: str) -> dict[str, Any]:
    """Delete for good (kept as a tombstone so links answer "deleted" rather than "not found")."""
    access.require_write(actor)
    release = await queries.release_by_public_id(public_id)
    if release is None or release["deleted_at"] is not None:
        raise NotFound()
    access.require_owner(actor, release)
    now = clock.now()
    await Release.update(
        {Release.deleted_at: now, Release.status: "unpublished", Release.updated_at: now}
    ).where(Release.id == release["id"])
    return await _row(public_id)


async def set_artwork(release_public_id: str, owner_id: int, storage_key: str) -> None:
    await Release.update({Release.artwork_key: storage_key, Release.updated_at: clock.now()}).where(
        Release.public_id == release_public_id, Release.owner_id == owner_id
    )


async def prepare_source(release: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """Ask the studio where the release's audio stands: ("wait"|"ready"|"failed", media)."""
    actor = await accounts.actor_for_user(release["owner_id"])
    if actor is None:
        return "failed", None
    if release["source_kind"] == "render":
        render = await audio.get_render(actor, release["source_id"])
        if render["status"] in ("failed", "cancelled"):
            return "failed", None
        if render["status"] != "done":
            return "wait", None
        media = await audio.media_of_render(actor, release["source_id"])
        return "ready", {"key": media["preview"], "duration": render.get("duration"), "peaks": None}
    asset = await audio.get_asset(actor, release["asset_id"])
    if asset["status"] in ("failed", "deleted"):
        return "failed", {"error_key": asset.get("error_key") or ""}
    if asset["status"] != "ready":
        return "wait", None
    media = await audio.media_of_asset(actor, release["asset_id"])
    return "ready", {"key": media["preview"], "duration": asset.get("duration"), "peaks": asset.get("peaks")}
