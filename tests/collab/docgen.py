"""Random studio documents and random *valid* operations on them, for the transformation tests.

Everything is built with the studio's own ``normalize``/``apply``, so an operation this module
returns is one the server would accept on that document. Values stay clear of the constraints that
span two objects (fades vs a concurrent shorter trim, the one-hour end, the track limit): those are
refused by validation by design (see ``backend/collab/transform.py``) and have their own tests.
Documents are small so that concurrent operations often touch the same track, clip or effect.
"""

from __future__ import annotations

import random
import string
from typing import Any

from backend.audio import operations as ops
from backend.audio.engine.effects import EFFECTS

ASSETS = {
    "ast_aaaa0001": ops.AssetInfo("ast_aaaa0001", 30.0, True),
    "ast_bbbb0002": ops.AssetInfo("ast_bbbb0002", 12.0, True),
    "ast_cccc0003": ops.AssetInfo("ast_cccc0003", 60.0, True),
}
CONTEXT = ops.Context(max_tracks=64, assets=ASSETS)
EFFECT_TYPES = ("reverb", "compressor", "delay", "ladder_filter", "gain", "lowpass")


def new_id(rng: random.Random, prefix: str) -> str:
    return prefix + "_" + "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(10))


def _number(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 3)


def _clip(rng: random.Random) -> dict[str, Any]:
    asset = rng.choice(list(ASSETS.values()))
    offset = _number(rng, 0.0, 2.0)
    return {
        "id": new_id(rng, "clp"),
        "asset_id": asset.id,
        "start": _number(rng, 0.0, 100.0),
        "offset": offset,
        "length": _number(rng, 0.5, min(8.0, asset.duration - offset)),
        "gain_db": _number(rng, -12.0, 6.0),
        "fade_in": _number(rng, 0.0, 0.1),
        "fade_out": _number(rng, 0.0, 0.1),
    }


def _effect(rng: random.Random) -> dict[str, Any]:
    return {"id": new_id(rng, "fx"), "type": rng.choice(EFFECT_TYPES), "bypass": rng.random() < 0.2}


def _track(rng: random.Random, clips: int, effects: int) -> dict[str, Any]:
    return {
        "id": new_id(rng, "trk"),
        "name": rng.choice(["Drums", "Bass", "Keys", "Vox", "Pad"]),
        "gain_db": _number(rng, -12.0, 3.0),
        "pan": _number(rng, -1.0, 1.0),
        "effects": [_effect(rng) for _ in range(effects)],
        "clips": [_clip(rng) for _ in range(clips)],
    }


def document(rng: random.Random, max_tracks: int = 4) -> dict[str, Any]:
    doc = ops.new_document("Song", tempo=_number(rng, 60, 180))
    batch: list[dict[str, Any]] = []
    for i in range(rng.randint(1, max_tracks)):
        # The first track has a clip and an effect, so every kind of operation has something to do.
        clips, effects = rng.randint(1 if i == 0 else 0, 3), rng.randint(1 if i == 0 else 0, 2)
        batch.append({"kind": "add_track", "track": _track(rng, clips, effects)})
    for _ in range(rng.randint(0, 2)):
        batch.append({"kind": "add_effect", "target": "master", "effect": _effect(rng)})
    return ops.apply_batch(doc, batch, CONTEXT).document


def _effects(doc: dict[str, Any]) -> list[tuple[str, int, dict[str, Any]]]:
    found = [("master", i, e) for i, e in enumerate(doc["master"]["effects"])]
    for track in doc["tracks"]:
        found += [(track["id"], i, e) for i, e in enumerate(track["effects"])]
    return found


def _clips(doc: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(track, clip) for track in doc["tracks"] for clip in track["clips"]]


def _param_value(rng: random.Random, effect_type: str, name: str) -> Any:
    spec = EFFECTS[effect_type].param(name)
    assert spec is not None
    if spec.choices:
        return rng.choice(spec.choices)
    if spec.unit in ("bits", "semitones"):
        return float(rng.randint(int(spec.min), int(spec.max)))
    return _number(rng, spec.min, spec.max)


