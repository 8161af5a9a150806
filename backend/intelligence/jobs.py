"""Intelligence jobs: training on the audio queue, generation (compose → render → mix) on the audio
queue, putting the result into a studio project on the default queue (it waits for the studio's
ingest, which runs on the audio queue: waiting there could take both audio slots), and the periodic
sweep that tags new MIDI uploads."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from backend.accounts import services as accounts
from backend.core import clock, jobs
from backend.core.errors import DomainError
from backend.core.i18n import t
from backend.core.jobs import JobContext, job
from backend.core.storage import storage
from backend.intelligence import compose, queries, quota, registry, render, services, studio
from backend.intelligence.arrange import PRESETS
from backend.intelligence.tables import GenreModel, Output


@job(queue="audio", timeout=600, retries=2)
async def train_model(ctx: JobContext, model_id: str) -> dict[str, Any]:
    await ctx.progress(0.1, "training")
    try:
        return await services.run_training(model_id)
    except DomainError as exc:
        await GenreModel.update({GenreModel.status: "failed", GenreModel.error_key: exc.key}).where(
            GenreModel.public_id == model_id
        )
        raise


@job(queue="audio", timeout=600, retries=2)
async def train_personal(ctx: JobContext, model_id: str) -> dict[str, Any]:
    row = await queries.model_by_public_id(model_id)
    locale = await _locale_of(row["owner_id"] if row else None)
    await ctx.progress(0.1, t("intelligence.progress.cross_validating", locale))
    return await services.run_personal_training(model_id)


async def _locale_of(user_id: int | None) -> str:
    user = await accounts.get_user(user_id) if user_id is not None else None
    return user["locale"] if user else "en"


async def _fail(output: dict[str, Any], key: str) -> None:
    await Output.update(
        {Output.status: "failed", Output.error_key: key, Output.finished_at: clock.now()}
    ).where(Output.public_id == output["public_id"])
    await quota.give_back(output["owner_id"])


@job(queue="audio", timeout=300, retries=2)
async def generate(ctx: JobContext, output_id: str) -> dict[str, Any]:
    output = await queries.output_by_public_id(output_id)
    if output is None:
        return {}
    if output["status"] == "ready":
        return {"output_id": output_id}
    locale = await _locale_of(output["owner_id"])
    actor = await accounts.actor_for_user(output["owner_id"])
    model_row = await queries.model_by_public_id(output["model_id"])
    if actor is None or model_row is None:
        await _fail(output, "intelligence.errors.model_not_found")
        return {}
    await Output.update({Output.status: "running"}).where(Output.public_id == output_id)
    try:
        return await _generate(ctx, output, model_row, actor, locale)
    except DomainError as exc:
        await _fail(output, exc.key)
        raise


async def _generate(
    ctx: JobContext, output: dict[str, Any], model_row: dict[str, Any], actor: Any, locale: str
) -> dict[str, Any]:
    output_id = output["public_id"]
    s = output["settings"]
    await ctx.progress(0.05, t("intelligence.progress.composing", locale))
    loaded = await registry.load(model_row)
    guard = await services.copy_index(model_row, output["owner_id"])
    skeleton = {int(k): v for k, v in (s.get("skeleton") or {}).items()} or None
    settings = compose.Settings(
        bars=s["bars"],
        tempo=s["tempo"],
        tonic=s["tonic"],
        mode=s["mode"],
        preset=s["preset"],
        seed=int(s["seed"]),
        style=s["style"],
        drum_pattern=s["drum_pattern"],
        chain=s["chain"],
    )
    piece = await asyncio.to_thread(
        compose.compose,
        loaded.model,
        loaded.profile,
        bar=loaded.bar,
        metre=loaded.metre,
        settings=settings,
        guard=guard,
        skeleton=skeleton,
        boost=float(s.get("boost", 16.0)),
        title=output["title"],
    )
    owner = actor.public_id
    prefix = f"intelligence/outputs/{owner}/{output_id}"
    midi_key = f"{prefix}/piece.mid"
    await storage().save_bytes(midi_key, piece.midi)
    analysis: dict[str, Any] = {
        "notes": len(piece.melody.sounding),
        "chords": [c.numeral(settings.mode) for c in piece.chords],
        "metre": loaded.metre,
        "originality_limit": services.max_copy(),
    }
    if skeleton:
        analysis["beat_agreement"] = round(compose.beat_agreement(skeleton, piece.melody), 3)
        genre, confidence, _ = await services.suggest_genre(piece.melody)
        analysis["tagged_as"] = genre
        analysis["tag_confidence"] = round(confidence, 3)
    await ctx.progress(0.3, t("intelligence.progress.rendering", locale))
    names = {p: t(f"intelligence.parts.{p}", locale) for p in ("melody", "harmony", "bass", "drums")}
    with tempfile.TemporaryDirectory(prefix="cadenza-gen-") as tmp:
        directory = Path(tmp)
        rendered = await render.render_parts_async(
            piece.parts,
            preset=PRESETS[settings.preset],
            tempo=settings.tempo,
            total_steps=piece.total_steps,
            directory=directory,
        )
        stems = {}
        for r in rendered:
            stems[r.part] = f"{prefix}/{r.part}.wav"
            await storage().save_file(stems[r.part], r.path)
        parts_info = [{"part": r.part, "seconds": r.seconds} for r in rendered]
        # The studio's ingest of the parts starts now and runs while this job mixes the preview:
        # the project is assembled (on the default queue) as soon as the assets are ready.
        await ctx.progress(0.45, t("intelligence.progress.studio", locale))
        assets = (output["analysis"] or {}).get("assets") or await studio.create_part_assets(
            actor, output_id, rendered, names
        )
        studio_info = {"assets": assets, "parts": parts_info, "metre": loaded.metre}
        await Output.update({Output.analysis: studio_info}).where(Output.public_id == output_id)
        await jobs.enqueue(
            "intelligence.assemble_project",
            {"output_id": output_id},
            owner_id=output["owner_id"],
            subject=output_id,
        )
        await ctx.progress(0.6, t("intelligence.progress.mixing", locale))
        temp_ids = {r.part: f"src_{r.part}" for r in rendered}
        tracks = render.studio_tracks(rendered, temp_ids, settings.chain, studio.op_id, names)
        document = render.mix_document(output["title"], settings.tempo, loaded.metre, tracks)
        levels = await render.mixdown(
            document, {temp_ids[r.part]: r.path for r in rendered}, directory / "mix.wav"
        )
        audio_key = f"{prefix}/mix.wav"
        await storage().save_file(audio_key, directory / "mix.wav")
        analysis.update(levels)
    await Output.update(
        {
            Output.status: "ready",
            Output.midi_key: midi_key,
            Output.audio_key: audio_key,
            Output.stems: stems,
            Output.longest_copy: piece.longest_copy,
            Output.copy_source: piece.copy_source[:120],
            Output.attempts: piece.attempts,
            Output.melody: [list(tok) for tok in piece.tokens],
            Output.analysis: {**analysis, **studio_info},
            Output.finished_at: clock.now(),
        }
    ).where(Output.public_id == output_id)
    return {"output_id": output_id, "longest_copy": piece.longest_copy, **levels}


@job(queue="default", timeout=60, retries=3)
async def assemble_project(ctx: JobContext, output_id: str) -> dict[str, Any]:
    output = await queries.output_by_public_id(output_id)
    if output is None or output["status"] == "failed" or not (output["analysis"] or {}).get("assets"):
        return {}
    if output["project_id"]:
        return {"project_id": output["project_id"]}
    actor = await accounts.actor_for_user(output["owner_id"])
    if actor is None:
        return {}
    analysis = output["analysis"]
    assets: dict[str, str] = analysis["assets"]
    await studio.wait_until_ready(actor, list(assets.values()))
    locale = await _locale_of(output["owner_id"])
    names = {p: t(f"intelligence.parts.{p}", locale) for p in assets}
    rendered = [render.RenderedPart(p["part"], Path("."), float(p["seconds"])) for p in analysis["parts"]]
    project_id = await studio.create_project(
        actor,
        title=output["title"],
        tempo=int(output["settings"]["tempo"]),
        metre=analysis["metre"],
        rendered=rendered,
        assets=assets,
        chain=output["settings"]["chain"],
        names=names,
    )
    await Output.update({Output.project_id: project_id}).where(Output.public_id == output_id)
    return {"project_id": project_id}


async def tag_uploads(ctx: dict[str, Any]) -> int:
    return await services.tag_new_uploads()


# Every few seconds: a MIDI upload has its suggested genre by the time anyone looks.
CRON_JOBS: list[dict[str, Any]] = [
    {
        "coroutine": tag_uploads,
        "name": "intelligence.tag_uploads",
        "second": set(range(0, 60, 5)),
        "timeout": 60,
    },
]
