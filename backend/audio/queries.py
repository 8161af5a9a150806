"""Reads of the studio tables. JSON columns are loaded as data."""

from __future__ import annotations

from typing import Any

from backend.audio.tables import Asset, Export, Project, ProjectAsset, ProjectOperation, Render, StorageUsage
from backend.core import db
from backend.core.tables import Job, Upload


async def upload_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await Upload.select().where(Upload.public_id == public_id).first()


async def asset_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await Asset.select().where(Asset.public_id == public_id).output(load_json=True).first()


async def asset_by_upload(upload_id: str) -> dict[str, Any] | None:
    return await Asset.select().where(Asset.upload_id == upload_id).output(load_json=True).first()


async def assets_by_public_ids(ids: list[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return await Asset.select().where(Asset.public_id.is_in(ids)).output(load_json=True)


async def assets_of(
    owner_id: int, limit: int, before_id: int | None, status: str | None = None
) -> list[dict[str, Any]]:
    query = (
        Asset.select()
        .where(Asset.owner_id == owner_id, Asset.status != "deleted")
        .order_by(Asset.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    if before_id is not None:
        query = query.where(Asset.id < before_id)
    if status is not None:
        query = query.where(Asset.status == status)
    return await query


async def storage_used(user_id: int) -> int:
    row = await StorageUsage.select(StorageUsage.used_bytes).where(StorageUsage.user_id == user_id).first()
    return int(row["used_bytes"]) if row else 0


async def projects_using_asset(asset_row_id: int) -> list[dict[str, Any]]:
    return await (
        ProjectAsset.select(ProjectAsset.project.public_id, ProjectAsset.project.title)
        .where(ProjectAsset.asset == asset_row_id)
        .limit(20)
    )


async def project_by_public_id(public_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    query = Project.select().where(Project.public_id == public_id).output(load_json=True)
    if for_update and db.is_postgres():
        # Held until the surrounding transaction ends: one batch at a time per project.
        query = query.lock_rows()
    return await query.first()


async def projects_by_ids(ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return await Project.select().where(Project.id.is_in(ids)).output(load_json=True)


async def projects_of(owner_id: int, limit: int, before_id: int | None) -> list[dict[str, Any]]:
    query = (
        Project.select(
            Project.id,
            Project.public_id,
            Project.owner_id,
            Project.title,
            Project.revision,
            Project.document,
            Project.created_at,
            Project.updated_at,
        )
        .where(Project.owner_id == owner_id)
        .order_by(Project.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    if before_id is not None:
        query = query.where(Project.id < before_id)
    return await query


async def operations_of(project_id: int, limit: int, after_revision: int | None) -> list[dict[str, Any]]:
    query = (
        ProjectOperation.select()
        .where(ProjectOperation.project == project_id)
        .order_by(ProjectOperation.revision)
        .limit(limit)
        .output(load_json=True)
    )
    if after_revision is not None:
        query = query.where(ProjectOperation.revision > after_revision)
    return await query


async def operation_count(project_id: int) -> int:
    return await ProjectOperation.count().where(ProjectOperation.project == project_id)


async def project_asset_ids(project_id: int) -> list[int]:
    rows = await ProjectAsset.select(ProjectAsset.asset).where(ProjectAsset.project == project_id)
    return [r["asset"] for r in rows]


async def render_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await Render.select().where(Render.public_id == public_id).output(load_json=True).first()


async def render_by_id(row_id: int) -> dict[str, Any] | None:
    return await Render.select().where(Render.id == row_id).output(load_json=True).first()


async def renders_by_ids(ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return await Render.select().where(Render.id.is_in(ids)).output(load_json=True)


async def render_by_cache_key(project_id: int, cache_key: str) -> dict[str, Any] | None:
    return (
        await Render.select()
        .where(Render.project == project_id, Render.cache_key == cache_key)
        .output(load_json=True)
        .first()
    )


async def renders_of(project_id: int, limit: int) -> list[dict[str, Any]]:
    return (
        await Render.select()
        .where(Render.project == project_id)
        .order_by(Render.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )


async def export_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await Export.select().where(Export.public_id == public_id).output(load_json=True).first()


async def exports_of(project_id: int, limit: int) -> list[dict[str, Any]]:
    return (
        await Export.select()
        .where(Export.project == project_id)
        .order_by(Export.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )


async def jobs_by_public_ids(ids: list[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return await Job.select().where(Job.public_id.is_in(ids)).output(load_json=True)


async def project_by_id(row_id: int) -> dict[str, Any] | None:
    return await Project.select().where(Project.id == row_id).output(load_json=True).first()
