"""The project document: checked, completed and turned into frozen dataclasses for rendering.

The domain stores the JSON document; the engine never trusts it. ``parse_project`` checks every
field and raises ``EngineError`` whose ``field`` is the dotted path into the document
(``tracks.2.clips.0.fade_in``), so the studio can point at the exact control.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from backend.audio.engine.effects import validate_effect
from backend.audio.engine.errors import EngineError

SAMPLE_RATES: tuple[int, ...] = (44100, 48000, 88200, 96000)
MASTERING_PRESETS: tuple[str, ...] = ("streaming",)
GAIN_DB_MIN, GAIN_DB_MAX = -60.0, 12.0
MAX_TRACKS = 64
MAX_CLIPS_PER_TRACK = 2000
MAX_EFFECTS_PER_CHAIN = 16
# One hour: a 96 kHz stereo float mix of that length (2.8 GB) still fits a plain WAV (< 4 GB).
MAX_PROJECT_SECONDS = 3600.0
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True, slots=True)
class Effect:
    id: str
    type: str
    params: dict[str, Any]
    bypass: bool = False


@dataclass(frozen=True, slots=True)
class Clip:
    id: str
    asset_id: str
    start: float
    offset: float
    length: float
    gain_db: float = 0.0
    fade_in: float = 0.0
    fade_out: float = 0.0

    @property
    def end(self) -> float:
        return self.start + self.length


@dataclass(frozen=True, slots=True)
class Track:
    id: str
    name: str
    color: str | None = None
    gain_db: float = 0.0
    pan: float = 0.0
    mute: bool = False
    solo: bool = False
    effects: tuple[Effect, ...] = ()
    clips: tuple[Clip, ...] = ()


@dataclass(frozen=True, slots=True)
class Master:
    gain_db: float = 0.0
    effects: tuple[Effect, ...] = ()
    mastering: str | None = None


@dataclass(frozen=True, slots=True)
class Project:
    title: str = ""
    tempo: float = 120.0
    time_signature: tuple[int, int] = (4, 4)
    sample_rate: int = 48000
    tracks: tuple[Track, ...] = ()
    master: Master = field(default_factory=Master)

    def audible_tracks(self) -> tuple[Track, ...]:
        """Tracks that sound: not muted and, when any track is soloed, soloed."""
        soloing = any(t.solo for t in self.tracks)
        return tuple(t for t in self.tracks if not t.mute and (t.solo or not soloing))

    def end_seconds(self, tracks: tuple[Track, ...] | None = None) -> float:
        clips = [c for t in (self.tracks if tracks is None else tracks) for c in t.clips]
        return max((c.end for c in clips), default=0.0)


def _fail(key: str, path: str, **params: Any) -> EngineError:
    return EngineError(f"audio.errors.{key}", field=path, **params)


def _number(value: Any, path: str, lo: float, hi: float, default: float | None = None) -> float:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail("not_a_number", path)
    if not lo <= value <= hi:
        raise _fail("out_of_range", path, min=lo, max=hi)
    return float(value)


def _bool(value: Any, path: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _fail("not_a_boolean", path)
    return value


def _text(value: Any, path: str, *, required: bool = False, max_length: int = 200) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value) or len(value) > max_length:
        raise _fail("invalid_text", path, max_length=max_length)
    return value


def _list(value: Any, path: str, max_items: int) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail("not_a_list", path)
    if len(value) > max_items:
        raise _fail("too_many_items", path, max=max_items)
    return value


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail("not_an_object", path)
    return value


def parse_effects(value: Any, path: str) -> tuple[Effect, ...]:
    effects = []
    for i, raw in enumerate(_list(value, path, MAX_EFFECTS_PER_CHAIN)):
        item = _object(raw, f"{path}.{i}")
        try:
            params = validate_effect(item.get("type"), item.get("params"))
        except EngineError as exc:
            # Point into the document: tracks.0.effects.1.params.room_size (or ….type).
            sub = (
                "type"
                if exc.field == "type"
                else f"params.{exc.field}"
                if exc.field != "params"
                else "params"
            )
            raise EngineError(exc.key, field=f"{path}.{i}.{sub}", **exc.params) from None
        effects.append(
            Effect(
                id=_text(item.get("id"), f"{path}.{i}.id", max_length=64) or f"fx_{i}",
                type=item["type"],
                params=params,
                bypass=_bool(item.get("bypass"), f"{path}.{i}.bypass"),
            )
        )
    return tuple(effects)


def _clip(raw: Any, path: str) -> Clip:
    item = _object(raw, path)
    asset_id = _text(item.get("asset_id"), f"{path}.asset_id", required=True, max_length=64)
    length = _number(item.get("length"), f"{path}.length", 0.0, MAX_PROJECT_SECONDS)
    if length <= 0:
        raise _fail("out_of_range", f"{path}.length", min=0, max=MAX_PROJECT_SECONDS)
    clip = Clip(
        id=_text(item.get("id"), f"{path}.id", max_length=64),
        asset_id=asset_id,
        start=_number(item.get("start"), f"{path}.start", 0.0, MAX_PROJECT_SECONDS),
        offset=_number(item.get("offset"), f"{path}.offset", 0.0, MAX_PROJECT_SECONDS, 0.0),
        length=length,
        gain_db=_number(item.get("gain_db"), f"{path}.gain_db", GAIN_DB_MIN, GAIN_DB_MAX, 0.0),
        fade_in=_number(item.get("fade_in"), f"{path}.fade_in", 0.0, MAX_PROJECT_SECONDS, 0.0),
        fade_out=_number(item.get("fade_out"), f"{path}.fade_out", 0.0, MAX_PROJECT_SECONDS, 0.0),
    )
    if clip.end > MAX_PROJECT_SECONDS:
        raise _fail("project_too_long", f"{path}.length", max_minutes=int(MAX_PROJECT_SECONDS // 60))
    if clip.fade_in + clip.fade_out > clip.length + 1e-9:
        raise _fail("fades_longer_than_clip", f"{path}.fade_out")
    return clip


def _track(raw: Any, path: str) -> Track:
    item = _object(raw, path)
    color = item.get("color")
    if color is not None and (not isinstance(color, str) or not _COLOR.match(color)):
        raise _fail("invalid_color", f"{path}.color")
    return Track(
        id=_text(item.get("id"), f"{path}.id", required=True, max_length=64),
        name=_text(item.get("name"), f"{path}.name", max_length=100),
        color=color,
        gain_db=_number(item.get("gain_db"), f"{path}.gain_db", GAIN_DB_MIN, GAIN_DB_MAX, 0.0),
        pan=_number(item.get("pan"), f"{path}.pan", -1.0, 1.0, 0.0),
        mute=_bool(item.get("mute"), f"{path}.mute"),
        solo=_bool(item.get("solo"), f"{path}.solo"),
        effects=parse_effects(item.get("effects"), f"{path}.effects"),
        clips=tuple(
            _clip(c, f"{path}.clips.{i}")
            for i, c in enumerate(_list(item.get("clips"), f"{path}.clips", MAX_CLIPS_PER_TRACK))
        ),
    )


def parse_project(document: Any) -> Project:
    """A checked, complete ``Project`` from the stored JSON document (missing optionals take defaults)."""
    doc = _object(document, "document")
    rate = doc.get("sample_rate", 48000)
    if rate not in SAMPLE_RATES or isinstance(rate, bool):
        raise _fail("invalid_sample_rate", "sample_rate", allowed=", ".join(map(str, SAMPLE_RATES)))
    signature = doc.get("time_signature", [4, 4])
    if (
        not isinstance(signature, list | tuple)
        or len(signature) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in signature)
        or not 1 <= signature[0] <= 32
        or signature[1] not in (1, 2, 4, 8, 16, 32)
    ):
        raise _fail("invalid_time_signature", "time_signature")
    tracks_raw = _list(doc.get("tracks"), "tracks", MAX_TRACKS)
    tracks = tuple(_track(t, f"tracks.{i}") for i, t in enumerate(tracks_raw))
    ids = [t.id for t in tracks]
    if len(set(ids)) != len(ids):
        raise _fail("duplicate_track_id", "tracks")
    master_raw = _object(doc.get("master") or {}, "master")
    mastering = master_raw.get("mastering")
    if mastering is not None and mastering not in MASTERING_PRESETS:
        raise _fail("invalid_mastering", "master.mastering", allowed=", ".join(MASTERING_PRESETS))
    master = Master(
        gain_db=_number(master_raw.get("gain_db"), "master.gain_db", GAIN_DB_MIN, GAIN_DB_MAX, 0.0),
        effects=parse_effects(master_raw.get("effects"), "master.effects"),
        mastering=mastering,
    )
    return Project(
        title=_text(doc.get("title"), "title", max_length=200),
        tempo=_number(doc.get("tempo"), "tempo", 20.0, 999.0, 120.0),
        time_signature=(int(signature[0]), int(signature[1])),
        sample_rate=int(rate),
        tracks=tracks,
        master=master,
    )


def _effects_json(effects: tuple[Effect, ...]) -> list[dict[str, Any]]:
    return [{"id": e.id, "type": e.type, "params": dict(e.params), "bypass": e.bypass} for e in effects]


def project_to_document(project: Project) -> dict[str, Any]:
    """The JSON document for a ``Project`` (the inverse of ``parse_project``)."""
    return {
        "title": project.title,
        "tempo": project.tempo,
        "time_signature": list(project.time_signature),
        "sample_rate": project.sample_rate,
        "tracks": [
            {
                "id": t.id,
                "name": t.name,
                "color": t.color,
                "gain_db": t.gain_db,
                "pan": t.pan,
                "mute": t.mute,
                "solo": t.solo,
                "effects": _effects_json(t.effects),
                "clips": [
                    {
                        "id": c.id,
                        "asset_id": c.asset_id,
                        "start": c.start,
                        "offset": c.offset,
                        "length": c.length,
                        "gain_db": c.gain_db,
                        "fade_in": c.fade_in,
                        "fade_out": c.fade_out,
                    }
                    for c in t.clips
                ],
            }
            for t in project.tracks
        ],
        "master": {
            "gain_db": project.master.gain_db,
            "effects": _effects_json(project.master.effects),
            "mastering": project.master.mastering,
        },
    }
