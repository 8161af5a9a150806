"""Studio types. Each holds its row privately; relations resolve through per-request DataLoaders."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.audio import services as audio
from backend.core.i18n import t
from backend.core.storage import signed_url
from backend.graphql.accounts.types import User
from backend.graphql.audio.loaders import AssetByPublicIdLoader, JobByPublicIdLoader
from backend.graphql.jobs import Job
from backend.graphql.loaders import UserByIdLoader
from backend.graphql.pagination import Connection, connection


@strawberry.enum
class AssetStatus(Enum):
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


@strawberry.enum
class RenderStatus(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@strawberry.enum
class ExportFormat(Enum):
    WAV = "wav"
    FLAC = "flac"
    MP3 = "mp3"
    OGG = "ogg"
    STEMS = "stems"
    DAWPROJECT = "dawproject"


@strawberry.enum
class MasteringPreset(Enum):
    STREAMING = "streaming"


@strawberry.enum(
    description="The kinds of project operation; their fields are documented on ProjectOperationInput."
)
class ProjectOperationKind(Enum):
    SET_PROJECT = "set_project"
    ADD_TRACK = "add_track"
    REMOVE_TRACK = "remove_track"
    MOVE_TRACK = "move_track"
    SET_TRACK = "set_track"
    ADD_EFFECT = "add_effect"
    REMOVE_EFFECT = "remove_effect"
    MOVE_EFFECT = "move_effect"
    SET_EFFECT_PARAM = "set_effect_param"
    SET_EFFECT_BYPASS = "set_effect_bypass"
    ADD_CLIP = "add_clip"
    MOVE_CLIP = "move_clip"
    TRIM_CLIP = "trim_clip"
    SET_CLIP = "set_clip"
    REMOVE_CLIP = "remove_clip"
    SET_MASTER = "set_master"


def _error(key: str, locale: str) -> str | None:
    return t(key, locale) if key else None


def _code(key: str) -> str | None:
    return key.rsplit(".", 1)[-1].upper() if key else None


@strawberry.type(description="A min/max pair of the waveform overview, in [-1, 1].")
class PeakPair:
    min: float
    max: float


def downsample(peaks: list[list[float]] | None, points: int) -> list[PeakPair]:
    """Fold the stored overview (~1000 pairs) into ``points`` pairs, keeping the extremes."""
    if not peaks:
        return []
    points = max(1, min(points, 2000, len(peaks)))
    out = []
    for i in range(points):
        chunk = peaks[
            i * len(peaks) // points : max((i + 1) * len(peaks) // points, i * len(peaks) // points + 1)
        ]
        out.append(PeakPair(min=min(p[0] for p in chunk), max=max(p[1] for p in chunk)))
    return out


@strawberry.type(description="A sound in the signed-in creator's library.")
class Asset:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def name(self) -> str:
        return self.row["name"]

    @strawberry.field
    def filename(self) -> str:
        return self.row["original_filename"]

    @strawberry.field
    def status(self) -> AssetStatus:
        return AssetStatus(self.row["status"] if self.row["status"] != "deleted" else "failed")

    @strawberry.field(description="Why ingest failed, in the viewer's language.")
    def failure_reason(self, info: Info) -> str | None:
        return _error(self.row["error_key"], info.context.locale)

    @strawberry.field
    def failure_code(self) -> str | None:
        return _code(self.row["error_key"])

    @strawberry.field(description="The container format found in the bytes (not the file name).")
    def format(self) -> str | None:
        return self.row["format"] or None

    @strawberry.field(description="Seconds.")
    def duration(self) -> float | None:
        return self.row["duration"]

    @strawberry.field
    def sample_rate(self) -> int | None:
        return self.row["sample_rate"]

    @strawberry.field
    def channels(self) -> int | None:
        return self.row["channels"]

    @strawberry.field
    def bit_depth(self) -> int | None:
        return self.row["bit_depth"]

    @strawberry.field(description="Integrated loudness, LUFS.")
    def loudness(self) -> float | None:
        return self.row["lufs"]

    @strawberry.field(description="True peak, dBTP.")
    def true_peak(self) -> float | None:
        return self.row["true_peak"]

    @strawberry.field(description="Bytes counted against the storage allowance.")
    def size_bytes(self) -> float:
        return float(self.row["charged_bytes"] or 0)

    @strawberry.field(description="The waveform overview folded into `points` min/max pairs (at most 2000).")
    def waveform(self, points: int = 200) -> list[PeakPair]:
        return downsample(self.row["peaks"], points)

    @strawberry.field(description="A streamable MP3 preview (signed, expiring URL).")
    def preview_url(self) -> str | None:
        return signed_url(self.row["preview_key"]) if self.row["preview_key"] else None

    @strawberry.field(description="The original file as uploaded (signed, expiring URL).")
    def download_url(self) -> str | None:
        key = self.row["original_key"]
        return signed_url(key, filename=self.row["original_filename"] or None) if key else None

    @strawberry.field
    async def job(self, info: Info) -> Job | None:
        if not self.row["job_id"]:
            return None
        row = await info.context.loader(JobByPublicIdLoader).load(self.row["job_id"])
        return Job(row=row) if row else None

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]


@strawberry.type
class EffectParameter:
    name: str
    value: JSON


@strawberry.type(description="One plugin in an effect chain.")
class Effect:
    data: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.data["id"])

    @strawberry.field
    def type(self) -> str:
        return self.data["type"]

    @strawberry.field
    def bypass(self) -> bool:
        return bool(self.data["bypass"])

    @strawberry.field
    def params(self) -> JSON:
        return self.data["params"]

    @strawberry.field
    def parameters(self) -> list[EffectParameter]:
        return [EffectParameter(name=k, value=v) for k, v in self.data["params"].items()]


@strawberry.type(description="A region of an asset placed on a track. Times in seconds.")
class Clip:
    data: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.data["id"])

    @strawberry.field
    def asset_id(self) -> strawberry.ID:
        return strawberry.ID(self.data["asset_id"])

    @strawberry.field(description="Null when the asset is gone or not the viewer's.")
    async def asset(self, info: Info) -> Asset | None:
        row = await info.context.loader(AssetByPublicIdLoader).load(self.data["asset_id"])
        actor = info.context.actor
        if row is None or actor is None or row["owner_id"] != actor.user_id or row["status"] == "deleted":
            return None
        return Asset(row=row)

    @strawberry.field
    def start(self) -> float:
        return self.data["start"]

    @strawberry.field
    def offset(self) -> float:
        return self.data["offset"]

    @strawberry.field
    def length(self) -> float:
        return self.data["length"]

    @strawberry.field
    def gain_db(self) -> float:
        return self.data["gain_db"]

    @strawberry.field
    def fade_in(self) -> float:
        return self.data["fade_in"]

    @strawberry.field
    def fade_out(self) -> float:
        return self.data["fade_out"]


@strawberry.type
class Track:
    data: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.data["id"])

    @strawberry.field
    def name(self) -> str:
        return self.data["name"]

    @strawberry.field
    def color(self) -> str:
        return self.data["color"]

    @strawberry.field
    def gain_db(self) -> float:
        return self.data["gain_db"]

    @strawberry.field(description="-1 (left) to 1 (right).")
    def pan(self) -> float:
        return self.data["pan"]

    @strawberry.field
    def mute(self) -> bool:
        return self.data["mute"]

    @strawberry.field
    def solo(self) -> bool:
        return self.data["solo"]

    @strawberry.field
    def effects(self) -> list[Effect]:
        return [Effect(data=e) for e in self.data["effects"]]

    @strawberry.field
    def clips(self) -> list[Clip]:
        return [Clip(data=c) for c in self.data["clips"]]


@strawberry.type
class Master:
    data: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def gain_db(self) -> float:
        return self.data["gain_db"]

    @strawberry.field(description="Null: none. STREAMING: about -14 LUFS, at most -1 dBTP.")
    def mastering(self) -> MasteringPreset | None:
        return MasteringPreset(self.data["mastering"]) if self.data["mastering"] else None

    @strawberry.field
    def effects(self) -> list[Effect]:
        return [Effect(data=e) for e in self.data["effects"]]


@strawberry.type(description="One committed operation of a project's append-only log.")
class ProjectOperation:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="The revision this operation produced.")
    def revision(self) -> int:
        return self.row["revision"]

    @strawberry.field
    def kind(self) -> ProjectOperationKind:
        return ProjectOperationKind(self.row["kind"])

    @strawberry.field(description="The normalized operation, as applied.")
    def payload(self) -> JSON:
        return self.row["payload"]

    @strawberry.field(description="The operation that undoes this one.")
    def inverse(self) -> JSON | None:
        return self.row["inverse"]

    @strawberry.field
    def batch_id(self) -> str:
        return self.row["batch_id"]

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        if self.row["author_id"] is None:
            return None
        row = await info.context.loader(UserByIdLoader).load(self.row["author_id"])
        return User(row=row) if row else None

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]


@strawberry.type(description="A mix of one revision of a project. Cached: the same request is served once.")
class Render:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def status(self) -> RenderStatus:
        return RenderStatus(self.row["status"])

    @strawberry.field(description="The project revision this mix was made from.")
    def revision(self) -> int:
        return self.row["revision"]

    @strawberry.field
    def stems(self) -> bool:
        return bool((self.row["settings"] or {}).get("stems"))

    @strawberry.field
    async def job(self, info: Info) -> Job | None:
        if not self.row["job_id"]:
            return None
        row = await info.context.loader(JobByPublicIdLoader).load(self.row["job_id"])
        return Job(row=row) if row else None

    @strawberry.field
    def failure_reason(self, info: Info) -> str | None:
        return _error(self.row["error_key"], info.context.locale)

    @strawberry.field
    def failure_code(self) -> str | None:
        return _code(self.row["error_key"])

    @strawberry.field(description="A streamable MP3 of the mix (signed, expiring URL).")
    def preview_url(self) -> str | None:
        return signed_url(self.row["preview_key"]) if self.row["preview_key"] else None

    @strawberry.field(description="The 32-bit float WAV mix as a download (signed, expiring URL).")
    def download_url(self) -> str | None:
        if not self.row["mix_key"]:
            return None
        return signed_url(self.row["mix_key"], filename=f"mix-r{self.row['revision']}.wav")

    @strawberry.field(description="Seconds.")
    def duration(self) -> float | None:
        return self.row["duration"]

    @strawberry.field(description="Integrated loudness of the mix, LUFS.")
    def loudness(self) -> float | None:
        return self.row["lufs"]

    @strawberry.field(description="True peak of the mix, dBTP.")
    def true_peak(self) -> float | None:
        return self.row["true_peak"]

    @strawberry.field(description="What the engine measured (per-track peaks and more).")
    def metrics(self) -> JSON | None:
        return self.row["metrics"]

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]

    @strawberry.field
    def finished_at(self) -> datetime | None:
        return self.row["finished_at"]


@strawberry.type(description="A downloadable file made from a project.")
class Export:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def status(self) -> RenderStatus:
        return RenderStatus(self.row["status"])

    @strawberry.field
    def format(self) -> ExportFormat:
        return ExportFormat(self.row["settings"]["format"])

    @strawberry.field
    def sample_rate(self) -> int:
        return self.row["settings"]["sample_rate"]

    @strawberry.field
    def bit_depth(self) -> int | None:
        return self.row["settings"].get("bit_depth")

    @strawberry.field
    def quality(self) -> str | None:
        return self.row["settings"].get("quality")

    @strawberry.field
    def revision(self) -> int:
        return self.row["revision"]

    @strawberry.field
    def filename(self) -> str:
        return self.row["filename"]

    @strawberry.field
    def size_bytes(self) -> float:
        return float(self.row["size_bytes"] or 0)

    @strawberry.field(description="What the file really is, as measured after writing it.")
    def details(self) -> JSON | None:
        return self.row["details"]

    @strawberry.field(description="Signed, expiring download URL with the file name.")
    def download_url(self) -> str | None:
        if self.row["status"] != "done" or not self.row["file_key"]:
            return None
        return signed_url(self.row["file_key"], filename=self.row["filename"])

    @strawberry.field
    async def job(self, info: Info) -> Job | None:
        if not self.row["job_id"]:
            return None
        row = await info.context.loader(JobByPublicIdLoader).load(self.row["job_id"])
        return Job(row=row) if row else None

    @strawberry.field
    def failure_reason(self, info: Info) -> str | None:
        return _error(self.row["error_key"], info.context.locale)

    @strawberry.field
    def failure_code(self) -> str | None:
        return _code(self.row["error_key"])

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]


@strawberry.type(description="What the owner's plan lets this project export.")
class ExportOptions:
    plan: str
    formats: list[ExportFormat]
    sample_rates: list[int]
    bit_depths: list[int]


@strawberry.type(description="A multitrack song: its document as typed fields, and its revision.")
class Project:
    row: strawberry.Private[dict[str, Any]]

    @property
    def doc(self) -> dict[str, Any]:
        return self.row["document"]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field(description="How many operations have been applied; send it as baseRevision.")
    def revision(self) -> int:
        return self.row["revision"]

    @strawberry.field
    def title(self) -> str:
        return self.doc["title"]

    @strawberry.field(description="Beats per minute.")
    def tempo(self) -> float:
        return self.doc["tempo"]

    @strawberry.field(description="[beats per bar, beat unit].")
    def time_signature(self) -> list[int]:
        return list(self.doc["time_signature"])

    @strawberry.field
    def sample_rate(self) -> int:
        return self.doc["sample_rate"]

    @strawberry.field
    def tracks(self) -> list[Track]:
        return [Track(data=tr) for tr in self.doc["tracks"]]

    @strawberry.field
    def master(self) -> Master:
        return Master(data=self.doc["master"])

    @strawberry.field(description="Where the last clip ends, in seconds.")
    def duration(self) -> float:
        from backend.audio.operations import duration

        return duration(self.doc)

    @strawberry.field(description="The whole document as JSON (what operations apply to).")
    def document(self) -> JSON:
        return cast(JSON, self.doc)

    @strawberry.field
    async def track_limit(self) -> int:
        return await audio.track_limit(self.row)

    @strawberry.field
    async def operations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ProjectOperation]:
        page = await audio.operation_log(info.context.require_actor(), self.row["public_id"], first, after)
        return connection(page, ProjectOperation)

    @strawberry.field(description="Recent renders, newest first (at most 20).")
    async def renders(self, info: Info, limit: int = 5) -> list[Render]:
        rows = await audio.renders_of(info.context.require_actor(), self.row, max(1, min(limit, 20)))
        return [Render(row=r) for r in rows]

    @strawberry.field(description="Recent exports, newest first (at most 20).")
    async def exports(self, info: Info, limit: int = 5) -> list[Export]:
        rows = await audio.exports_of(info.context.require_actor(), self.row, max(1, min(limit, 20)))
        return [Export(row=r) for r in rows]

    @strawberry.field
    async def export_options(self, info: Info) -> ExportOptions:
        allowed = await audio.allowed_options(self.row["owner_id"])
        return ExportOptions(
            plan=allowed["plan"],
            formats=[ExportFormat(f) for f, ok in allowed["formats"].items() if ok],
            sample_rates=[r for r, ok in allowed["rates"].items() if ok],
            bit_depths=[d for d, ok in allowed["depths"].items() if ok],
        )

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.row["updated_at"]


@strawberry.type
class EffectParamSpec:
    name: str
    min: float | None
    max: float | None
    default: JSON
    unit: str
    label: str
    choices: list[str]


@strawberry.type(description="One plugin on the effect menu, with its parameters' ranges.")
class EffectType:
    type: str
    label: str
    params: list[EffectParamSpec]


@strawberry.type
class StorageUsage:
    used_bytes: float
    limit_bytes: float


@strawberry.type(description="A batch of operations committed to a project.")
class ProjectRevisionEvent:
    project_id: strawberry.ID
    revision: int
    base_revision: int
    batch_id: str
    author_id: strawberry.ID | None
    operations: JSON
