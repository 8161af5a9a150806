"""Studio jobs in the ``audio`` queue: ingest an upload, render a mix, export a file.

Each takes a public id, reads its row first and does nothing if the work is already done, so a
second delivery is harmless. Files are written to a temporary folder and moved into storage with
atomic renames; rows are updated last. The engine (``backend.audio.engine``) does the audio work in
child processes, so a file that crashes a decoder fails its asset, not the worker.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import tempfile
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from backend.audio import assets as asset_service
from backend.audio import queries
from backend.audio.renders import is_cancelled, render_prefix
from backend.audio.tables import Asset, Export, Render
from backend.billing import services as billing
from backend.core import clock, db, jobs
from backend.core.errors import DomainError
from backend.core.jobs import JobCancelled, JobContext, job
from backend.core.storage import storage

log = logging.getLogger(__name__)

WAIT_STEP = 0.2  # seconds between looks at a render another job is producing
# Progress is reported without a message: the job bar shows it to users as is, in any language.


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Engine functions may be coroutines or blocking calls: never block the event loop."""
    if inspect.iscoroutinefunction(fn):
        return await fn(*args, **kwargs)
    return await _maybe_await(await asyncio.to_thread(fn, *args, **kwargs))


def _get(result: Any, name: str, default: Any = None) -> Any:
    if isinstance(result, dict):
        return result.get(name, default)
    return getattr(result, name, default)


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    return str(value)


def _runner() -> Any:
    from backend.audio.engine import runner

    return runner


# ----------------------------------------------------------------------------- ingest


def _attempts_left(ctx: JobContext) -> bool:
    return int(ctx.row["attempts"]) < int(ctx.row["max_attempts"])


async def _fail_asset(asset: dict[str, Any], reason: str) -> None:
    """Mark the asset failed with a translatable reason, and free the bytes it held."""
    changed = (
        await Asset.update(
            {
                Asset.status: "failed",
                Asset.error_key: reason,
                Asset.charged_bytes: 0,
                Asset.updated_at: clock.now(),
            }
        )
        .where(Asset.id == asset["id"], Asset.status == "processing")
        .returning(Asset.id)
    )
    if changed:
        await asset_service.release(asset["owner_id"], int(asset["charged_bytes"]))
    await storage().delete_prefix(asset["storage_prefix"])
    upload = await queries.upload_by_public_id(asset["upload_id"])
    if upload is not None:
        await storage().delete(upload["storage_key"])


@job(queue="audio", timeout=600, retries=2)
async def ingest_asset(ctx: JobContext, asset_id: str) -> dict[str, Any]:
    asset = await queries.asset_by_public_id(asset_id)
    if asset is None or asset["status"] != "processing":
        return {"status": asset["status"] if asset else "missing"}
    upload = await queries.upload_by_public_id(asset["upload_id"])
    if upload is None or not storage().exists(upload["storage_key"]):
        await _fail_asset(asset, "audio.errors.upload_missing")
        raise DomainError("audio.errors.upload_missing")
    await ctx.progress(0.05)
    try:
        with tempfile.TemporaryDirectory(prefix="ingest-") as tmp:
            work = Path(tmp)
            try:
                result = await _call(
                    _runner().ingest,
                    storage().local_path(upload["storage_key"]),
                    work,
                    on_progress=lambda fraction: ctx.progress(0.05 + 0.7 * fraction),
                )
            except DomainError as exc:
                # A file we can't read: final, whatever attempt this is.
                await _fail_asset(asset, exc.key)
                raise
            await ctx.progress(0.8)
            stored = await _store_ingest_files(asset, result)
            await _finish_asset(ctx, asset, result, stored)
    except (DomainError, JobCancelled, asyncio.CancelledError):
        raise
    except Exception:
        if not _attempts_left(ctx):
            await _fail_asset(asset, "audio.errors.ingest_failed")
        raise
    return {"status": "ready", "asset_id": asset_id}


async def _store_ingest_files(asset: dict[str, Any], result: Any) -> dict[str, Any]:
    """Move the engine's three files into the asset's folder (atomic renames, so a rerun overwrites)."""
    prefix = asset["storage_prefix"]
    keys: dict[str, Any] = {"size": 0}
    for name in ("original", "decoded", "preview"):
        path = Path(_get(result, f"{name}_path"))
        stored = await storage().save_file(f"{prefix}/{path.name}", path)
        keys[name] = stored.key
        keys["size"] += stored.size
    return keys