def raw_operation(rng: random.Random, doc: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """An operation of ``kind`` that makes sense on ``doc``, or None when none does."""
    tracks = doc["tracks"]
    effects = _effects(doc)
    clips = _clips(doc)
    if kind == "set_project":
        name = rng.choice(["title", "tempo", "time_signature", "sample_rate"])
        value: Any = {
            "title": rng.choice(["Song", "Night drive", "Take two"]),
            "tempo": _number(rng, 60, 200),
            "time_signature": [rng.randint(2, 7), rng.choice([4, 8])],
            "sample_rate": rng.choice(ops.SAMPLE_RATES),
        }[name]
        return {"kind": kind, "field": name, "value": value}
    if kind == "set_master":
        if rng.random() < 0.5:
            return {"kind": kind, "field": "gain_db", "value": _number(rng, -12, 6)}
        return {"kind": kind, "field": "mastering", "value": rng.choice(ops.MASTERING)}
    if kind == "add_track":
        track = _track(rng, rng.randint(0, 1), rng.randint(0, 1))
        return {"kind": kind, "index": rng.randint(0, len(tracks)), "track": track}
    if kind == "add_effect":
        target = rng.choice(["master"] + [t["id"] for t in tracks])
        chain = ops._chain_of(doc, target)
        return {"kind": kind, "target": target, "index": rng.randint(0, len(chain)), "effect": _effect(rng)}
    if not tracks:
        return None
    track = rng.choice(tracks)
    at = tracks.index(track)
    if kind == "remove_track":
        return {"kind": kind, "track_id": track["id"]}
    if kind == "move_track":
        return {
            "kind": kind,
            "track_id": track["id"],
            "from_index": at,
            "to_index": rng.randrange(len(tracks)),
        }
    if kind == "set_track":
        name = rng.choice(["name", "color", "gain_db", "pan", "mute", "solo"])
        value = {
            "name": rng.choice(["Lead", "Bass", "Choir"]),
            "color": rng.choice(ops.DEFAULT_COLORS),
            "gain_db": _number(rng, -24, 6),
            "pan": _number(rng, -1, 1),
            "mute": rng.random() < 0.5,
            "solo": rng.random() < 0.5,
        }[name]
        return {"kind": kind, "track_id": track["id"], "field": name, "value": value}
    if kind == "add_clip":
        return {"kind": kind, "track_id": track["id"], "clip": _clip(rng)}
    if kind in ("remove_effect", "move_effect", "set_effect_param", "set_effect_bypass"):
        if not effects:
            return None
        target, index, effect = rng.choice(effects)
        base = {"kind": kind, "target": target, "effect_id": effect["id"]}
        if kind == "move_effect":
            size = len(ops._chain_of(doc, target))
            return {**base, "from_index": index, "to_index": rng.randrange(size)}
        if kind == "set_effect_param":
            name = rng.choice(sorted(effect["params"]))
            return {**base, "param": name, "value": _param_value(rng, effect["type"], name)}
        if kind == "set_effect_bypass":
            return {**base, "bypass": rng.random() < 0.5}
        return base
    if not clips:
        return None
    owner, clip = rng.choice(clips)
    base = {"kind": kind, "track_id": owner["id"], "clip_id": clip["id"]}
    if kind == "remove_clip":
        return base
    if kind == "move_clip":
        return {**base, "to_track_id": rng.choice(tracks)["id"], "start": _number(rng, 0, 100)}
    if kind == "trim_clip":
        duration = ASSETS[clip["asset_id"]].duration
        offset = _number(rng, 0.0, 2.0)
        return {**base, "offset": offset, "length": _number(rng, 0.5, min(8.0, duration - offset))}
    if kind == "set_clip":
        name = rng.choice(["gain_db", "fade_in", "fade_out"])
        value = _number(rng, -12, 6) if name == "gain_db" else _number(rng, 0.0, 0.1)
        return {**base, "field": name, "value": value}
    raise ValueError(kind)


def operation(rng: random.Random, doc: dict[str, Any], kind: str | None = None) -> dict[str, Any] | None:
    """A *normalized* operation (of ``kind``, or any kind that fits) valid on ``doc``."""
    kinds = [kind] if kind else list(ops.KINDS)
    for _ in range(20):
        chosen = rng.choice(kinds)
        raw = raw_operation(rng, doc, chosen)
        if raw is not None:
            return ops.normalize(raw, doc, CONTEXT)
    return None


def apply_all(doc: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    """Validate and apply each operation in turn, as the server would (raises if one is refused)."""
    if not operations:
        return doc
    return ops.apply_batch(doc, operations, CONTEXT).document
