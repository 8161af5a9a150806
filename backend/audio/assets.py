"""The library: claim an upload into an asset, count its bytes against the plan, delete it.

Storage usage is one row per user changed only by *conditional* updates
(``used_bytes <= limit - n``), so two uploads racing for the last free megabytes can't both pass.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from backend.audio import access, queries
from backend.audio.tables import Asset, StorageUsage
from backend.billing import services as billing
from backend.core import clock, db, jobs
from backend.core.actor import Actor
from backend.core.errors import DomainError
from backend.core.ids import has_prefix, new_id
from backend.core.pagination import Page, int_after, make_page, page_size
from backend.core.storage import storage
from backend.core.tables import Upload

log = logging.getLogger(__name__)

NAME_MAX = 200


def asset_prefix(user_public_id: str, asset_id: str) -> str:
    """Where an asset's files live: ``audio/<user>/<asset>/original.<ext>``, ``decoded.flac``, …"""
    return f"audio/{user_public_id}/{asset_id}"


def _name_from(filename: str) -> str:
    stem = os.path.splitext(os.path.basename(filename))[0]
    name = " ".join(stem.replace("_", " ").split())[:NAME_MAX]
    return name or "Untitled"


# ----------------------------------------------------------------------------- storage usage


async def _ensure_usage_row(user_id: int) -> None:
    await StorageUsage.insert(
        StorageUsage(user_id=user_id, used_bytes=0, updated_at=clock.now())
    ).on_conflict(target=StorageUsage.user_id, action="DO NOTHING")


async def charge(user_id: int, size: int, limit: int) -> bool:
    """Add ``size`` bytes to the user's usage unless that would pass ``limit``. Atomic."""
    if size <= 0:
        return True
    await _ensure_usage_row(user_id)
    rows = (
        await StorageUsage.update(
            {StorageUsage.used_bytes: StorageUsage.used_bytes + size, StorageUsage.updated_at: clock.now()}
        )
        .where(StorageUsage.user_id == user_id, StorageUsage.used_bytes <= limit - size)
        .returning(StorageUsage.used_bytes)
    )
    return bool(rows)


async def release(user_id: int, size: int) -> None:
    if size <= 0:
        return
    await StorageUsage.update(
        {StorageUsage.used_bytes: StorageUsage.used_bytes - size, StorageUsage.updated_at: clock.now()}
    ).where(StorageUsage.user_id == user_id)


async def storage_status(actor: Actor) -> dict[str, int]:
    limit = (await billing.entitlements(actor.user_id)).limit("storage_bytes")
    return {"used": await queries.storage_used(actor.user_id), "limit": limit}


# ----------------------------------------------------------------------------- create


async def create_asset(actor: Actor, upload_id: str, name: str | None = None) -> dict[str, Any]:
    """Claim an upload into a new asset and queue its ingest. Claiming twice returns the same asset."""
    access.require_write(actor)
    if not has_prefix(upload_id, "upl"):
        raise DomainError("audio.errors.upload_not_found", field="uploadId")
    existing = await queries.asset_by_upload(upload_id)
    if existing is not None and existing["owner_id"] == actor.user_id:
        return existing
    upload = await queries.upload_by_public_id(upload_id)
    if upload is None or upload["owner_id"] != actor.user_id:
        raise DomainError("audio.errors.upload_not_found", field="uploadId")
    if upload["claimed"]:
        raise DomainError("audio.errors.upload_claimed", field="uploadId")
    clean_name = " ".join((name or "").split())[:NAME_MAX] or _name_from(upload["filename"])
    limit = (await billing.entitlements(actor.user_id)).limit("storage_bytes")
    public_id = new_id("ast")
    now = clock.now()
    async with db.transaction():
        claimed = (
            await Upload.update({Upload.claimed: True})
            .where(Upload.id == upload["id"], Upload.claimed == False)  # noqa: E712 - SQL, not Python
            .returning(Upload.id)
        )
        if not claimed:
            raise DomainError("audio.errors.upload_claimed", field="uploadId")
        if not await charge(actor.user_id, int(upload["size"]), limit):
            raise DomainError(
                "audio.errors.storage_full", field="uploadId", limit_mb=max(1, limit // (1024 * 1024))
            )
        job = await jobs.create_job(
            "audio.ingest_asset", {"asset_id": public_id}, owner_id=actor.user_id, subject=public_id
        )
        await Asset.insert(
            Asset(
                public_id=public_id,
                owner_id=actor.user_id,
                upload_id=upload_id,
                name=clean_name,
                original_filename=upload["filename"],
                status="processing",
                job_id=job["public_id"],
                storage_prefix=asset_prefix(actor.public_id, public_id),
                charged_bytes=int(upload["size"]),
                created_at=now,
                updated_at=now,
            )
        )
    await jobs.dispatch(job)
    row = await queries.asset_by_public_id(public_id)
    assert row is not None
    return row


# ----------------------------------------------------------------------------- read


async def get_asset(actor: Actor, asset_id: str) -> dict[str, Any]:
    return access.visible_asset(actor, await queries.asset_by_public_id(asset_id))


async def list_assets(
    actor: Actor, first: int | None, after: str | None, status: str | None = None
) -> Page[dict[str, Any]]:
    size = page_size(first)
    rows = await queries.assets_of(actor.user_id, size + 1, int_after(after), status)
    return make_page(rows, size, lambda r: r["id"])


async def assets_by_public_ids(ids: list[str]) -> list[dict[str, Any]]:
    """For DataLoaders: rows as stored; callers check visibility."""
    return await queries.assets_by_public_ids(ids)


# ----------------------------------------------------------------------------- delete


async def delete_asset(actor: Actor, asset_id: str) -> dict[str, Any]:
    """Remove an asset from the library and free its bytes.

    An asset that a project's *current* document plays is refused (remove its clips first): deleting
    it would silently break the song. Older revisions in the operation log may still name it; the
    log is append-only and is not rewritten, so replaying such an operation later is refused with
    ``asset_not_found`` — a clear error, never a silent gap in a mix.
    """
    access.require_write(actor)
    asset = await queries.asset_by_public_id(asset_id)
    if asset is None or not access.can_delete_asset(actor, asset):
        raise DomainError("audio.errors.asset_not_found", field="id")
    using = await queries.projects_using_asset(asset["id"])
    if using:
        titles = ", ".join(p["project.title"] for p in using[:3])
        raise DomainError("audio.errors.asset_in_use", field="id", projects=titles, count=len(using))
    async with db.transaction():
        done = (
            await Asset.update(
                {
                    Asset.status: "deleted",
                    Asset.deleted_at: clock.now(),
                    Asset.updated_at: clock.now(),
                    Asset.charged_bytes: 0,
                    Asset.peaks: None,
                }
            )
            .where(Asset.id == asset["id"], Asset.status != "deleted")
            .returning(Asset.id)
        )
        if done:
            await release(asset["owner_id"], int(asset["charged_bytes"]))
    if asset["status"] == "processing" and asset["job_id"]:
        await jobs.request_cancel(asset["job_id"])
    await storage().delete_prefix(asset["storage_prefix"])
    upload = await queries.upload_by_public_id(asset["upload_id"])
    if upload is not None:
        await storage().delete(upload["storage_key"])
    return {**asset, "status": "deleted"}
