"""Renders: a mix of one document with some settings, cached per project by a hash of both.

The same request (same document, same settings) returns the same render row, queued, running or
done, so nothing is rendered twice. A failed or cancelled render is re-queued when asked again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from backend.audio import access, queries
from backend.audio import operations as ops
from backend.audio.tables import Render
from backend.core import clock, db, jobs
from backend.core.actor import Actor
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.core.redis import key, redis_client
from backend.core.storage import storage

log = logging.getLogger(__name__)

# Bump when the render pipeline changes what it produces, so old cached mixes are not served.
RENDER_VERSION = 1
ACTIVE = ("queued", "running")


@dataclass(frozen=True, slots=True)
class RenderSettings:
    stems: bool = False  # also write one file per track (needed for a stems export)


def cache_key(document: dict[str, Any], settings: RenderSettings) -> str:
    canonical = json.dumps(
        {"v": RENDER_VERSION, "document": document, "settings": asdict(settings)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def project_prefix_of(project: dict[str, Any]) -> str:
    return f"audio/projects/{project['public_id']}"


def render_prefix(project_public_id: str, render_public_id: str) -> str:
    return f"audio/projects/{project_public_id}/renders/{render_public_id}"


def cancel_key(render_public_id: str) -> str:
    return key("render-cancel", render_public_id)


async def _check_renderable(document: dict[str, Any]) -> None:
    if ops.duration(document) <= 0:
        raise DomainError("audio.errors.nothing_to_render", field="projectId")
    wanted = sorted(ops.asset_ids(document))
    rows = {r["public_id"]: r for r in await queries.assets_by_public_ids(wanted)}
    for asset_id in wanted:
        row = rows.get(asset_id)
        if row is None or row["status"] != "ready":
            raise DomainError("audio.errors.asset_missing", field="projectId", asset=asset_id)


async def request_render(
    actor: Actor, project_id: str, settings: RenderSettings | None = None
) -> dict[str, Any]:
    """The render of the project's current document: cached, running, or newly queued."""
    settings = settings or RenderSettings()
    access.require_write(actor)
    project = await access.visible_project(actor, await queries.project_by_public_id(project_id))
    return await render_for(actor, project, settings)


async def render_for(actor: Actor, project: dict[str, Any], settings: RenderSettings) -> dict[str, Any]:
    document = project["document"]
    await _check_renderable(document)
    digest = cache_key(document, settings)
    for _attempt in range(3):
        found = await queries.render_by_cache_key(project["id"], digest)
        if found is not None and _reusable(found):
            return found
        try:
            return await _queue(actor, project, settings, digest, found)
        except Exception as exc:
            if not db.is_unique_violation(exc):
                raise
            # Someone asked for the same render a moment ago: serve theirs.
    raise DomainError("common.errors.try_again")


def _reusable(render: dict[str, Any]) -> bool:
    """Queued or running (wait for it), or done with its files still in storage."""
    if render["status"] in ACTIVE:
        return True
    return render["status"] == "done" and bool(render["mix_key"]) and storage().exists(render["mix_key"])


async def _queue(
    actor: Actor,
    project: dict[str, Any],
    settings: RenderSettings,
    digest: str,
    previous: dict[str, Any] | None,
) -> dict[str, Any]:
    now = clock.now()
    async with db.transaction():
        public_id = previous["public_id"] if previous else new_id("rnd")
        job = await jobs.create_job(
            "audio.render_mix", {"render_id": public_id}, owner_id=actor.user_id, subject=public_id
        )
        values = {
            "revision": project["revision"],
            "settings": asdict(settings),
            "document": project["document"],
            "status": "queued",
            "job_id": job["public_id"],
            "claimed_by": "",
            "error_key": "",
            "finished_at": None,
        }
        if previous is None:
            await Render.insert(
                Render(
                    public_id=public_id,
                    project=project["id"],
                    owner_id=project["owner_id"],
                    cache_key=digest,
                    created_at=now,
                    **values,
                )
            )
        else:
            # A failed or cancelled render (or one whose files are gone) runs again, same row.
            changed = (
                await Render.update({getattr(Render, k): v for k, v in values.items()})
                .where(Render.id == previous["id"], Render.status == previous["status"])
                .returning(Render.id)
            )
            if not changed:
                raise DomainError("common.errors.try_again")
    await redis_client().delete(cancel_key(public_id))
    await jobs.dispatch(job)
    row = await queries.render_by_public_id(public_id)
    assert row is not None
    return row


async def get_render(actor: Actor, render_id: str) -> dict[str, Any]:
    render = await queries.render_by_public_id(render_id)
    if render is None:
        raise DomainError("audio.errors.render_not_found", field="id")
    project = await queries.project_by_id(render["project"])
    await access.visible_project(actor, project)
    return render


async def renders_of(actor: Actor, project: dict[str, Any], limit: int = 10) -> list[dict[str, Any]]:
    await access.visible_project(actor, project)
    return await queries.renders_of(project["id"], limit)


async def cancel_render(actor: Actor, render_id: str) -> dict[str, Any]:
    access.require_write(actor)
    render = await get_render(actor, render_id)
    if render["status"] not in ACTIVE:
        return render
    await stop_render_work(render)
    # A queued render nobody has picked up yet is cancelled right here.
    await Render.update({Render.status: "cancelled", Render.finished_at: clock.now()}).where(
        Render.id == render["id"], Render.status == "queued"
    )
    found = await queries.render_by_public_id(render_id)
    assert found is not None
    return found


async def stop_render_work(render: dict[str, Any]) -> None:
    """Ask whoever is rendering to stop (the render's own job, or an export that needed it)."""
    await redis_client().set(cancel_key(render["public_id"]), b"1", ex=24 * 3600)
    for job_id in {render["job_id"], render["claimed_by"]} - {""}:
        job = await jobs.get_job(job_id)
        if job is not None and job["kind"] == "audio.render_mix":
            await jobs.request_cancel(job_id)


async def is_cancelled(render_public_id: str) -> bool:
    return bool(await redis_client().exists(cancel_key(render_public_id)))
