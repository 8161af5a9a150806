"""Exports: a file made from a project's mix (or the project itself), gated by the owner's plan.

A refusal for want of a feature is ``UPGRADE_REQUIRED`` with the feature named, so pages show an
upgrade prompt instead of an error.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from backend.audio import access, queries
from backend.audio.renders import RenderSettings, render_for
from backend.audio.tables import Export
from backend.billing import services as billing
from backend.core import clock, db, jobs
from backend.core.actor import Actor
from backend.core.errors import DomainError
from backend.core.ids import new_id

FORMATS = ("wav", "flac", "mp3", "ogg", "stems", "dawproject")
RATES = (44100, 48000, 88200, 96000)
DEPTHS = {"wav": (16, 24, 32), "flac": (16, 24), "stems": (16, 24, 32)}
MP3_RATES = (44100, 48000)
MP3_QUALITIES = ("320", "V0")
OGG_QUALITIES = ("192", "320")
EXTENSIONS = {
    "wav": "wav",
    "flac": "flac",
    "mp3": "mp3",
    "ogg": "ogg",
    "stems": "zip",
    "dawproject": "dawproject",
}


@dataclass(frozen=True, slots=True)
class ExportSettings:
    format: str = "wav"
    sample_rate: int = 48000
    bit_depth: int | None = 24  # wav: 16, 24 or 32 (float); flac: 16 or 24; stems: like wav
    quality: str | None = None  # mp3: "320" or "V0"; ogg: "192" or "320" (kbps)
    title: str = ""
    artist: str = ""


class UpgradeRequired(DomainError):
    """Code ``UPGRADE_REQUIRED``; the message names the feature (one key per feature)."""

    def __init__(self, feature: str, field: str, **params: Any) -> None:
        super().__init__(f"audio.upgrade.{feature}.upgrade_required", field=field, feature=feature, **params)
        self.feature = feature


def clean_settings(raw: ExportSettings) -> ExportSettings:
    fmt = raw.format
    if fmt not in FORMATS:
        raise DomainError("audio.errors.bad_export_format", field="format")
    rate = raw.sample_rate
    if rate not in (MP3_RATES if fmt in ("mp3", "ogg") else RATES):
        raise DomainError("audio.errors.bad_export_rate", field="sampleRate")
    depth = raw.bit_depth if fmt in DEPTHS else None
    if fmt in DEPTHS and depth not in DEPTHS[fmt]:
        raise DomainError("audio.errors.bad_export_depth", field="bitDepth")
    quality = None
    if fmt == "mp3":
        quality = raw.quality or "320"
        if quality not in MP3_QUALITIES:
            raise DomainError("audio.errors.bad_export_quality", field="quality")
    if fmt == "ogg":
        quality = raw.quality or "192"
        if quality not in OGG_QUALITIES:
            raise DomainError("audio.errors.bad_export_quality", field="quality")
    return ExportSettings(
        format=fmt,
        sample_rate=rate,
        bit_depth=depth,
        quality=quality,
        title=" ".join(raw.title.split())[:200],
        artist=" ".join(raw.artist.split())[:200],
    )


async def check_entitlements(owner_id: int, settings: ExportSettings) -> None:
    """What the plan allows: Free exports 16-bit at 44.1/48 kHz, no FLAC, stems or .dawproject."""
    plan = await billing.entitlements(owner_id)
    if settings.format == "flac" and not plan.has("export_flac"):
        raise UpgradeRequired("export_flac", "format")
    if settings.format == "stems" and not plan.has("export_stems"):
        raise UpgradeRequired("export_stems", "format")
    if settings.format == "dawproject" and not plan.has("export_dawproject"):
        raise UpgradeRequired("export_dawproject", "format")
    limits = {
        "max_rate": plan.limit("export_max_sample_rate"),
        "max_depth": plan.limit("export_max_bit_depth"),
    }
    if settings.sample_rate > limits["max_rate"]:
        raise UpgradeRequired("export_hires", "sampleRate", **limits)
    if settings.bit_depth is not None and settings.bit_depth > limits["max_depth"]:
        raise UpgradeRequired("export_hires", "bitDepth", **limits)


async def allowed_options(owner_id: int) -> dict[str, Any]:
    """For forms: which formats, rates and depths the project owner's plan includes."""
    plan = await billing.entitlements(owner_id)
    max_rate, max_depth = plan.limit("export_max_sample_rate"), plan.limit("export_max_bit_depth")
    return {
        "plan": plan.plan.code,
        "formats": {
            "wav": True,
            "flac": plan.has("export_flac"),
            "mp3": True,
            "ogg": True,
            "stems": plan.has("export_stems"),
            "dawproject": plan.has("export_dawproject"),
        },
        "rates": {r: r <= max_rate for r in RATES},
        "depths": {d: d <= max_depth for d in (16, 24, 32)},
    }


def filename_for(title: str, settings: ExportSettings, export_id: str) -> str:
    base = re.sub(r"[^\w\- ]+", "", title, flags=re.UNICODE).strip().replace(" ", "_")[:80] or "mix"
    khz = f"{settings.sample_rate / 1000:g}k"
    depth = f"{settings.bit_depth}{'f' if settings.bit_depth == 32 else 'bit'}"
    detail = {
        "wav": f"{khz}_{depth}",
        "flac": f"{khz}_{depth}",
        "mp3": f"{settings.quality}",
        "ogg": f"{settings.quality}k",
        "stems": "stems",
        "dawproject": "",
    }[settings.format]
    return f"{base}{'_' + detail if detail else ''}.{EXTENSIONS[settings.format]}"


async def request_export(actor: Actor, project_id: str, raw: ExportSettings) -> dict[str, Any]:
    access.require_write(actor)
    project = await access.visible_project(actor, await queries.project_by_public_id(project_id))
    settings = clean_settings(raw)
    await check_entitlements(project["owner_id"], settings)
    if not settings.title:
        settings = ExportSettings(**{**asdict(settings), "title": project["title"]})
    if not settings.artist:
        settings = ExportSettings(**{**asdict(settings), "artist": actor.display_name})
    render = None
    if settings.format != "dawproject":
        render = await render_for(actor, project, RenderSettings(stems=settings.format == "stems"))
    public_id = new_id("exp")
    async with db.transaction():
        job = await jobs.create_job(
            "audio.export_mix", {"export_id": public_id}, owner_id=actor.user_id, subject=public_id
        )
        await Export.insert(
            Export(
                public_id=public_id,
                project=project["id"],
                render=render["id"] if render else None,
                owner_id=project["owner_id"],
                revision=project["revision"],
                settings=asdict(settings),
                status="queued",
                job_id=job["public_id"],
                filename=filename_for(settings.title, settings, public_id),
                created_at=clock.now(),
            )
        )
    await jobs.dispatch(job)
    row = await queries.export_by_public_id(public_id)
    assert row is not None
    return row


async def get_export(actor: Actor, export_id: str) -> dict[str, Any]:
    export = await queries.export_by_public_id(export_id)
    if export is None:
        raise DomainError("audio.errors.export_not_found", field="id")
    project = await queries.project_by_id(export["project"])
    await access.visible_project(actor, project)
    return export


async def exports_of(actor: Actor, project: dict[str, Any], limit: int = 10) -> list[dict[str, Any]]:
    await access.visible_project(actor, project)
    return await queries.exports_of(project["id"], limit)