async def _finish_asset(ctx: JobContext, asset: dict[str, Any], result: Any, stored: dict[str, Any]) -> None:
    """Charge what the derived files add (refusing past the plan's storage) and mark the asset ready,
    in one transaction: a job that dies between the two, and runs again, never charges twice."""
    extra = max(0, stored["size"] - int(asset["charged_bytes"]))
    limit = (await billing.entitlements(asset["owner_id"])).limit("storage_bytes")
    peaks = _get(result, "peaks") or []
    try:
        async with db.transaction():
            if not await asset_service.charge(asset["owner_id"], extra, limit):
                raise DomainError("audio.errors.storage_full_after_decode")
            await _mark_ready(asset, result, stored, peaks, extra)
    except _AssetGone:
        # Deleted while we worked (the charge was rolled back with the update): drop the files.
        await storage().delete_prefix(asset["storage_prefix"])
        return
    except DomainError as exc:
        await _fail_asset(asset, exc.key)
        raise
    upload = await queries.upload_by_public_id(asset["upload_id"])
    if upload is not None:
        await storage().delete(upload["storage_key"])  # the original now lives under the asset


class _AssetGone(Exception):
    pass


async def _mark_ready(
    asset: dict[str, Any], result: Any, stored: dict[str, Any], peaks: list[Any], extra: int
) -> None:
    changed = (
        await Asset.update(
            {
                Asset.status: "ready",
                Asset.error_key: "",
                Asset.original_key: stored.get("original", ""),
                Asset.decoded_key: stored["decoded"],
                Asset.preview_key: stored.get("preview", ""),
                Asset.format: str(_get(result, "format", "") or "")[:16],
                Asset.duration: float(_get(result, "duration", 0.0) or 0.0),
                Asset.sample_rate: _get(result, "sample_rate"),
                Asset.channels: _get(result, "channels"),
                Asset.bit_depth: _get(result, "bit_depth"),
                Asset.lufs: _finite(_get(result, "lufs")),
                Asset.true_peak: _finite(_get(result, "true_peak_dbtp")),
                Asset.peaks: [[round(float(lo), 4), round(float(hi), 4)] for lo, hi in peaks],
                Asset.charged_bytes: int(asset["charged_bytes"]) + extra,
                Asset.updated_at: clock.now(),
            }
        )
        .where(Asset.id == asset["id"], Asset.status == "processing")
        .returning(Asset.id)
    )
    if not changed:
        raise _AssetGone()


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None


# ----------------------------------------------------------------------------- render


class RenderStopped(DomainError):
    pass


async def _claim(render: dict[str, Any], ctx: JobContext) -> bool:
    """Take the render: queued, already ours (a re-delivery), or abandoned by a finished job."""
    if render["status"] == "running" and render["claimed_by"] not in ("", ctx.id):
        holder = await jobs.get_job(render["claimed_by"])
        if holder is not None and holder["status"] not in jobs.TERMINAL:
            return False
    elif render["status"] not in ("queued", "running"):
        return False
    changed = (
        await Render.update({Render.status: "running", Render.claimed_by: ctx.id})
        .where(
            Render.id == render["id"],
            Render.status == render["status"],
            Render.claimed_by == render["claimed_by"],
        )
        .returning(Render.id)
    )
    return bool(changed)


async def produce_render(
    ctx: JobContext, render_id: str, span: tuple[float, float] = (0.0, 1.0)
) -> dict[str, Any]:
    """Make sure the render is done: do it ourselves, or wait for the job that is doing it."""
    low, high = span
    while True:
        render = await queries.render_by_public_id(render_id)
        if render is None:
            raise RenderStopped("audio.errors.render_not_found")
        if render["status"] == "done":
            return render
        if render["status"] == "failed":
            raise RenderStopped(render["error_key"] or "audio.errors.render_failed")
        if render["status"] == "cancelled":
            raise RenderStopped("audio.errors.render_cancelled")
        if await _claim(render, ctx):
            return await _render(ctx, render, span)
        # Someone else is rendering it: show their progress as ours until it ends.
        holder = await jobs.get_job(render["claimed_by"]) if render["claimed_by"] else None
        fraction = float(holder["progress"]) if holder else 0.0
        await ctx.progress(low + (high - low) * fraction * 0.99)
        await asyncio.sleep(WAIT_STEP)


