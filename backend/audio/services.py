"""The studio's use cases, for GraphQL, pages and other domains. Each takes an ``Actor`` and ids.

Other domains call only this module. A "publish a release" feature, for example, would use
``get_render`` / ``get_asset`` (checks the actor may see it) and ``media_of_render`` /
``media_of_asset`` (storage keys of the files) — see the report in the repository history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backend.audio import queries
from backend.audio.assets import (
    assets_by_public_ids,
    create_asset,
    delete_asset,
    get_asset,
    list_assets,
    storage_status,
)
from backend.audio.exports import (
    ExportSettings,
    UpgradeRequired,
    allowed_options,
    exports_of,
    get_export,
    request_export,
)
from backend.audio.projects import (
    Committed,
    StaleRevision,
    apply_operations,
    channel,
    create_project,
    delete_project,
    get_project,
    list_projects,
    operation_log,
)
from backend.audio.renders import RenderSettings, cancel_render, get_render, renders_of, request_render
from backend.billing import services as billing
from backend.core.actor import Actor

if TYPE_CHECKING:
    from backend.audio.operations import Context

__all__ = [
    "Committed",
    "ExportSettings",
    "RenderSettings",
    "StaleRevision",
    "UpgradeRequired",
    "allowed_options",
    "apply_operations",
    "assets_by_public_ids",
    "cancel_render",
    "channel",
    "create_asset",
    "create_project",
    "delete_asset",
    "delete_project",
    "effect_menu",
    "exports_of",
    "get_asset",
    "get_export",
    "get_project",
    "get_render",
    "jobs_by_public_ids",
    "track_limit",
    "list_assets",
    "list_projects",
    "media_of_asset",
    "media_of_render",
    "operation_context",
    "operation_log",
    "renders_of",
    "request_export",
    "request_render",
    "storage_status",
]


async def track_limit(project: dict[str, Any]) -> int:
    """How many tracks the project may hold: the owner's plan decides."""
    return (await billing.entitlements(project["owner_id"])).limit("tracks_per_project")


async def operation_context(actor: Actor, project: dict[str, Any], batch: list[Any]) -> Context:
    """What validating ``batch`` on one of ``project``'s documents needs (its assets, the owner's
    track limit) — for collaboration, which validates a client's batch on the revision it was made on."""
    from backend.audio.projects import _context

    return await _context(actor, project, batch)


async def jobs_by_public_ids(ids: list[str]) -> list[dict[str, Any]]:
    return await queries.jobs_by_public_ids(ids)


def effect_menu() -> dict[str, Any]:
    """The engine's effect types and their parameter specs (type → spec)."""
    from backend.audio.engine import effects

    return dict(effects.EFFECTS)


async def media_of_asset(actor: Actor, asset_id: str) -> dict[str, str]:
    """Storage keys of a ready asset's files: ``original``, ``decoded`` (lossless), ``preview``."""
    from backend.core.errors import DomainError

    asset = await get_asset(actor, asset_id)
    if asset["status"] != "ready":
        raise DomainError("audio.errors.asset_not_ready", field="assetId")
    return {
        "original": asset["original_key"],
        "decoded": asset["decoded_key"],
        "preview": asset["preview_key"],
    }


async def media_of_render(actor: Actor, render_id: str) -> dict[str, str]:
    """Storage keys of a finished render: ``mix`` (float WAV) and ``preview`` (MP3)."""
    from backend.core.errors import DomainError

    render = await get_render(actor, render_id)
    if render["status"] != "done":
        raise DomainError("audio.errors.render_not_ready", field="renderId")
    return {"mix": render["mix_key"], "preview": render["preview_key"]}
