"""Generated music lands in the studio, through the studio's own services.

Each rendered part becomes an upload (the same ``upload`` row the upload endpoint writes) that
``audio.create_asset`` claims and ingests; once the assets are ready, ``audio.create_project`` and
one ``apply_operations`` batch add a track per part (its clip, the genre's effect chain, pan and
level) and set the master to the "streaming" mastering preset.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from backend.audio import services as audio
from backend.core import clock
from backend.core.actor import Actor
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.core.storage import storage
from backend.core.tables import Upload
from backend.intelligence.render import RenderedPart, studio_tracks

READY_WITHIN_SECONDS = 45.0


def op_id(prefix: str) -> str:
    return f"{prefix}_" + secrets.token_hex(8)


async def create_part_assets(
    actor: Actor, output_id: str, rendered: Sequence[RenderedPart], names: dict[str, str]
) -> dict[str, str]:
    """part → asset id; each asset's ingest job is queued by the studio."""
    assets: dict[str, str] = {}
    for part in rendered:
        upload_id = new_id("upl")
        key = f"uploads/{actor.public_id}/{upload_id}"
        stored = await storage().save_file(key, part.path)
        await Upload.insert(
            Upload(
                public_id=upload_id,
                owner_id=actor.user_id,
                storage_key=key,
                filename=f"{output_id}-{part.part}.wav",
                declared_type="audio/wav",
                size=stored.size,
                sha256=stored.sha256,
                purpose="intelligence",
                created_at=clock.now(),
            )
        )
        asset = await audio.create_asset(actor, upload_id, names.get(part.part, part.part))
        assets[part.part] = asset["public_id"]
    return assets


async def wait_until_ready(
    actor: Actor, asset_ids: Sequence[str], within: float = READY_WITHIN_SECONDS
) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        rows = [await audio.get_asset(actor, a) for a in asset_ids]
        if any(r["status"] == "failed" for r in rows):
            raise DomainError("intelligence.errors.studio_failed")
        if all(r["status"] == "ready" for r in rows):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("assets not ready")
        await asyncio.sleep(0.1)


async def create_project(
    actor: Actor,
    *,
    title: str,
    tempo: int,
    metre: str,
    rendered: Sequence[RenderedPart],
    assets: dict[str, str],
    chain: str,
    names: dict[str, str],
) -> str:
    num, den = (int(x) for x in metre.split("/"))
    project = await audio.create_project(
        actor, title, tempo=float(tempo), time_signature=(num, den), sample_rate=44100
    )
    tracks = studio_tracks(rendered, assets, chain, op_id, names)
    batch: list[dict[str, Any]] = [
        {"kind": "add_track", "index": i, "track": t} for i, t in enumerate(tracks)
    ]
    batch.append({"kind": "set_master", "field": "mastering", "value": "streaming"})
    await audio.apply_operations(actor, project["public_id"], None, batch)
    return str(project["public_id"])


def part_paths(rendered: Sequence[RenderedPart]) -> dict[str, Path]:
    return {r.part: r.path for r in rendered}
