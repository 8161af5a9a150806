"""Project operations: the only way a project document changes.

A document (see ``new_document``) is plain JSON. An operation is a JSON object ``{"kind": ..., ...}``
with the fields listed below; every id in it was chosen by the client (or by the service, for a
form post), so replaying an operation anywhere gives the same document. Operations are pure:

    op = normalize(op, document, ctx)     # validate against the document; fill defaults; raise
    inverse = invert(document, op)        # the operation that undoes ``op`` on the result
    document = apply(document, op)        # a new document; the input is never modified

``normalize`` raises ``DomainError("audio.errors.<reason>", field=...)``; a normalized operation
applied to the same document always succeeds. Stored operations are normalized ones.

Kinds and their fields (``target`` is a track id or ``"master"``; indexes count from 0):

=================== ===========================================================================
set_project         field: title|tempo|time_signature|sample_rate, value
add_track           index, track: {id, name, color, gain_db, pan, mute, solo, effects, clips}
remove_track        track_id
move_track          track_id, from_index, to_index   (to_index counts in the list without it)
set_track           track_id, field: name|color|gain_db|pan|mute|solo, value
add_effect          target, index, effect: {id, type, params, bypass}
remove_effect       target, effect_id
move_effect         target, effect_id, from_index, to_index
set_effect_param    target, effect_id, param, value
set_effect_bypass   target, effect_id, bypass
add_clip            track_id, clip: {id, asset_id, start, offset, length, gain_db, fade_in, fade_out}
move_clip           track_id, clip_id, to_track_id, start   (clips keep their order by start)
trim_clip           track_id, clip_id, offset, length
set_clip            track_id, clip_id, field: gain_db|fade_in|fade_out, value
remove_clip         track_id, clip_id
set_master          field: gain_db|mastering, value
=================== ===========================================================================

Every inverse is itself one of these kinds (``remove_track``'s inverse is an ``add_track`` carrying
the whole track with its clips and effects), so "restore" or "undo" is a replay.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.core.errors import DomainError

SAMPLE_RATES = (44100, 48000, 88200, 96000)
MASTERING = (None, "streaming")
GAIN_MIN, GAIN_MAX = -60.0, 12.0
TEMPO_MIN, TEMPO_MAX = 20.0, 400.0
DENOMINATORS = (1, 2, 4, 8, 16, 32)
MAX_SECONDS = 3600.0  # the timeline is one hour long
MAX_EFFECTS = 16  # per chain
MAX_CLIPS = 256  # per track
MAX_OPERATIONS = 200  # per batch
TITLE_MAX = 120
NAME_MAX = 60
EPSILON = 1e-6
DEFAULT_COLORS = ("#7c5cff", "#22d3ee", "#34d399", "#fbbf24", "#f87171", "#f472b6", "#a3e635", "#60a5fa")

KINDS = (
    "set_project",
    "add_track",
    "remove_track",
    "move_track",
    "set_track",
    "add_effect",
    "remove_effect",
    "move_effect",
    "set_effect_param",
    "set_effect_bypass",
    "add_clip",
    "move_clip",
    "trim_clip",
    "set_clip",
    "remove_clip",
    "set_master",
)
MASTER = "master"
_ID = re.compile(r"^[a-z]{2,4}_[0-9a-z]{4,40}$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True, slots=True)
class AssetInfo:
    """What operations need to know about an asset (loaded by the service)."""

    id: str
    duration: float
    usable: bool  # ready, and the editor may use it


@dataclass(frozen=True)
class Context:
    """What validation needs from outside the document."""

    max_tracks: int = 16
    assets: Mapping[str, AssetInfo] = field(default_factory=dict)
    # ``validate_effect(type, params) -> params`` with defaults filled; the engine's by default.
    validate_effect: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None


class OperationError(DomainError):
    """A refused operation; ``field`` says which part of it (``operations.3.value``)."""


def new_document(
    title: str, *, tempo: float = 120.0, time_signature: tuple[int, int] = (4, 4), sample_rate: int = 48000
) -> dict[str, Any]:
    return {
        "title": title,
        "tempo": float(tempo),
        "time_signature": [int(time_signature[0]), int(time_signature[1])],
        "sample_rate": int(sample_rate),
        "tracks": [],
        "master": {"gain_db": 0.0, "effects": [], "mastering": None},
    }


# ----------------------------------------------------------------------------- value checks


class _Check:
    """Validation helpers bound to one operation's position in its batch, for error fields."""

    def __init__(self, position: int) -> None:
        self.position = position

    def fail(self, reason: str, part: str = "", **params: Any) -> OperationError:
        where = f"operations.{self.position}" + (f".{part}" if part else "")
        return OperationError(f"audio.errors.{reason}", field=where, number=self.position + 1, **params)

    def number(self, value: Any, part: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail("not_a_number", part)
        if not low - EPSILON <= float(value) <= high + EPSILON:
            raise self.fail("out_of_range", part, min=_fmt(low), max=_fmt(high))
        return min(high, max(low, float(value)))

    def boolean(self, value: Any, part: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail("not_a_boolean", part)
        return value

    def text(self, value: Any, part: str, max_len: int) -> str:
        if not isinstance(value, str):
            raise self.fail("not_text", part)
        cleaned = " ".join(value.split())
        if not 1 <= len(cleaned) <= max_len:
            raise self.fail("text_length", part, max=max_len)
        return cleaned

    def color(self, value: Any, part: str) -> str:
        if not isinstance(value, str) or not _COLOR.match(value):
            raise self.fail("bad_color", part)
        return value.lower()

    def new_id(self, value: Any, part: str, prefix: str, taken: set[str]) -> str:
        if not isinstance(value, str) or not _ID.match(value) or not value.startswith(prefix + "_"):
            raise self.fail("bad_id", part, prefix=prefix)
        if value in taken:
            raise self.fail("duplicate_id", part)
        return value

    def index(self, value: Any, part: str, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail("not_an_index", part)
        if not 0 <= value <= high:
            raise self.fail("index_out_of_range", part, max=high)
        return value

    def choice(self, value: Any, part: str, options: tuple[Any, ...]) -> Any:
        # ``True == 1``: a boolean is never a valid choice of rate, denominator or preset.
        if isinstance(value, bool) or value not in options:
            raise self.fail("bad_choice", part)
        return value


def _fmt(value: float) -> str:
    return f"{value:g}"


def _ids(document: Mapping[str, Any]) -> set[str]:
    """Every track, clip and effect id in the document (ids are unique project-wide)."""
    found: set[str] = set()
    for track in document["tracks"]:
        found.add(track["id"])
        found.update(e["id"] for e in track["effects"])
        found.update(c["id"] for c in track["clips"])
    found.update(e["id"] for e in document["master"]["effects"])
    return found


def _track_at(document: Mapping[str, Any], track_id: Any, check: _Check, part: str = "track_id") -> int:
    for i, track in enumerate(document["tracks"]):
        if track["id"] == track_id:
            return i
    raise check.fail("track_not_found", part)


def _chain(document: Mapping[str, Any], target: Any, check: _Check) -> list[dict[str, Any]]:
    if target == MASTER:
        return document["master"]["effects"]
    return document["tracks"][_track_at(document, target, check, "target")]["effects"]


def _effect_at(chain: list[dict[str, Any]], effect_id: Any, check: _Check) -> int:
    for i, effect in enumerate(chain):
        if effect["id"] == effect_id:
            return i
    raise check.fail("effect_not_found", "effect_id")


def _clip_at(track: Mapping[str, Any], clip_id: Any, check: _Check) -> int:
    for i, clip in enumerate(track["clips"]):
        if clip["id"] == clip_id:
            return i
    raise check.fail("clip_not_found", "clip_id")


def _engine_validate(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    from backend.audio.engine import effects  # the engine's menu of plugins and their ranges

    return effects.validate_effect(kind, params)


def _params(kind: str, params: dict[str, Any], check: _Check, ctx: Context, part: str) -> dict[str, Any]:
    validate = ctx.validate_effect or _engine_validate
    try:
        return dict(validate(kind, params))
    except DomainError as exc:
        # The engine names the parameter; say which operation it was in.
        # set_effect_param passes no part: the fault is its one value.
        sub = (
            f"{part}.params.{exc.field}"
            if exc.field not in (None, "type", "params")
            else f"{part}.{exc.field}"
        )
        sub = sub if part else "value"
        raise OperationError(
            exc.key, field=f"operations.{check.position}.{sub}", number=check.position + 1, **exc.params
        ) from None


def _effect(raw: Any, check: _Check, ctx: Context, taken: set[str], part: str = "effect") -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise check.fail("bad_payload", part)
    effect_id = check.new_id(raw.get("id"), f"{part}.id", "fx", taken)
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise check.fail("unknown_effect", f"{part}.type")
    params = raw.get("params") or {}
    if not isinstance(params, Mapping):
        raise check.fail("bad_payload", f"{part}.params")
    clean = _params(kind, dict(params), check, ctx, part)
    bypass = check.boolean(raw.get("bypass", False), f"{part}.bypass")
    return {"id": effect_id, "type": kind, "params": dict(clean), "bypass": bypass}


def _clip(raw: Any, check: _Check, ctx: Context, taken: set[str], part: str = "clip") -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise check.fail("bad_payload", part)
    clip_id = check.new_id(raw.get("id"), f"{part}.id", "clp", taken)
    asset_id = raw.get("asset_id")
    asset = ctx.assets.get(asset_id) if isinstance(asset_id, str) else None
    if asset is None:
        raise check.fail("asset_not_found", f"{part}.asset_id")
    if not asset.usable:
        raise check.fail("asset_not_ready", f"{part}.asset_id")
    start = check.number(raw.get("start", 0.0), f"{part}.start", 0.0, MAX_SECONDS)
    offset = check.number(raw.get("offset", 0.0), f"{part}.offset", 0.0, asset.duration)
    length = check.number(
        raw.get("length", asset.duration - offset), f"{part}.length", 0.0, asset.duration - offset
    )
    clip = {
        "id": clip_id,
        "asset_id": asset_id,
        "start": start,
        "offset": offset,
        "length": length,
        "gain_db": check.number(raw.get("gain_db", 0.0), f"{part}.gain_db", GAIN_MIN, GAIN_MAX),
        "fade_in": check.number(raw.get("fade_in", 0.0), f"{part}.fade_in", 0.0, MAX_SECONDS),
        "fade_out": check.number(raw.get("fade_out", 0.0), f"{part}.fade_out", 0.0, MAX_SECONDS),
    }
    _check_clip_shape(clip, check, part)
    return clip


def _check_clip_shape(clip: Mapping[str, Any], check: _Check, part: str) -> None:
    if clip["length"] <= EPSILON:
        raise check.fail("clip_too_short", f"{part}.length")
    if clip["start"] + clip["length"] > MAX_SECONDS + EPSILON:
        raise check.fail("clip_past_end", f"{part}.start", max=_fmt(MAX_SECONDS))
    if clip["fade_in"] + clip["fade_out"] > clip["length"] + EPSILON:
        raise check.fail("fades_too_long", f"{part}.fade_in")


def _sorted_clips(clips: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(clips, key=lambda c: (c["start"], c["id"]))


def _track(raw: Any, check: _Check, ctx: Context, taken: set[str], index: int) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise check.fail("bad_payload", "track")
    track_id = check.new_id(raw.get("id"), "track.id", "trk", taken)
    taken = taken | {track_id}
    effects_raw = raw.get("effects") or []
    clips_raw = raw.get("clips") or []
    if not isinstance(effects_raw, list) or len(effects_raw) > MAX_EFFECTS:
        raise check.fail("too_many_effects", "track.effects", max=MAX_EFFECTS)
    if not isinstance(clips_raw, list) or len(clips_raw) > MAX_CLIPS:
        raise check.fail("too_many_clips", "track.clips", max=MAX_CLIPS)
    effects = []
    for i, e in enumerate(effects_raw):
        effects.append(_effect(e, check, ctx, taken, f"track.effects.{i}"))
        taken = taken | {effects[-1]["id"]}
    clips = []
    for i, c in enumerate(clips_raw):
        clips.append(_clip(c, check, ctx, taken, f"track.clips.{i}"))
        taken = taken | {clips[-1]["id"]}
    name = raw.get("name") or f"Track {index + 1}"
    return {
        "id": track_id,
        "name": check.text(name, "track.name", NAME_MAX),
        "color": check.color(raw.get("color") or DEFAULT_COLORS[index % len(DEFAULT_COLORS)], "track.color"),
        "gain_db": check.number(raw.get("gain_db", 0.0), "track.gain_db", GAIN_MIN, GAIN_MAX),
        "pan": check.number(raw.get("pan", 0.0), "track.pan", -1.0, 1.0),
        "mute": check.boolean(raw.get("mute", False), "track.mute"),
        "solo": check.boolean(raw.get("solo", False), "track.solo"),
        "effects": effects,
        "clips": _sorted_clips(clips),
    }


# ----------------------------------------------------------------------------- normalize


def normalize(op: Any, document: Mapping[str, Any], ctx: Context, position: int = 0) -> dict[str, Any]:
    """Validate ``op`` against ``document``; return it with defaults filled, or raise."""
    check = _Check(position)
    if not isinstance(op, Mapping):
        raise check.fail("bad_payload")
    kind = op.get("kind")
    if kind not in KINDS:
        raise check.fail("unknown_operation", "kind")
    return _NORMALIZERS[kind](op, document, ctx, check)


def _n_set_project(op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check) -> dict[str, Any]:
    name, value = op.get("field"), op.get("value")
    if name == "title":
        value = c.text(value, "value", TITLE_MAX)
    elif name == "tempo":
        value = c.number(value, "value", TEMPO_MIN, TEMPO_MAX)
    elif name == "time_signature":
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise c.fail("bad_time_signature", "value")
        value = [c.index(value[0], "value", 32), c.choice(value[1], "value", DENOMINATORS)]
        if value[0] < 1:
            raise c.fail("bad_time_signature", "value")
    elif name == "sample_rate":
        value = c.choice(value, "value", SAMPLE_RATES)
    else:
        raise c.fail("unknown_field", "field")
    return {"kind": "set_project", "field": name, "value": value}


def _n_add_track(op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check) -> dict[str, Any]:
    count = len(doc["tracks"])
    if count >= ctx.max_tracks:
        raise c.fail("track_limit", "track", max=ctx.max_tracks)
    index = c.index(op.get("index", count), "index", count)
    return {"kind": "add_track", "index": index, "track": _track(op.get("track"), c, ctx, _ids(doc), index)}


def _n_remove_track(op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check) -> dict[str, Any]:
    _track_at(doc, op.get("track_id"), c)
    return {"kind": "remove_track", "track_id": op["track_id"]}


def _n_move_track(op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check) -> dict[str, Any]:
    at = _track_at(doc, op.get("track_id"), c)
    last = len(doc["tracks"]) - 1
    from_index = c.index(op.get("from_index", at), "from_index", last)
    if from_index != at:
        raise c.fail("track_moved", "from_index")
    to_index = c.index(op.get("to_index"), "to_index", last)
    return {"kind": "move_track", "track_id": op["track_id"], "from_index": from_index, "to_index": to_index}


_TRACK_FIELDS = ("name", "color", "gain_db", "pan", "mute", "solo")


def _n_set_track(op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check) -> dict[str, Any]:
    _track_at(doc, op.get("track_id"), c)
    name, value = op.get("field"), op.get("value")
    if name == "name":
        value = c.text(value, "value", NAME_MAX)
    elif name == "color":
        value = c.color(value, "value")
    elif name == "gain_db":
        value = c.number(value, "value", GAIN_MIN, GAIN_MAX)
    elif name == "pan":
        value = c.number(value, "value", -1.0, 1.0)
    elif name in ("mute", "solo"):
        value = c.boolean(value, "value")
    else:
        raise c.fail("unknown_field", "field")
    return {"kind": "set_track", "track_id": op["track_id"], "field": name, "value": value}


def _n_add_effect(op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check) -> dict[str, Any]:
    target = op.get("target")
    chain = _chain(doc, target, c)
    if len(chain) >= MAX_EFFECTS:
        raise c.fail("too_many_effects", "effect", max=MAX_EFFECTS)
    index = c.index(op.get("index", len(chain)), "index", len(chain))
    effect = _effect(op.get("effect"), c, ctx, _ids(doc))
    return {"kind": "add_effect", "target": target, "index": index, "effect": effect}


def _n_remove_effect(
    op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check
) -> dict[str, Any]:
    _effect_at(_chain(doc, op.get("target"), c), op.get("effect_id"), c)
    return {"kind": "remove_effect", "target": op["target"], "effect_id": op["effect_id"]}


def _n_move_effect(op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check) -> dict[str, Any]:
    chain = _chain(doc, op.get("target"), c)
    at = _effect_at(chain, op.get("effect_id"), c)
    from_index = c.index(op.get("from_index", at), "from_index", len(chain) - 1)
    if from_index != at:
        raise c.fail("effect_moved", "from_index")
    to_index = c.index(op.get("to_index"), "to_index", len(chain) - 1)
    return {
        "kind": "move_effect",
        "target": op["target"],
        "effect_id": op["effect_id"],
        "from_index": from_index,
        "to_index": to_index,
    }


def _n_set_effect_param(
    op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check
) -> dict[str, Any]:
    chain = _chain(doc, op.get("target"), c)
    effect = chain[_effect_at(chain, op.get("effect_id"), c)]
    param = op.get("param")
    if not isinstance(param, str) or param not in effect["params"]:
        raise c.fail("unknown_param", "param")
    clean = _params(effect["type"], {**effect["params"], param: op.get("value")}, c, ctx, "")
    return {
        "kind": "set_effect_param",
        "target": op["target"],
        "effect_id": op["effect_id"],
        "param": param,
        "value": clean[param],
    }


def _n_set_effect_bypass(
    op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check
) -> dict[str, Any]:
    _effect_at(_chain(doc, op.get("target"), c), op.get("effect_id"), c)
    return {
        "kind": "set_effect_bypass",
        "target": op["target"],
        "effect_id": op["effect_id"],
        "bypass": c.boolean(op.get("bypass"), "bypass"),
    }


def _n_add_clip(op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check) -> dict[str, Any]:
    track = doc["tracks"][_track_at(doc, op.get("track_id"), c)]
    if len(track["clips"]) >= MAX_CLIPS:
        raise c.fail("too_many_clips", "clip", max=MAX_CLIPS)
    return {"kind": "add_clip", "track_id": op["track_id"], "clip": _clip(op.get("clip"), c, ctx, _ids(doc))}


def _find_clip(op: Mapping[str, Any], doc: Mapping[str, Any], c: _Check) -> dict[str, Any]:
    track = doc["tracks"][_track_at(doc, op.get("track_id"), c)]
    return track["clips"][_clip_at(track, op.get("clip_id"), c)]


def _n_move_clip(op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check) -> dict[str, Any]:
    clip = _find_clip(op, doc, c)
    to_track = op.get("to_track_id", op.get("track_id"))
    target = doc["tracks"][_track_at(doc, to_track, c, "to_track_id")]
    if to_track != op["track_id"] and len(target["clips"]) >= MAX_CLIPS:
        raise c.fail("too_many_clips", "to_track_id", max=MAX_CLIPS)
    start = c.number(op.get("start"), "start", 0.0, MAX_SECONDS)
    _check_clip_shape({**clip, "start": start}, c, "start")
    return {
        "kind": "move_clip",
        "track_id": op["track_id"],
        "clip_id": op["clip_id"],
        "to_track_id": to_track,
        "start": start,
    }


def _n_trim_clip(op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check) -> dict[str, Any]:
    clip = _find_clip(op, doc, c)
    asset = ctx.assets.get(clip["asset_id"])
    # The asset may have been deleted since; the clip's own extent is then the limit.
    duration = asset.duration if asset is not None else clip["offset"] + clip["length"]
    offset = c.number(op.get("offset", clip["offset"]), "offset", 0.0, duration)
    length = c.number(op.get("length", clip["length"]), "length", 0.0, duration - offset)
    _check_clip_shape({**clip, "offset": offset, "length": length}, c, "length")
    return {
        "kind": "trim_clip",
        "track_id": op["track_id"],
        "clip_id": op["clip_id"],
        "offset": offset,
        "length": length,
    }


def _n_set_clip(op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check) -> dict[str, Any]:
    clip = _find_clip(op, doc, c)
    name = op.get("field")
    if name == "gain_db":
        value = c.number(op.get("value"), "value", GAIN_MIN, GAIN_MAX)
    elif name in ("fade_in", "fade_out"):
        value = c.number(op.get("value"), "value", 0.0, clip["length"])
        _check_clip_shape({**clip, name: value}, c, "value")
    else:
        raise c.fail("unknown_field", "field")
    return {
        "kind": "set_clip",
        "track_id": op["track_id"],
        "clip_id": op["clip_id"],
        "field": name,
        "value": value,
    }


def _n_remove_clip(op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check) -> dict[str, Any]:
    _find_clip(op, doc, c)
    return {"kind": "remove_clip", "track_id": op["track_id"], "clip_id": op["clip_id"]}


def _n_set_master(op: Mapping[str, Any], doc: Mapping[str, Any], ctx: Context, c: _Check) -> dict[str, Any]:
    name = op.get("field")
    if name == "gain_db":
        value = c.number(op.get("value"), "value", GAIN_MIN, GAIN_MAX)
    elif name == "mastering":
        value = c.choice(op.get("value"), "value", MASTERING)
    else:
        raise c.fail("unknown_field", "field")
    return {"kind": "set_master", "field": name, "value": value}


_NORMALIZERS: dict[str, Callable[..., dict[str, Any]]] = {
    "set_project": _n_set_project,
    "add_track": _n_add_track,
    "remove_track": _n_remove_track,
    "move_track": _n_move_track,
    "set_track": _n_set_track,
    "add_effect": _n_add_effect,
    "remove_effect": _n_remove_effect,
    "move_effect": _n_move_effect,
    "set_effect_param": _n_set_effect_param,
    "set_effect_bypass": _n_set_effect_bypass,
    "add_clip": _n_add_clip,
    "move_clip": _n_move_clip,
    "trim_clip": _n_trim_clip,
    "set_clip": _n_set_clip,
    "remove_clip": _n_remove_clip,
    "set_master": _n_set_master,
}


# ----------------------------------------------------------------------------- apply


def _track_index(doc: Mapping[str, Any], track_id: str) -> int:
    return next(i for i, t in enumerate(doc["tracks"]) if t["id"] == track_id)


def _chain_of(doc: dict[str, Any], target: str) -> list[dict[str, Any]]:
    if target == MASTER:
        return doc["master"]["effects"]
    return doc["tracks"][_track_index(doc, target)]["effects"]


def _effect_index(chain: list[dict[str, Any]], effect_id: str) -> int:
    return next(i for i, e in enumerate(chain) if e["id"] == effect_id)


def _clip_index(track: Mapping[str, Any], clip_id: str) -> int:
    return next(i for i, c in enumerate(track["clips"]) if c["id"] == clip_id)


def apply(document: Mapping[str, Any], op: Mapping[str, Any]) -> dict[str, Any]:
    """Apply a *normalized* operation to a copy of ``document``."""
    doc: dict[str, Any] = copy.deepcopy(dict(document))
    _apply_in_place(doc, op)
    return doc


def _apply_in_place(doc: dict[str, Any], op: Mapping[str, Any]) -> None:
    """The change itself, made on ``doc`` (a private copy). Values taken from ``op`` are copied."""
    kind = op["kind"]
    if kind == "set_project":
        doc[op["field"]] = copy.deepcopy(op["value"])
    elif kind == "add_track":
        doc["tracks"].insert(op["index"], copy.deepcopy(op["track"]))
    elif kind == "remove_track":
        del doc["tracks"][_track_index(doc, op["track_id"])]
    elif kind == "move_track":
        track = doc["tracks"].pop(op["from_index"])
        doc["tracks"].insert(op["to_index"], track)
    elif kind == "set_track":
        doc["tracks"][_track_index(doc, op["track_id"])][op["field"]] = op["value"]
    elif kind == "add_effect":
        _chain_of(doc, op["target"]).insert(op["index"], copy.deepcopy(op["effect"]))
    elif kind == "remove_effect":
        chain = _chain_of(doc, op["target"])
        del chain[_effect_index(chain, op["effect_id"])]
    elif kind == "move_effect":
        chain = _chain_of(doc, op["target"])
        chain.insert(op["to_index"], chain.pop(op["from_index"]))
    elif kind == "set_effect_param":
        chain = _chain_of(doc, op["target"])
        chain[_effect_index(chain, op["effect_id"])]["params"][op["param"]] = op["value"]
    elif kind == "set_effect_bypass":
        chain = _chain_of(doc, op["target"])
        chain[_effect_index(chain, op["effect_id"])]["bypass"] = op["bypass"]
    elif kind == "add_clip":
        track = doc["tracks"][_track_index(doc, op["track_id"])]
        track["clips"] = _sorted_clips([*track["clips"], copy.deepcopy(op["clip"])])
    elif kind == "move_clip":
        source = doc["tracks"][_track_index(doc, op["track_id"])]
        clip = source["clips"].pop(_clip_index(source, op["clip_id"]))
        clip["start"] = op["start"]
        target = doc["tracks"][_track_index(doc, op["to_track_id"])]
        target["clips"] = _sorted_clips([*target["clips"], clip])
    elif kind == "trim_clip":
        track = doc["tracks"][_track_index(doc, op["track_id"])]
        clip = track["clips"][_clip_index(track, op["clip_id"])]
        clip["offset"], clip["length"] = op["offset"], op["length"]
    elif kind == "set_clip":
        track = doc["tracks"][_track_index(doc, op["track_id"])]
        track["clips"][_clip_index(track, op["clip_id"])][op["field"]] = op["value"]
    elif kind == "remove_clip":
        track = doc["tracks"][_track_index(doc, op["track_id"])]
        del track["clips"][_clip_index(track, op["clip_id"])]
    elif kind == "set_master":
        doc["master"][op["field"]] = op["value"]
    else:  # pragma: no cover - normalize() refuses unknown kinds
        raise ValueError(kind)


# ----------------------------------------------------------------------------- invert


def invert(document: Mapping[str, Any], op: Mapping[str, Any]) -> dict[str, Any]:
    """The operation that turns ``apply(document, op)`` back into ``document``."""
    kind = op["kind"]
    if kind == "set_project":
        return {**op, "value": copy.deepcopy(document[op["field"]])}
    if kind == "add_track":
        return {"kind": "remove_track", "track_id": op["track"]["id"]}
    if kind == "remove_track":
        index = _track_index(document, op["track_id"])
        return {"kind": "add_track", "index": index, "track": copy.deepcopy(document["tracks"][index])}
    if kind == "move_track":
        return {**op, "from_index": op["to_index"], "to_index": op["from_index"]}
    if kind == "set_track":
        return {**op, "value": document["tracks"][_track_index(document, op["track_id"])][op["field"]]}
    if kind == "add_effect":
        return {"kind": "remove_effect", "target": op["target"], "effect_id": op["effect"]["id"]}
    if kind in ("remove_effect", "set_effect_param", "set_effect_bypass"):
        chain = _chain_of(dict(document), op["target"])
        index = _effect_index(chain, op["effect_id"])
        effect = chain[index]
        if kind == "remove_effect":
            return {
                "kind": "add_effect",
                "target": op["target"],
                "index": index,
                "effect": copy.deepcopy(effect),
            }
        if kind == "set_effect_param":
            return {**op, "value": effect["params"][op["param"]]}
        return {**op, "bypass": effect["bypass"]}
    if kind == "move_effect":
        return {**op, "from_index": op["to_index"], "to_index": op["from_index"]}
    if kind == "add_clip":
        return {"kind": "remove_clip", "track_id": op["track_id"], "clip_id": op["clip"]["id"]}
    track = document["tracks"][_track_index(document, op["track_id"])] if "track_id" in op else None
    if kind == "move_clip":
        assert track is not None
        clip = track["clips"][_clip_index(track, op["clip_id"])]
        return {
            "kind": "move_clip",
            "track_id": op["to_track_id"],
            "clip_id": op["clip_id"],
            "to_track_id": op["track_id"],
            "start": clip["start"],
        }
    if kind in ("trim_clip", "set_clip", "remove_clip"):
        assert track is not None
        clip = track["clips"][_clip_index(track, op["clip_id"])]
        if kind == "trim_clip":
            return {**op, "offset": clip["offset"], "length": clip["length"]}
        if kind == "set_clip":
            return {**op, "value": clip[op["field"]]}
        return {"kind": "add_clip", "track_id": op["track_id"], "clip": copy.deepcopy(clip)}
    if kind == "set_master":
        return {**op, "value": document["master"][op["field"]]}
    raise ValueError(kind)  # pragma: no cover


# ----------------------------------------------------------------------------- batches


@dataclass(frozen=True, slots=True)
class Applied:
    document: dict[str, Any]
    operations: list[dict[str, Any]]  # normalized
    inverses: list[dict[str, Any]]


def apply_batch(document: Mapping[str, Any], ops: list[Any], ctx: Context) -> Applied:
    """Validate and apply each operation in turn (each sees the previous one's result).

    All or nothing: the first refusal raises and the caller keeps its document.
    """
    if not ops:
        raise OperationError("audio.errors.no_operations", field="operations")
    if len(ops) > MAX_OPERATIONS:
        raise OperationError("audio.errors.too_many_operations", field="operations", max=MAX_OPERATIONS)
    # One copy for the whole batch (not one per operation): a 64-track song is a big document,
    # and a JSON round trip copies plain JSON several times faster than ``copy.deepcopy``.
    current: dict[str, Any] = json.loads(json.dumps(document))
    normalized, inverses = [], []
    for position, raw in enumerate(ops):
        op = normalize(raw, current, ctx, position)
        inverses.append(copy.deepcopy(invert(current, op)))
        _apply_in_place(current, op)
        normalized.append(op)
    return Applied(document=current, operations=normalized, inverses=inverses)


def asset_ids(document: Mapping[str, Any]) -> set[str]:
    return {clip["asset_id"] for track in document["tracks"] for clip in track["clips"]}


def duration(document: Mapping[str, Any]) -> float:
    """Where the last clip ends, in seconds."""
    ends = [c["start"] + c["length"] for t in document["tracks"] for c in t["clips"]]
    return max(ends, default=0.0)
