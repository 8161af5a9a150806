"""Music intelligence use cases, for GraphQL, pages and other domains. Each takes an ``Actor`` and ids.

Other domains call only this module; the marketplace and community ask
``output_commercial_use_allowed(output_id)`` before selling or publishing with commercial rights.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backend.accounts import services as accounts
from backend.core import clock, db, jobs
from backend.core.actor import Actor
from backend.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from backend.core.i18n import t
from backend.core.ids import has_prefix, new_id
from backend.core.pagination import Page, int_after, make_page, page_size
from backend.core.storage import signed_url, storage
from backend.core.tables import Upload
from backend.intelligence import (
    access,
    compose,
    dataset,
    midi,
    personal,
    queries,
    quota,
    registry,
    tagger,
    training,
)
from backend.intelligence.arrange import PRESETS
from backend.intelligence.catalogue import GENRES, OWNER, PUBLIC_DOMAIN, SOURCES
from backend.intelligence.generate import Constraints, sample_tokens, to_piece
from backend.intelligence.key_names import key_label, parse_key_in
from backend.intelligence.markov import MarkovModel, tokens_of
from backend.intelligence.originality import MAX_COPY, CopyIndex, build_index
from backend.intelligence.piece import Piece, key_name, parse_key
from backend.intelligence.tables import GenreModel, Output, TagSuggestion

MAX_BARS = 128  # absolute, whatever the plan
TEMPO_RANGE = (30, 300)
MAX_SEED = 2**31 - 1
MAX_PERSONAL_FILES = 100
TAGGER_KEY = "intelligence/tagger.json"
_NAME = re.compile(r"^[\w .,'()&-]{1,60}$", re.UNICODE)


# ----------------------------------------------------------------------------- models


async def _org_ids(actor: Actor | None) -> list[int]:
    return await accounts.organization_ids_of(actor.user_id) if actor is not None else []


async def genre_models() -> list[dict[str, Any]]:
    """The current (latest ready) version of every genre model, in catalogue order, and the base."""
    latest: dict[str, dict[str, Any]] = {}
    for row in await queries.ready_models():
        if row["kind"] in ("genre", "base"):
            latest[row["code"]] = row  # ordered by version: the last one wins
    order = [*GENRES, "base"]
    return [latest[c] for c in order if c in latest]


async def list_models(actor: Actor | None) -> list[dict[str, Any]]:
    models = [m for m in await genre_models() if m["kind"] == "genre"]
    if actor is not None:
        models += [m for m in await queries.personal_models(actor.user_id, await _org_ids(actor))]
    return models


async def personal_models(actor: Actor | None) -> list[dict[str, Any]]:
    actor = access.require_actor(actor)
    return await queries.personal_models(actor.user_id, await _org_ids(actor))


async def get_model(actor: Actor | None, model_id: str) -> dict[str, Any]:
    row = await queries.model_by_public_id(model_id) if has_prefix(model_id, "mdl") else None
    return access.visible_model(actor, row, await _org_ids(actor))


async def model_for(actor: Actor | None, genre_or_model: str, field_name: str = "genre") -> dict[str, Any]:
    """A genre code (its current model) or a model id the actor may use; refuses anything else."""
    if has_prefix(genre_or_model, "mdl"):
        row = await queries.model_by_public_id(genre_or_model)
        if row is None or not access.can_view_model(actor, row, await _org_ids(actor)):
            raise DomainError("intelligence.errors.unknown_genre", field=field_name)
    else:
        row = next(
            (m for m in await genre_models() if m["code"] == genre_or_model and m["kind"] == "genre"), None
        )
    if row is None or row["status"] != "ready":
        raise DomainError("intelligence.errors.unknown_genre", field=field_name)
    return row


async def _new_model_row(kind: str, code: str, name: str, **values: Any) -> dict[str, Any]:
    version = await queries.latest_version(kind, code, values.get("owner_id")) + 1
    row = {
        "public_id": new_id("mdl"),
        "kind": kind,
        "code": code,
        "name": name,
        "version": version,
        "status": "queued",
        "created_at": clock.now(),
        **values,
    }
    await GenreModel.insert(GenreModel(**row))
    return row


async def train_genre_models(actor: Actor | None, codes: list[str] | None = None) -> list[dict[str, Any]]:
    """Queue a new version of each genre model (and the base model): platform admins only."""
    actor = access.require_write(actor)
    if not access.can_train_genre_models(actor):
        raise Forbidden()
    wanted = codes or [*GENRES, "base"]
    for code in wanted:
        if code not in GENRES and code != "base":
            raise DomainError("intelligence.errors.unknown_genre", field="genres")
    created = []
    for code in wanted:
        async with db.transaction():
            row = await _new_model_row("base" if code == "base" else "genre", code, code)
            job = await jobs.create_job(
                "intelligence.train_model",
                {"model_id": row["public_id"]},
                owner_id=actor.user_id,
                subject=row["public_id"],
            )
            await GenreModel.update({GenreModel.job_id: job["public_id"]}).where(
                GenreModel.public_id == row["public_id"]
            )
        await jobs.dispatch(job)
        created.append(await queries.model_by_public_id(row["public_id"]))
    return [c for c in created if c is not None]


def _base_works(ds: dataset.Dataset) -> list[dict[str, Any]]:
    """The base model learns only from sources that allow commercial use, so personal models
    blended with it stay commercially usable."""
    return [w for w in ds.works if SOURCES[w["source"]].licence == PUBLIC_DOMAIN]


def _generated_profile(trained: training.Trained, pieces: int = 20, bars: int = 16) -> dict[str, Any]:
    """What the card compares with the training data: 20 seeded 16-bar pieces in the usual mode."""
    manifest = trained.manifest
    prof = manifest["profile"]
    modes = prof.get("modes") or {"major": 1}
    mode = max(modes, key=lambda m: modes[m])
    c = Constraints(
        bars=bars,
        bar=int(manifest["bar"]),
        metre=manifest["metre"],
        mode=mode,
        low=prof["range"][0],
        high=prof["range"][1],
    )
    made = [
        to_piece(sample_tokens(trained.model, c, np.random.default_rng(seed)), c, 0, int(prof["register"]))
        for seed in range(pieces)
    ]
    generated = training.profile(made)
    return {
        "pieces": pieces,
        "bars": bars,
        "mode": mode,
        "pitch_class_histogram": generated["pitch_class_histogram"],
        "notes_per_quarter": generated["notes_per_quarter"],
    }


def _train(code: str, ds: dataset.Dataset) -> training.Trained:
    info = {"name": ds.name, "built_at": ds.built_at, "digest": ds.digest}
    if code == "base":
        works = _base_works(ds)
        trained = training.train_genre("base", "mixed", works, dataset.piece_of, info)
        trained.manifest["kind"] = "base"
        trained.manifest["metre"] = "4/4"
        trained.manifest["bar"] = 48
    else:
        genre = GENRES[code]
        trained = training.train_genre(code, genre.metre, ds.by_genre(code), dataset.piece_of, info)
    trained.manifest["generated"] = _generated_profile(trained)
    return trained


async def run_training(model_id: str) -> dict[str, Any]:
    """Train one queued genre/base model row (the job body; also used by the demo seed)."""
    row = await queries.model_by_public_id(model_id)
    if row is None:
        raise NotFound("intelligence.errors.model_not_found")
    if row["status"] == "ready":
        return {"model_id": model_id}
    await GenreModel.update({GenreModel.status: "running"}).where(GenreModel.public_id == model_id)
    ds = await asyncio.to_thread(dataset.load)
    trained = await asyncio.to_thread(_train, row["code"], ds)
    manifest = {**trained.manifest, "model_id": model_id, "version": row["version"]}
    key = await registry.save_artifact(model_id, trained.model, manifest)
    await GenreModel.update(
        {
            GenreModel.status: "ready",
            GenreModel.artifact_key: key,
            GenreModel.manifest: manifest,
            GenreModel.commercial_use: manifest["commercial_use"],
            GenreModel.heldout_loss: manifest["heldout_loss"],
            GenreModel.trained_at: clock.now(),
        }
    ).where(GenreModel.public_id == model_id)
    await calibrate_tagger()
    return {
        "model_id": model_id,
        "heldout_loss": manifest["heldout_loss"],
        "order": manifest["parameters"]["order"],
    }


async def ensure_genre_models() -> list[str]:
    """Train, in this process, every genre model that has no ready version (demo seed, tests)."""
    have = {m["code"] for m in await genre_models()}
    trained = []
    for code in [*GENRES, "base"]:
        if code in have:
            continue
        row = await _new_model_row("base" if code == "base" else "genre", code, code)
        await run_training(row["public_id"])
        trained.append(code)
    return trained


# ----------------------------------------------------------------------------- the tagger


async def _candidates() -> list[tagger.Candidate]:
    out = []
    for row in await genre_models():
        if row["kind"] != "genre":
            continue
        loaded = await registry.load(row)
        assert isinstance(loaded.model, MarkovModel)
        out.append(tagger.Candidate(row["code"], loaded.model, loaded.bar))
    return out


async def calibrate_tagger() -> dict[str, Any] | None:
    """Fit the tagger's confidence on every genre's held-out works and record its accuracy."""
    candidates = await _candidates()
    if len(candidates) < 2:
        return None
    rows = {r["code"]: r for r in await genre_models()}
    ds = await asyncio.to_thread(dataset.load)

    def fit() -> dict[str, Any]:
        examples = []
        for c in candidates:
            held = set(rows[c.code]["manifest"].get("heldout_ids", []))
            for work in ds.by_genre(c.code):
                if work["id"] in held:
                    examples.append((c.code, tagger.scores(dataset.piece_of(work), candidates)))
        temperature = tagger.fit_temperature(examples)
        correct = sum(1 for truth, s in examples if max(s, key=lambda k: s[k]) == truth)
        return {
            "temperature": temperature,
            "heldout_pieces": len(examples),
            "accuracy": round(correct / len(examples), 4) if examples else 0.0,
            "models": {c.code: rows[c.code]["public_id"] for c in candidates},
            "calibrated_at": clock.now().isoformat(),
        }

    summary = await asyncio.to_thread(fit)
    await storage().save_bytes(TAGGER_KEY, json.dumps(summary).encode())
    return summary


def tagger_summary() -> dict[str, Any] | None:
    if not storage().exists(TAGGER_KEY):
        return None
    return json.loads(storage().local_path(TAGGER_KEY).read_bytes())


async def suggest_genre(piece: Piece) -> tuple[str, float, dict[str, float]]:
    candidates = await _candidates()
    if not candidates:
        raise DomainError("intelligence.errors.no_models")
    summary = tagger_summary() or {}
    return await asyncio.to_thread(tagger.suggest, piece, candidates, float(summary.get("temperature", 10.0)))


async def _upload_of(actor: Actor, upload_id: str, field_name: str) -> dict[str, Any]:
    row = None
    if has_prefix(upload_id, "upl"):
        row = await Upload.select().where(Upload.public_id == upload_id).first()
    if not access.owns_upload(actor, row):
        raise DomainError("intelligence.errors.upload_not_found", field=field_name)
    assert row is not None
    return row


def _read_upload(upload: dict[str, Any], field_name: str) -> Piece:
    path = storage().local_path(upload["storage_key"])
    if not path.is_file():
        raise DomainError("intelligence.errors.upload_not_found", field=field_name)
    if path.stat().st_size > midi.MAX_BYTES:
        raise DomainError(
            "intelligence.errors.midi_too_large", field=field_name, limit_kb=midi.MAX_BYTES // 1024
        )
    return midi.read_piece(path.read_bytes(), field=field_name)


async def tag_upload(actor: Actor | None, upload_id: str) -> dict[str, Any]:
    """Suggest a genre for a MIDI upload (computed once, then remembered)."""
    actor = access.require_actor(actor)
    upload = await _upload_of(actor, upload_id, "uploadId")
    existing = await queries.tag_of(upload_id)
    if existing is not None:
        return existing
    return await _tag(upload)


async def _tag(upload: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "upload_id": upload["public_id"],
        "owner_id": upload["owner_id"],
        "filename": upload["filename"],
        "created_at": clock.now(),
    }
    try:
        piece = await asyncio.to_thread(_read_upload, upload, "uploadId")
        genre, confidence, scores = await suggest_genre(piece)
        values.update(genre=genre, confidence=round(confidence, 4), scores=scores, status="ready")
    except DomainError as exc:
        values.update(status="failed", error_key=exc.key)
    await TagSuggestion.insert(TagSuggestion(**values))
    row = await queries.tag_of(upload["public_id"])
    assert row is not None
    return row


async def tag_suggestions(actor: Actor | None) -> list[dict[str, Any]]:
    actor = access.require_actor(actor)
    return await queries.tags_of(actor.user_id)


def looks_like_midi(upload: dict[str, Any]) -> bool:
    name = (upload.get("filename") or "").lower()
    return (
        name.endswith((".mid", ".midi"))
        or "midi" in (upload.get("declared_type") or "")
        or upload.get("purpose") == "midi"
    )


async def tag_new_uploads(limit: int = 100) -> int:
    """Every MIDI upload gets a suggestion: the periodic sweep that finds the untagged ones."""
    tagged = {r["upload_id"] for r in await TagSuggestion.select(TagSuggestion.upload_id)}
    rows = await Upload.select().order_by(Upload.id, ascending=False).limit(limit * 5)
    done = 0
    for upload in rows:
        if upload["public_id"] in tagged or not looks_like_midi(upload):
            continue
        await _tag(upload)
        done += 1
        if done >= limit:
            break
    return done


# ----------------------------------------------------------------------------- generation


@dataclass(frozen=True, slots=True)
class GenerateRequest:
    genre: str  # a genre code or a model id
    bars: int = 16
    tempo: int | None = None
    key: str | None = None
    preset: str | None = None
    seed: int | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class RestyleRequest:
    genre: str
    upload_id: str | None = None
    output_id: str | None = None
    tempo: int | None = None
    key: str | None = None
    preset: str | None = None
    seed: int | None = None
    title: str | None = None
    boost: float = 16.0


@dataclass
class _Checked:
    model: dict[str, Any]
    settings: dict[str, Any]
    errors: list[DomainError] = field(default_factory=list)


def _genre_defaults(model: dict[str, Any]) -> tuple[int, str, str]:
    genre = GENRES.get(model["manifest"].get("genre", ""))
    if genre is not None:
        return genre.default_tempo, genre.default_key, genre.preset
    return 100, "C", "piano"


async def _check_settings(
    actor: Actor,
    genre_value: str,
    bars: int,
    tempo: int | None,
    key: str | None,
    preset: str | None,
    seed: int | None,
    title: str | None,
) -> _Checked:
    errors: list[DomainError] = []
    model: dict[str, Any] | None = None
    try:
        model = await model_for(actor, genre_value)
    except DomainError as exc:
        errors.append(exc)
    default_tempo, default_key, default_preset = _genre_defaults(model) if model else (100, "C", "piano")
    if not isinstance(bars, int) or not 1 <= bars <= MAX_BARS:
        errors.append(DomainError("intelligence.errors.bad_bars", field="bars", max=MAX_BARS))
    tempo = default_tempo if tempo is None else tempo
    if not TEMPO_RANGE[0] <= tempo <= TEMPO_RANGE[1]:
        errors.append(
            DomainError(
                "intelligence.errors.bad_tempo", field="tempo", min=TEMPO_RANGE[0], max=TEMPO_RANGE[1]
            )
        )
    # A key the creator typed may be written their language's way; the genre's default is English.
    parsed = parse_key_in(key, actor.locale) if key else parse_key(default_key)
    if parsed is None:
        errors.append(DomainError("intelligence.errors.bad_key", field="key"))
    preset = preset or default_preset
    if preset not in PRESETS:
        errors.append(DomainError("intelligence.errors.bad_preset", field="preset"))
    if seed is not None and not 0 <= seed <= MAX_SEED:
        errors.append(DomainError("intelligence.errors.bad_seed", field="seed", max=MAX_SEED))
    clean_title = " ".join((title or "").split())[:120]
    if errors:
        raise errors[0] if len(errors) == 1 else ValidationFailed(errors)
    assert model is not None and parsed is not None
    modes = model["manifest"]["profile"].get("modes", {})
    mode = parsed[1] if parsed[1] in modes or not modes else max(modes, key=lambda m: modes[m])
    genre = GENRES.get(model["manifest"].get("genre", ""))
    settings = {
        "bars": bars,
        "tempo": tempo,
        "key": key_name(parsed[0], mode),
        "tonic": parsed[0],
        "mode": mode,
        "preset": preset,
        "seed": secrets.randbelow(MAX_SEED) if seed is None else seed,
        "style": genre.drum_pattern if genre else "none",
        "drum_pattern": genre.drum_pattern if genre else "march",
        "chain": genre.effects if genre else "parlour",
        "title": clean_title,
    }
    return _Checked(model=model, settings=settings)


async def _check_plan(actor: Actor, model: dict[str, Any], bars: int, *, restyle: bool) -> None:
    await quota.require_feature(actor.user_id, "ai_generation")
    if restyle:
        await quota.require_feature(actor.user_id, "ai_restyle", field="genre")
    if model["kind"] == "personal":
        await quota.require_feature(actor.user_id, "personal_models", field="genre")
    await quota.check_bars(actor.user_id, bars)


def _model_label(model: dict[str, Any], locale: str) -> str:
    """A model's name for a default title: a genre's in the creator's language, else the model's own."""
    if model["code"] in GENRES:
        return t(f"intelligence.genres.{model['code']}", locale)
    return str(model["name"] or model["code"])


async def _create_output(actor: Actor, kind: str, checked: _Checked, extra: dict[str, Any]) -> dict[str, Any]:
    model = checked.model
    settings = {**checked.settings, **extra}
    title = (
        settings.pop("title")
        or f"{_model_label(model, actor.locale)} · {key_label(settings['key'], actor.locale)}"
    )
    await quota.take_generation(actor.user_id)
    public_id = new_id("gen")
    try:
        async with db.transaction():
            job = await jobs.create_job(
                "intelligence.generate", {"output_id": public_id}, owner_id=actor.user_id, subject=public_id
            )
            await Output.insert(
                Output(
                    public_id=public_id,
                    kind=kind,
                    owner_id=actor.user_id,
                    model_id=model["public_id"],
                    model_code=model["code"],
                    model_version=model["version"],
                    seed=settings["seed"],
                    settings=settings,
                    title=title,
                    status="queued",
                    job_id=job["public_id"],
                    # Licence hygiene: the output inherits its model's commercial-use flag.
                    commercial_use=bool(model["commercial_use"]),
                    created_at=clock.now(),
                )
            )
    except BaseException:
        await quota.give_back(actor.user_id)
        raise
    await jobs.dispatch(job)
    row = await queries.output_by_public_id(public_id)
    assert row is not None
    return row


async def request_generation(actor: Actor | None, request: GenerateRequest) -> dict[str, Any]:
    actor = access.require_write(actor)
    checked = await _check_settings(
        actor,
        request.genre,
        request.bars,
        request.tempo,
        request.key,
        request.preset,
        request.seed,
        request.title,
    )
    await _check_plan(actor, checked.model, request.bars, restyle=False)
    return await _create_output(actor, "generate", checked, {})


async def _source_piece(actor: Actor, request: RestyleRequest) -> tuple[Piece, dict[str, Any]]:
    if bool(request.upload_id) == bool(request.output_id):
        raise DomainError("intelligence.errors.restyle_source", field="source")
    if request.upload_id:
        upload = await _upload_of(actor, request.upload_id, "uploadId")
        piece = await asyncio.to_thread(_read_upload, upload, "uploadId")
        return piece, {"upload_id": request.upload_id, "filename": upload["filename"]}
    output = await queries.output_by_public_id(request.output_id or "")
    if output is None or not access.can_view_output(actor, output) or not output["midi_key"]:
        raise DomainError("intelligence.errors.output_not_found", field="outputId")
    data = storage().local_path(output["midi_key"]).read_bytes()
    return midi.read_piece(data, field="outputId"), {
        "output_id": output["public_id"],
        "filename": output["title"],
    }


async def request_restyle(actor: Actor | None, request: RestyleRequest) -> dict[str, Any]:
    actor = access.require_write(actor)
    await quota.require_feature(actor.user_id, "ai_restyle", field="genre")
    source, described = await _source_piece(actor, request)
    model = await model_for(actor, request.genre)
    max_bars = await quota.limit(actor.user_id, "ai_max_bars")
    skeleton, bars = compose.skeleton_of(
        source,
        int(model["manifest"]["bar"]),
        model["manifest"]["metre"],
        min(MAX_BARS, max_bars if max_bars > 0 else MAX_BARS),
    )
    if not skeleton:
        raise DomainError("intelligence.errors.empty_midi", field="source")
    key = request.key or key_name(source.tonic, source.mode)
    checked = await _check_settings(
        actor, request.genre, bars, request.tempo, key, request.preset, request.seed, request.title
    )
    await _check_plan(actor, checked.model, bars, restyle=True)
    if not 1.0 <= request.boost <= 64.0:
        raise DomainError("intelligence.errors.bad_boost", field="boost")
    extra = {
        "source": described,
        "skeleton": {str(k): v for k, v in skeleton.items()},
        "boost": request.boost,
        "source_key": key_name(source.tonic, source.mode),
    }
    return await _create_output(actor, "restyle", checked, extra)


async def get_output(actor: Actor | None, output_id: str) -> dict[str, Any]:
    row = await queries.output_by_public_id(output_id) if has_prefix(output_id, "gen") else None
    return access.visible_output(actor, row)


async def list_outputs(actor: Actor | None, first: int | None, after: str | None) -> Page[dict[str, Any]]:
    actor = access.require_actor(actor)
    size = page_size(first)
    rows = await queries.outputs_of(actor.user_id, size + 1, int_after(after))
    return make_page(rows, size, lambda r: r["id"])


async def output_commercial_use_allowed(output_id: str) -> bool:
    """For the marketplace and community: may this output be sold or published with commercial
    rights? Only if every source its model learned from allows commercial use."""
    row = await queries.output_by_public_id(output_id)
    if row is None:
        raise NotFound("intelligence.errors.output_not_found")
    return bool(row["commercial_use"])


async def output_media(actor: Actor | None, output: dict[str, Any]) -> dict[str, Any]:
    """Signed links: the mix and the MIDI for the owner; the separate stems on plans with stems."""
    actor = access.require_actor(actor)
    access.visible_output(actor, output)
    media: dict[str, Any] = {"audio": None, "midi": None, "stems": {}, "stems_allowed": False}
    if output["audio_key"]:
        media["audio"] = signed_url(output["audio_key"])
    if output["midi_key"]:
        media["midi"] = signed_url(output["midi_key"], filename=f"{output['public_id']}.mid")
    try:
        await quota.require_feature(actor.user_id, "ai_stems")
        media["stems_allowed"] = True
    except DomainError:
        return media
    media["stems"] = {
        part: signed_url(key, filename=f"{output['public_id']}-{part}.wav")
        for part, key in (output["stems"] or {}).items()
    }
    return media


# ----------------------------------------------------------------------------- personal models


def _clean_name(name: str) -> str:
    clean = " ".join((name or "").split())
    if not _NAME.match(clean):
        raise DomainError("intelligence.errors.bad_name", field="name", max=60)
    return clean


async def train_personal_model(
    actor: Actor | None, name: str, upload_ids: list[str], organization_id: str | None = None
) -> dict[str, Any]:
    """Check every file now (so a bad one refuses the whole request), then queue the training."""
    actor = access.require_write(actor)
    await quota.require_feature(actor.user_id, "personal_models")
    clean = _clean_name(name)
    ids = list(dict.fromkeys(upload_ids))
    if len(ids) < personal.MIN_PIECES:
        raise DomainError(
            "intelligence.errors.too_few_files", field="uploadIds", min=personal.MIN_PIECES, count=len(ids)
        )
    if len(ids) > MAX_PERSONAL_FILES:
        raise DomainError("intelligence.errors.too_many_files", field="uploadIds", max=MAX_PERSONAL_FILES)
    org_row_id = None
    if organization_id:
        org = await accounts.get_organization(actor, organization_id)
        org_row_id = org["id"]
    uploads = [await _upload_of(actor, u, f"uploadIds.{i}") for i, u in enumerate(ids)]
    for i, upload in enumerate(uploads):
        try:
            await asyncio.to_thread(_read_upload, upload, f"uploadIds.{i}")
        except DomainError as exc:
            raise DomainError(
                "intelligence.errors.bad_file",
                field=f"uploadIds.{i}",
                filename=upload["filename"] or upload["public_id"],
                reason_key=exc.key,
            )
    base = next((m for m in await genre_models() if m["kind"] == "base"), None)
    if base is None:
        raise DomainError("intelligence.errors.no_models")
    code = re.sub(r"[^a-z0-9]+", "-", clean.lower()).strip("-")[:50] or "personal"
    async with db.transaction():
        row = await _new_model_row(
            "personal",
            code,
            clean,
            owner_id=actor.user_id,
            organization_id=org_row_id,
            manifest={"uploads": ids, "base_model": base["public_id"]},
        )
        job = await jobs.create_job(
            "intelligence.train_personal",
            {"model_id": row["public_id"]},
            owner_id=actor.user_id,
            subject=row["public_id"],
        )
        await GenreModel.update({GenreModel.job_id: job["public_id"]}).where(
            GenreModel.public_id == row["public_id"]
        )
    await jobs.dispatch(job)
    found = await queries.model_by_public_id(row["public_id"])
    assert found is not None
    return found


async def run_personal_training(model_id: str) -> dict[str, Any]:
    row = await queries.model_by_public_id(model_id)
    if row is None:
        raise NotFound("intelligence.errors.model_not_found")
    if row["status"] == "ready":
        return {"model_id": model_id}
    manifest = row["manifest"]
    await GenreModel.update({GenreModel.status: "running"}).where(GenreModel.public_id == model_id)
    try:
        base_row = await queries.model_by_public_id(manifest["base_model"])
        if base_row is None:
            raise DomainError("intelligence.errors.no_models")
        base = await registry.load(base_row)
        pieces = []
        for i, upload_id in enumerate(manifest["uploads"]):
            upload = await Upload.select().where(Upload.public_id == upload_id).first()
            if upload is None:
                raise DomainError("intelligence.errors.upload_not_found", field=f"uploadIds.{i}")
            pieces.append(await asyncio.to_thread(_read_upload, upload, f"uploadIds.{i}"))
        fit = await asyncio.to_thread(personal.fit, pieces, base.model)
    except DomainError as exc:
        await GenreModel.update({GenreModel.status: "failed", GenreModel.error_key: exc.key}).where(
            GenreModel.public_id == model_id
        )
        raise
    metres = midi.metre_counts(pieces)
    metre = metres.most_common(1)[0][0]
    base_licences = set(base_row["manifest"].get("licences", []))
    licences = base_licences | {OWNER}
    profile = training.profile(pieces)
    full = {
        **manifest,
        "kind": "personal",
        "model_id": model_id,
        "version": row["version"],
        "metre": metre,
        "bar": next(p.bar for p in pieces if p.metre == metre),
        "sources": [
            {
                "source": "uploads",
                "name": SOURCES["uploads"].name,
                "licence": OWNER,
                "licence_note": SOURCES["uploads"].licence_note,
                "works": len(pieces),
                "notes": sum(len(p.sounding) for p in pieces),
            },
            *base_row["manifest"].get("sources", []),
        ],
        "licences": sorted(licences),
        "commercial_use": training.commercial_use(licences),
        "pieces": len(pieces),
        "notes": sum(len(p.sounding) for p in pieces),
        "tokens": sum(len(tokens_of(p)) for p in pieces),
        "weight": fit.weight,
        "personal": fit.figures,
        "heldout_loss": fit.figures["blend_loss"],
        "loss_by_order": {},
        "parameters": {
            "model": "blend of the creator's variable-order Markov chain and the base model",
            "order": fit.figures["order"],
            "weight": fit.weight,
            "vocabulary": len(fit.own.vocab),
            "contexts": len(fit.own.tables),
            "conditioning": ["position in bar", "mode"],
        },
        "profile": profile,
        "melodies": [[list(t) for t, _ in tokens_of(p)] for p in pieces],
        "trained_at": clock.now().isoformat(),
    }
    key = await registry.save_artifact(model_id, fit.own, full)
    registry.forget(model_id)
    await GenreModel.update(
        {
            GenreModel.status: "ready",
            GenreModel.artifact_key: key,
            GenreModel.manifest: full,
            GenreModel.commercial_use: full["commercial_use"],
            GenreModel.heldout_loss: full["heldout_loss"],
            GenreModel.trained_at: clock.now(),
        }
    ).where(GenreModel.public_id == model_id)
    return {"model_id": model_id, "improvement": fit.figures["improvement"], "weight": fit.weight}


# ----------------------------------------------------------------------------- the originality guard


async def copy_index(model: dict[str, Any], owner_id: int) -> CopyIndex:
    """What an output must not copy: the model's training melodies and other people's outputs of
    it. (A creator's own earlier pieces are left out, so the same seed and settings give them the
    same piece again. Published Cadenza releases carry no MIDI yet; when they do, they join this.)"""
    named: list[tuple[str, list[Any]]] = []
    if model["kind"] == "personal":
        named += [
            (f"upload {i + 1}", [tuple(t) for t in m])
            for i, m in enumerate(model["manifest"].get("melodies", []))
        ]
    else:
        ds = await asyncio.to_thread(dataset.load)
        held = set(model["manifest"].get("heldout_ids", []))
        works = ds.by_genre(model["code"]) if model["kind"] == "genre" else _base_works(ds)
        named += [
            (w["id"], [t for t, _ in tokens_of(dataset.piece_of(w))]) for w in works if w["id"] not in held
        ]
    for row in await queries.recent_melodies(model["public_id"], owner_id):
        named.append((row["public_id"], [tuple(t) for t in row["melody"] or []]))
    return await asyncio.to_thread(build_index, named)


async def max_bars_for(actor: Actor | None) -> int:
    """The longest piece this actor's plan allows (the absolute cap when signed out)."""
    if actor is None:
        return MAX_BARS
    allowed = await quota.limit(actor.user_id, "ai_max_bars")
    return MAX_BARS if allowed < 0 else min(MAX_BARS, allowed)


def max_copy() -> int:
    return MAX_COPY