async def _render(ctx: JobContext, render: dict[str, Any], span: tuple[float, float]) -> dict[str, Any]:
    low, high = span
    project = await queries.project_by_id(render["project"])
    if project is None:
        raise RenderStopped("audio.errors.project_not_found")
    document = render["document"]
    wanted = sorted({c["asset_id"] for t in document["tracks"] for c in t["clips"]})
    rows = {r["public_id"]: r for r in await queries.assets_by_public_ids(wanted)}
    sources: dict[str, Path] = {}
    for asset_id in wanted:
        row = rows.get(asset_id)
        if row is None or row["status"] != "ready" or not storage().exists(row["decoded_key"]):
            await _end_render(render, "failed", "audio.errors.asset_missing")
            raise RenderStopped("audio.errors.asset_missing")
        sources[asset_id] = storage().local_path(row["decoded_key"])

    async def on_progress(fraction: float) -> None:
        await ctx.progress(low + (high - low) * 0.9 * max(0.0, min(1.0, float(fraction))))

    async def cancelled() -> bool:
        return await is_cancelled(render["public_id"]) or await ctx.cancelled()

    prefix = render_prefix(project["public_id"], render["public_id"])
    runner = _runner()
    try:
        with tempfile.TemporaryDirectory(prefix="render-") as tmp:
            work = Path(tmp)
            mix = work / "mix.wav"
            stems_dir = work / "stems" if render["settings"].get("stems") else None
            if stems_dir is not None:
                stems_dir.mkdir()
            result = await _call(
                runner.render,
                document,
                sources,
                mix,
                on_progress=on_progress,
                is_cancelled=cancelled,
                stems_dir=stems_dir,
            )
            if await cancelled():
                raise JobCancelled(ctx.id)
            await ctx.progress(low + (high - low) * 0.92)
            preview = work / "preview.mp3"
            await _call(
                runner.export,
                mix,
                preview,
                fmt="mp3",
                sample_rate=44100 if document["sample_rate"] % 44100 == 0 else 48000,
                quality="V0",
                tags={"title": document["title"][:200]},
            )
            mix_key = (await storage().save_file(f"{prefix}/mix.wav", mix)).key
            preview_key = (await storage().save_file(f"{prefix}/preview.mp3", preview)).key
            stems_prefix = ""
            stem_files: dict[str, str] = {}
            for track_id, path in (_get(result, "stems") or {}).items():
                stored = await storage().save_file(f"{prefix}/stems/{Path(path).name}", Path(path))
                stem_files[track_id] = stored.key
                stems_prefix = f"{prefix}/stems"
    except (JobCancelled, asyncio.CancelledError) as exc:
        if isinstance(exc, JobCancelled) or await is_cancelled(render["public_id"]):
            await _end_render(render, "cancelled", "")
            raise JobCancelled(ctx.id) from None
        raise
    except DomainError as exc:
        if await is_cancelled(render["public_id"]):
            await _end_render(render, "cancelled", "")
            raise JobCancelled(ctx.id) from None
        await _end_render(render, "failed", exc.key)
        raise
    except Exception:
        if await is_cancelled(render["public_id"]):
            await _end_render(render, "cancelled", "")
            raise JobCancelled(ctx.id) from None
        if not _attempts_left(ctx):
            await _end_render(render, "failed", "audio.errors.render_failed")
        raise
    metrics = _jsonable({k: v for k, v in _as_dict(result).items() if k != "stems"})
    metrics["stems"] = stem_files
    if await queries.render_by_public_id(render["public_id"]) is None:
        # The project was deleted while we rendered: leave nothing behind.
        await storage().delete_prefix(prefix)
        raise RenderStopped("audio.errors.project_not_found")
    await Render.update(
        {
            Render.status: "done",
            Render.mix_key: mix_key,
            Render.preview_key: preview_key,
            Render.stems_prefix: stems_prefix,
            Render.duration: _finite(_get(result, "duration")),
            Render.lufs: _finite(_get(result, "lufs")),
            Render.true_peak: _finite(_get(result, "true_peak_dbtp")),
            Render.peak: _finite(_get(result, "peak_dbfs")),
            Render.metrics: metrics,
            Render.error_key: "",
            Render.finished_at: clock.now(),
        }
    ).where(Render.id == render["id"])
    await ctx.progress(high, "")
    found = await queries.render_by_public_id(render["public_id"])
    assert found is not None
    return found


def _as_dict(result: Any) -> dict[str, Any]:
    if result is None:
        return {}
    if isinstance(result, dict):
        return result
    if is_dataclass(result) and not isinstance(result, type):
        return asdict(result)
    return (
        {k: v for k, v in vars(result).items() if not k.startswith("_")}
        if hasattr(result, "__dict__")
        else {}
    )


async def _end_render(render: dict[str, Any], status: str, error_key: str) -> None:
    await Render.update(
        {Render.status: status, Render.error_key: error_key, Render.finished_at: clock.now()}
    ).where(Render.id == render["id"], Render.status.is_in(["queued", "running"]))


@job(queue="audio", timeout=1800, retries=2)
async def render_mix(ctx: JobContext, render_id: str) -> dict[str, Any]:
    try:
        render = await produce_render(ctx, render_id)
    except RenderStopped as exc:
        if exc.key == "audio.errors.render_cancelled":
            raise JobCancelled(ctx.id) from None
        raise
    return {"render_id": render_id, "status": render["status"]}


# ----------------------------------------------------------------------------- export


async def _end_export(export: dict[str, Any], status: str, error_key: str = "", **values: Any) -> None:
    fields: dict[Any, Any] = {
        Export.status: status,
        Export.error_key: error_key,
        Export.finished_at: clock.now(),
        **{getattr(Export, k): v for k, v in values.items()},
    }
    await Export.update(fields).where(Export.id == export["id"])


