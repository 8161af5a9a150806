"""Piccolo queries of the intelligence domain."""

from __future__ import annotations

from typing import Any

from backend.intelligence.tables import GenreModel, Output, TagSuggestion


async def model_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await GenreModel.select().where(GenreModel.public_id == public_id).output(load_json=True).first()


async def ready_models(kind: str | None = None) -> list[dict[str, Any]]:
    query = GenreModel.select().where(GenreModel.status == "ready")
    if kind is not None:
        query = query.where(GenreModel.kind == kind)
    return await query.order_by(GenreModel.code).order_by(GenreModel.version).output(load_json=True)


async def latest_version(kind: str, code: str, owner_id: int | None = None) -> int:
    query = GenreModel.select(GenreModel.version).where(GenreModel.kind == kind, GenreModel.code == code)
    if owner_id is not None:
        query = query.where(GenreModel.owner_id == owner_id)
    row = await query.order_by(GenreModel.version, ascending=False).first()
    return int(row["version"]) if row else 0


async def personal_models(owner_id: int, organization_ids: list[int]) -> list[dict[str, Any]]:
    query = GenreModel.select().where(GenreModel.kind == "personal")
    if organization_ids:
        query = query.where(
            (GenreModel.owner_id == owner_id) | GenreModel.organization_id.is_in(organization_ids)
        )
    else:
        query = query.where(GenreModel.owner_id == owner_id)
    return await query.order_by(GenreModel.id, ascending=False).output(load_json=True)


async def output_by_public_id(public_id: str) -> dict[str, Any] | None:
    return await Output.select().where(Output.public_id == public_id).output(load_json=True).first()


async def outputs_of(owner_id: int, limit: int, after_id: int | None) -> list[dict[str, Any]]:
    query = Output.select().where(Output.owner_id == owner_id)
    if after_id is not None:
        query = query.where(Output.id < after_id)
    return await query.order_by(Output.id, ascending=False).limit(limit).output(load_json=True)


async def recent_melodies(model_id: str, exclude_owner: int, limit: int = 500) -> list[dict[str, Any]]:
    return (
        await Output.select(Output.public_id, Output.melody)
        .where(Output.model_id == model_id, Output.status == "ready", Output.owner_id != exclude_owner)
        .order_by(Output.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )


async def generations_since(owner_id: int, since: Any) -> int:
    return await Output.count().where(
        Output.owner_id == owner_id, Output.created_at >= since, Output.status != "failed"
    )


async def tag_of(upload_id: str) -> dict[str, Any] | None:
    return (
        await TagSuggestion.select()
        .where(TagSuggestion.upload_id == upload_id)
        .output(load_json=True)
        .first()
    )


async def tags_of(owner_id: int, limit: int = 50) -> list[dict[str, Any]]:
    return (
        await TagSuggestion.select()
        .where(TagSuggestion.owner_id == owner_id)
        .order_by(TagSuggestion.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
