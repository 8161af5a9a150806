"""Music intelligence over GraphQL: models with their cards, generation and restyling as jobs,
personal models, outputs and genre suggestions for MIDI uploads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.core import jobs
from backend.graphql.errors import FieldError, returns_payload
from backend.graphql.jobs import Job
from backend.graphql.pagination import Connection, connection
from backend.graphql.permissions import CanWrite, IsAuthenticated
from backend.intelligence import services as intelligence
from backend.intelligence.arrange import PRESETS
from backend.intelligence.catalogue import GENRES


def _iso(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@strawberry.type(description="One data source a model learned from, and its licence.")
class ModelSource:
    source: str
    name: str
    licence: str
    licence_note: str
    works: int
    notes: int


@strawberry.type
class OrderLoss:
    order: int
    loss: float


@strawberry.type(description="What cross-validation on a creator's own pieces measured.")
class PersonalFigures:
    base_loss: float
    own_loss: float
    blend_loss: float
    improvement: float
    improvement_percent: float
    weight: float
    folds: int
    loss_by_weight: list[OrderLoss] = strawberry.field(description="order holds the weight in tenths")


@strawberry.type(description="A trained model and its card: what it learned from, under which licences.")
class MusicModel:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field(description="genre, base or personal")
    def kind(self) -> str:
        return self.row["kind"]

    @strawberry.field(description="The genre code (reel, jig …), 'base', or a personal model's slug.")
    def code(self) -> str:
        return self.row["code"]

    @strawberry.field
    def name(self) -> str:
        return self.row["name"] or self.row["code"]

    @strawberry.field
    def version(self) -> int:
        return int(self.row["version"])

    @strawberry.field(description="queued, running, ready or failed")
    def status(self) -> str:
        return self.row["status"]

    @strawberry.field
    def error_code(self) -> str | None:
        return self.row["error_key"].rsplit(".", 1)[-1].upper() if self.row["error_key"] else None

    @strawberry.field
    def family(self) -> str | None:
        genre = GENRES.get(self.row["code"]) if self.row["kind"] == "genre" else None
        return genre.family if genre else None

    @strawberry.field
    def metre(self) -> str | None:
        return self.row["manifest"].get("metre")

    @strawberry.field(description="May its outputs be sold or published with commercial rights?")
    def commercial_use(self) -> bool:
        return bool(self.row["commercial_use"])

    @strawberry.field(description="Mean negative log-likelihood per note on held-out pieces (nats).")
    def heldout_loss(self) -> float | None:
        return self.row["heldout_loss"]

    @strawberry.field
    def order(self) -> int | None:
        return self.row["manifest"].get("parameters", {}).get("order")

    @strawberry.field
    def pieces(self) -> int:
        return int(self.row["manifest"].get("pieces", 0))

    @strawberry.field
    def heldout_pieces(self) -> int:
        return int(self.row["manifest"].get("heldout_pieces", 0))

    @strawberry.field
    def notes(self) -> int:
        return int(self.row["manifest"].get("notes", 0))

    @strawberry.field
    def licences(self) -> list[str]:
        return list(self.row["manifest"].get("licences", []))

    @strawberry.field
    def sources(self) -> list[ModelSource]:
        return [
            ModelSource(
                source=s["source"],
                name=s["name"],
                licence=s["licence"],
                licence_note=s.get("licence_note", ""),
                works=int(s.get("works", 0)),
                notes=int(s.get("notes", 0)),
            )
            for s in self.row["manifest"].get("sources", [])
        ]

    @strawberry.field
    def loss_by_order(self) -> list[OrderLoss]:
        losses = self.row["manifest"].get("loss_by_order", {})
        return [
            OrderLoss(order=int(k), loss=float(v))
            for k, v in sorted(losses.items(), key=lambda kv: int(kv[0]))
        ]

    @strawberry.field(description="Share of each pitch class (from the tonic up) in the training data.")
    def pitch_class_histogram(self) -> list[float]:
        return list(self.row["manifest"].get("profile", {}).get("pitch_class_histogram", []))

    @strawberry.field(description="The same, measured on 20 generated 16-bar pieces at training time.")
    def generated_pitch_class_histogram(self) -> list[float]:
        return list(self.row["manifest"].get("generated", {}).get("pitch_class_histogram", []))

    @strawberry.field
    def notes_per_quarter(self) -> float | None:
        return self.row["manifest"].get("profile", {}).get("notes_per_quarter")

    @strawberry.field
    def generated_notes_per_quarter(self) -> float | None:
        return self.row["manifest"].get("generated", {}).get("notes_per_quarter")

    @strawberry.field
    def parameters(self) -> JSON:
        return self.row["manifest"].get("parameters", {})

    @strawberry.field
    def personal(self) -> PersonalFigures | None:
        figures = self.row["manifest"].get("personal")
        if not figures:
            return None
        return PersonalFigures(
            base_loss=figures["base_loss"],
            own_loss=figures["own_loss"],
            blend_loss=figures["blend_loss"],
            improvement=figures["improvement"],
            improvement_percent=figures["improvement_percent"],
            weight=figures["weight"],
            folds=figures["folds"],
            loss_by_weight=[
                OrderLoss(order=round(float(k) * 10), loss=v)
                for k, v in figures.get("loss_by_weight", {}).items()
            ],
        )

    @strawberry.field
    def dataset(self) -> str | None:
        return (self.row["manifest"].get("dataset") or {}).get("name")

    @strawberry.field
    def trained_at(self) -> datetime | None:
        return _iso(self.row["trained_at"])

    @strawberry.field
    async def job(self) -> Job | None:
        row = await jobs.get_job(self.row["job_id"]) if self.row["job_id"] else None
        return Job(row=row) if row else None


@strawberry.type
class Stem:
    part: str
    url: str


@strawberry.type(
    description="A generated or restyled piece: the model, version, seed and settings that made it."
)
class MusicOutput:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field(description="generate or restyle")
    def kind(self) -> str:
        return self.row["kind"]

    @strawberry.field
    def title(self) -> str:
        return self.row["title"]

    @strawberry.field(description="queued, running, ready or failed")
    def status(self) -> str:
        return self.row["status"]

    @strawberry.field
    def error_code(self) -> str | None:
        return self.row["error_key"].rsplit(".", 1)[-1].upper() if self.row["error_key"] else None

    @strawberry.field
    async def model(self, info: Info) -> MusicModel | None:
        try:
            return MusicModel(row=await intelligence.get_model(info.context.actor, self.row["model_id"]))
        except Exception:
            return None

    @strawberry.field
    def model_code(self) -> str:
        return self.row["model_code"]

    @strawberry.field
    def model_version(self) -> int:
        return int(self.row["model_version"])

    @strawberry.field
    def seed(self) -> int:
        return int(self.row["seed"])

    @strawberry.field
    def bars(self) -> int:
        return int(self.row["settings"]["bars"])

    @strawberry.field
    def tempo(self) -> int:
        return int(self.row["settings"]["tempo"])

    @strawberry.field
    def key(self) -> str:
        return self.row["settings"]["key"]

    @strawberry.field
    def preset(self) -> str:
        return self.row["settings"]["preset"]

    @strawberry.field(
        description="Every setting the piece was made with (same seed + settings = same piece)."
    )
    def settings(self) -> JSON:
        return JSON({k: v for k, v in self.row["settings"].items() if k != "skeleton"})

    @strawberry.field(description="False when the model learned from a non-commercial source.")
    def commercial_use_allowed(self) -> bool:
        return bool(self.row["commercial_use"])

    @strawberry.field(description="Longest run of notes shared with the training data or earlier outputs.")
    def longest_copy(self) -> int | None:
        return self.row["longest_copy"]

    @strawberry.field
    def copy_limit(self) -> int:
        return intelligence.max_copy()

    @strawberry.field
    def attempts(self) -> int:
        return int(self.row["attempts"])

    @strawberry.field
    def analysis(self) -> JSON:
        return JSON({k: v for k, v in (self.row["analysis"] or {}).items() if k not in ("assets", "parts")})

    @strawberry.field(description="The studio project it became (set shortly after the audio is ready).")
    def project_id(self) -> str | None:
        return self.row["project_id"] or None

    @strawberry.field
    async def audio_url(self, info: Info) -> str | None:
        return (await intelligence.output_media(info.context.actor, self.row))["audio"]

    @strawberry.field
    async def midi_url(self, info: Info) -> str | None:
        return (await intelligence.output_media(info.context.actor, self.row))["midi"]

    @strawberry.field(description="Separate parts as WAV: on plans with stems.")
    async def stems(self, info: Info) -> list[Stem]:
        media = await intelligence.output_media(info.context.actor, self.row)
        return [Stem(part=p, url=u) for p, u in media["stems"].items()]

    @strawberry.field
    async def stems_allowed(self, info: Info) -> bool:
        return bool((await intelligence.output_media(info.context.actor, self.row))["stems_allowed"])

    @strawberry.field
    async def job(self) -> Job | None:
        row = await jobs.get_job(self.row["job_id"]) if self.row["job_id"] else None
        return Job(row=row) if row else None

    @strawberry.field
    def created_at(self) -> datetime | None:
        return _iso(self.row["created_at"])


@strawberry.type
class GenreSuggestion:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def upload_id(self) -> str:
        return self.row["upload_id"]

    @strawberry.field
    def filename(self) -> str:
        return self.row["filename"]

    @strawberry.field
    def genre(self) -> str | None:
        return self.row["genre"] or None

    @strawberry.field(description="Calibrated on held-out pieces: 0.9 is right about nine times in ten.")
    def confidence(self) -> float:
        return float(self.row["confidence"])

    @strawberry.field
    def scores(self) -> JSON:
        return JSON(self.row["scores"] or {})

    @strawberry.field
    def status(self) -> str:
        return self.row["status"]

    @strawberry.field
    def error_code(self) -> str | None:
        return self.row["error_key"].rsplit(".", 1)[-1].upper() if self.row["error_key"] else None


@strawberry.type
class GenerationOptions:
    genres: list[str]
    presets: list[str]
    max_bars: int
    tempo_min: int
    tempo_max: int
    copy_limit: int
    tagger_accuracy: float | None
    tagger_heldout_pieces: int | None


@strawberry.input
class GenerateMusicInput:
    genre: str = strawberry.field(description="A genre code (reel, jig …) or a model id (a personal model).")
    bars: int = 16
    tempo: int | None = strawberry.field(default=None, description="Quarter notes per minute.")
    key: str | None = strawberry.field(default=None, description='e.g. "D", "A minor", "F#m".')
    preset: str | None = None
    seed: int | None = None
    title: str | None = None


@strawberry.input
class RestyleMusicInput:
    genre: str
    upload_id: str | None = None
    output_id: str | None = None
    tempo: int | None = None
    key: str | None = None
    preset: str | None = None
    seed: int | None = None
    title: str | None = None
    boost: float = 16.0


@strawberry.input
class TrainPersonalModelInput:
    name: str
    upload_ids: list[str]
    organization_id: str | None = None


@strawberry.type
class MusicOutputPayload:
    output: MusicOutput | None = None
    job: Job | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class MusicModelPayload:
    model: MusicModel | None = None
    job: Job | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class MusicModelsPayload:
    models: list[MusicModel] = strawberry.field(default_factory=list)
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class GenreSuggestionPayload:
    suggestion: GenreSuggestion | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


async def _output_payload(row: dict[str, Any]) -> MusicOutputPayload:
    job = await jobs.get_job(row["job_id"])
    return MusicOutputPayload(output=MusicOutput(row=row), job=Job(row=job) if job else None)


@strawberry.type
class Queries:
    @strawberry.field(description="Genre models (current versions) and, signed in, your personal models.")
    async def music_models(self, info: Info) -> list[MusicModel]:
        return [MusicModel(row=r) for r in await intelligence.list_models(info.context.actor)]

    @strawberry.field
    async def music_model(self, info: Info, id: strawberry.ID) -> MusicModel:
        return MusicModel(row=await intelligence.get_model(info.context.actor, str(id)))

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def personal_music_models(self, info: Info) -> list[MusicModel]:
        return [MusicModel(row=r) for r in await intelligence.personal_models(info.context.actor)]

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def music_output(self, info: Info, id: strawberry.ID) -> MusicOutput:
        return MusicOutput(row=await intelligence.get_output(info.context.actor, str(id)))

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def music_outputs(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[MusicOutput]:
        return connection(await intelligence.list_outputs(info.context.actor, first, after), MusicOutput)

    @strawberry.field(
        permission_classes=[IsAuthenticated], description="Suggested genres of your MIDI uploads."
    )
    async def genre_suggestions(self, info: Info) -> list[GenreSuggestion]:
        return [GenreSuggestion(row=r) for r in await intelligence.tag_suggestions(info.context.actor)]

    @strawberry.field
    async def generation_options(self, info: Info) -> GenerationOptions:
        actor = info.context.actor
        max_bars = await intelligence.max_bars_for(actor)
        summary = intelligence.tagger_summary() or {}
        return GenerationOptions(
            genres=[m["code"] for m in await intelligence.genre_models() if m["kind"] == "genre"],
            presets=list(PRESETS),
            max_bars=max_bars,
            tempo_min=intelligence.TEMPO_RANGE[0],
            tempo_max=intelligence.TEMPO_RANGE[1],
            copy_limit=intelligence.max_copy(),
            tagger_accuracy=summary.get("accuracy"),
            tagger_heldout_pieces=summary.get("heldout_pieces"),
        )


@strawberry.type
class Mutations:
    @strawberry.mutation(permission_classes=[CanWrite], description="Compose, arrange, render: a job.")
    @returns_payload(MusicOutputPayload)
    async def generate_music(self, info: Info, input: GenerateMusicInput) -> MusicOutputPayload:
        row = await intelligence.request_generation(
            info.context.actor,
            intelligence.GenerateRequest(
                genre=input.genre,
                bars=input.bars,
                tempo=input.tempo,
                key=input.key,
                preset=input.preset,
                seed=input.seed,
                title=input.title,
            ),
        )
        return await _output_payload(row)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Re-rhythm and re-harmonise a melody in another genre, keeping its beat pitches.",
    )
    @returns_payload(MusicOutputPayload)
    async def restyle_music(self, info: Info, input: RestyleMusicInput) -> MusicOutputPayload:
        row = await intelligence.request_restyle(
            info.context.actor,
            intelligence.RestyleRequest(
                genre=input.genre,
                upload_id=input.upload_id,
                output_id=input.output_id,
                tempo=input.tempo,
                key=input.key,
                preset=input.preset,
                seed=input.seed,
                title=input.title,
                boost=input.boost,
            ),
        )
        return await _output_payload(row)

    @strawberry.mutation(permission_classes=[CanWrite], description="Train a model of your own style: a job.")
    @returns_payload(MusicModelPayload)
    async def train_personal_model(self, info: Info, input: TrainPersonalModelInput) -> MusicModelPayload:
        row = await intelligence.train_personal_model(
            info.context.actor, input.name, list(input.upload_ids), input.organization_id
        )
        job = await jobs.get_job(row["job_id"])
        return MusicModelPayload(model=MusicModel(row=row), job=Job(row=job) if job else None)

    @strawberry.mutation(permission_classes=[CanWrite], description="Platform admins: retrain genre models.")
    @returns_payload(MusicModelsPayload)
    async def train_genre_models(self, info: Info, genres: list[str] | None = None) -> MusicModelsPayload:
        rows = await intelligence.train_genre_models(info.context.actor, list(genres) if genres else None)
        return MusicModelsPayload(models=[MusicModel(row=r) for r in rows])

    @strawberry.mutation(permission_classes=[CanWrite], description="Suggest a genre for a MIDI upload.")
    @returns_payload(GenreSuggestionPayload)
    async def tag_upload(self, info: Info, upload_id: str) -> GenreSuggestionPayload:
        return GenreSuggestionPayload(
            suggestion=GenreSuggestion(row=await intelligence.tag_upload(info.context.actor, upload_id))
        )