@job(queue="audio", timeout=1800, retries=2)
async def export_mix(ctx: JobContext, export_id: str) -> dict[str, Any]:
    export = await queries.export_by_public_id(export_id)
    if export is None:
        return {"status": "missing"}
    if export["status"] in ("done", "failed", "cancelled"):
        return {"status": export["status"]}
    await Export.update({Export.status: "running"}).where(Export.id == export["id"])
    settings = export["settings"]
    fmt = settings["format"]
    project = await queries.project_by_id(export["project"])
    if project is None:
        await _end_export(export, "failed", "audio.errors.project_not_found")
        return {"status": "failed"}
    runner = _runner()
    try:
        with tempfile.TemporaryDirectory(prefix="export-") as tmp:
            out = Path(tmp) / export["filename"]
            tags = {"title": settings.get("title", ""), "artist": settings.get("artist", "")}
            if fmt == "dawproject":
                details = await _export_dawproject(ctx, runner, project, out, tags)
            else:
                render_row = await queries.render_by_id(export["render"]) if export["render"] else None
                if render_row is None:
                    raise RenderStopped("audio.errors.render_not_found")
                render = await produce_render(ctx, render_row["public_id"], (0.0, 0.75))
                await ctx.progress(0.8)
                mix = storage().local_path(render["mix_key"])

                async def encoding(fraction: float) -> None:
                    await ctx.progress(0.8 + 0.19 * fraction)

                watch = {"on_progress": encoding, "is_cancelled": ctx.cancelled}
                if fmt == "stems":
                    result = await _call(
                        runner.export_stems_zip,
                        _stem_names(render),
                        out,
                        fmt="wav",
                        bit_depth=settings["bit_depth"],
                        sample_rate=settings["sample_rate"],
                        tags=tags,
                        **watch,
                    )
                else:
                    result = await _call(
                        runner.export,
                        mix,
                        out,
                        fmt=fmt,
                        bit_depth=settings.get("bit_depth"),
                        sample_rate=settings["sample_rate"],
                        quality=settings.get("quality"),
                        tags=tags,
                        **watch,
                    )
                details = _jsonable(_as_dict(result))
            key = (
                f"{render_prefix(project['public_id'], 'exports')}/{export['public_id']}/{export['filename']}"
            )
            stored = await storage().save_file(key, out)
    except RenderStopped as exc:
        await _end_export(export, "failed", exc.key)
        raise
    except JobCancelled:
        await _end_export(export, "cancelled")
        raise
    except DomainError as exc:
        if await ctx.cancelled():  # the engine stopped because the export was cancelled
            await _end_export(export, "cancelled")
            raise JobCancelled(ctx.id) from None
        await _end_export(export, "failed", exc.key)
        raise
    except Exception:
        if not _attempts_left(ctx):
            await _end_export(export, "failed", "audio.errors.export_failed")
        raise
    if await queries.export_by_public_id(export_id) is None:
        await storage().delete(stored.key)  # the project went away while we encoded
        return {"status": "missing"}
    await _end_export(export, "done", file_key=stored.key, size_bytes=stored.size, details=details)
    return {"status": "done", "export_id": export_id}


def _stem_names(render: dict[str, Any]) -> dict[str, Path]:
    """Stems by a file-friendly, ordered, unique name: "01 Drums", "02 Bass", …"""
    keys = (render["metrics"] or {}).get("stems") or {}
    named = {}
    for index, track in enumerate(render["document"]["tracks"]):
        if track["id"] in keys:
            named[f"{index + 1:02d} {track['name']}"] = storage().local_path(keys[track["id"]])
    return named


async def _export_dawproject(
    ctx: JobContext, runner: Any, project: dict[str, Any], out: Path, tags: dict[str, str]
) -> dict[str, Any]:
    document = project["document"]
    wanted = sorted({c["asset_id"] for t in document["tracks"] for c in t["clips"]})
    rows = {r["public_id"]: r for r in await queries.assets_by_public_ids(wanted)}
    sources = {}
    for asset_id in wanted:
        row = rows.get(asset_id)
        if row is None or row["status"] != "ready":
            raise DomainError("audio.errors.asset_missing")
        sources[asset_id] = storage().local_path(row["decoded_key"])
    await ctx.progress(0.2)
    result = await _call(
        runner.export_dawproject, document, sources, out, title=tags["title"], artist=tags["artist"]
    )
    return _jsonable(_as_dict(result))


@jobs.warm_up_on("audio")
async def warm_up_engine() -> None:
    """Preload the engine's child-process server and its libraries when an audio worker starts."""
    from backend.audio.engine import runner

    await runner.warm_up()
