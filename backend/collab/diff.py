"""The operations that turn one document into another (for "restore this version").

Restoring never rewrites history: it appends the operations computed here, attributed to whoever
restored. ``diff`` works object by object (fields, effect chains, clips, order), so a restore that
changes one gain is one ``set_track``; when a fine-grained plan does not validate (constraints
between a clip's length, fades and position can need another order) or is too long, the tracks that
differ are replaced whole, which always validates. The result is checked by applying it.
"""

from __future__ import annotations

from typing import Any

from backend.audio import operations as ops

Doc = dict[str, Any]
Op = dict[str, Any]

PROJECT_FIELDS = ("title", "tempo", "time_signature", "sample_rate")
MASTER_FIELDS = ("gain_db", "mastering")
TRACK_FIELDS = ("name", "color", "gain_db", "pan", "mute", "solo")
FADES = ("fade_in", "fade_out")


def diff(current: Doc, target: Doc, ctx: ops.Context) -> list[Op]:
    """Operations taking ``current`` to ``target`` (validated against ``ctx``); [] if equal."""
    refusal: ops.OperationError | None = None
    for plan in (_fine, _coarse):
        steps = plan(current, target)
        if not steps:
            return []
        if len(steps) > ops.MAX_OPERATIONS:
            continue
        try:
            result = ops.apply_batch(current, steps, ctx).document
        except ops.OperationError as exc:
            refusal = exc  # e.g. a sound of that version was deleted since
            continue
        if result == target:
            return steps
    if refusal is not None:
        raise ops.OperationError(refusal.key, field="revision", **refusal.params)
    raise ops.OperationError("collab.errors.restore_too_big", field="revision", max=ops.MAX_OPERATIONS)


def _settings(current: Doc, target: Doc) -> list[Op]:
    steps = [
        {"kind": "set_project", "field": f, "value": target[f]}
        for f in PROJECT_FIELDS
        if current[f] != target[f]
    ]
    steps += [
        {"kind": "set_master", "field": f, "value": target["master"][f]}
        for f in MASTER_FIELDS
        if current["master"][f] != target["master"][f]
    ]
    return steps + _chain("master", current["master"]["effects"], target["master"]["effects"])


def _chain(target_id: str, now: list[dict[str, Any]], want: list[dict[str, Any]]) -> list[Op]:
    """Remove, add and reorder effects of one chain, then set what differs in those kept."""
    wanted = {e["id"] for e in want}
    steps: list[Op] = [
        {"kind": "remove_effect", "target": target_id, "effect_id": e["id"]}
        for e in now
        if e["id"] not in wanted
    ]
    order = [e["id"] for e in now if e["id"] in wanted]
    had = {e["id"]: e for e in now}
    for i, effect in enumerate(want):
        if effect["id"] in order:
            at = order.index(effect["id"])
            if at != i:
                steps.append(
                    {
                        "kind": "move_effect",
                        "target": target_id,
                        "effect_id": effect["id"],
                        "from_index": at,
                        "to_index": i,
                    }
                )
                order.insert(i, order.pop(at))
            old = had[effect["id"]]
            for name, value in effect["params"].items():
                if old["params"].get(name) != value:
                    steps.append(
                        {
                            "kind": "set_effect_param",
                            "target": target_id,
                            "effect_id": effect["id"],
                            "param": name,
                            "value": value,
                        }
                    )
            if old["bypass"] != effect["bypass"]:
                steps.append(
                    {
                        "kind": "set_effect_bypass",
                        "target": target_id,
                        "effect_id": effect["id"],
                        "bypass": effect["bypass"],
                    }
                )
        else:
            steps.append({"kind": "add_effect", "target": target_id, "index": i, "effect": effect})
            order.insert(i, effect["id"])
    return steps


def _order(current_ids: list[str], target: Doc, replaced: set[str]) -> list[Op]:
    """Add missing tracks (whole) and move kept ones so the order is the target's."""
    steps: list[Op] = []
    order = list(current_ids)
    for i, track in enumerate(target["tracks"]):
        if track["id"] in order and track["id"] not in replaced:
            at = order.index(track["id"])
            if at != i:
                steps.append({"kind": "move_track", "track_id": track["id"], "from_index": at, "to_index": i})
                order.insert(i, order.pop(at))
        else:
            steps.append({"kind": "add_track", "index": i, "track": track})
            order.insert(i, track["id"])
    return steps


def _coarse(current: Doc, target: Doc) -> list[Op]:
    """Every track that differs at all is removed and added back as it should be."""
    want = {t["id"]: t for t in target["tracks"]}
    changed = {t["id"] for t in current["tracks"] if t["id"] not in want or want[t["id"]] != t}
    # A clip that moved between tracks must leave its old track before it arrives on the new one.
    clip_home = {c["id"]: t["id"] for t in current["tracks"] for c in t["clips"]}
    for track in target["tracks"]:
        for clip in track["clips"]:
            home = clip_home.get(clip["id"])
            if home is not None and home != track["id"]:
                changed |= {home, track["id"]}
    steps = [
        {"kind": "remove_track", "track_id": t} for t in (x["id"] for x in current["tracks"]) if t in changed
    ]
    kept = [t["id"] for t in current["tracks"] if t["id"] not in changed]
    return _settings(current, target) + steps + _order(kept, target, set())


def _fine(current: Doc, target: Doc) -> list[Op]:
    want = {t["id"]: t for t in target["tracks"]}
    have = {t["id"]: t for t in current["tracks"]}
    steps = _settings(current, target)
    clips_now = {c["id"]: (t["id"], c) for t in current["tracks"] for c in t["clips"]}
    clips_want = {c["id"]: (t["id"], c) for t in target["tracks"] for c in t["clips"]}
    # 1. Clips that go away, or that must move into a track that is added below (it brings them).
    for clip_id, (home, _) in clips_now.items():
        goal = clips_want.get(clip_id)
        if goal is None or goal[0] not in have:
            steps.append({"kind": "remove_clip", "track_id": home, "clip_id": clip_id})
    # 2. Tracks that go away (with whatever clips are still on them).
    steps += [{"kind": "remove_track", "track_id": t["id"]} for t in current["tracks"] if t["id"] not in want]
    # 3. Kept tracks: their settings and effects; clips that stay on a kept track.
    for track in target["tracks"]:
        old = have.get(track["id"])
        if old is None:
            continue
        steps += [
            {"kind": "set_track", "track_id": track["id"], "field": f, "value": track[f]}
            for f in TRACK_FIELDS
            if old[f] != track[f]
        ]
        steps += _chain(track["id"], old["effects"], track["effects"])
        for clip in track["clips"]:
            now = clips_now.get(clip["id"])
            if now is None:
                steps.append({"kind": "add_clip", "track_id": track["id"], "clip": clip})
            elif now[0] in want:
                steps += _clip(now[0], now[1], track["id"], clip)
            # else its old track goes away in step 2: it is added back below
    # Clips whose old track was removed in step 2 come back where they belong.
    removed_tracks = {t["id"] for t in current["tracks"] if t["id"] not in want}
    for clip_id, (goal_track, clip) in clips_want.items():
        now = clips_now.get(clip_id)
        if now is not None and now[0] in removed_tracks and goal_track in have:
            steps.append({"kind": "add_clip", "track_id": goal_track, "clip": clip})
    # 4. Order, with new tracks added whole.
    kept = [t["id"] for t in current["tracks"] if t["id"] in want]
    return steps + _order(kept, target, set())


def _clip(home: str, old: dict[str, Any], goal: str, new: dict[str, Any]) -> list[Op]:
    """Fades that shrink, the trim, fades that grow (each step keeps fades within the length),
    then the move."""
    ref = {"track_id": home, "clip_id": new["id"]}
    steps: list[Op] = []
    if old["gain_db"] != new["gain_db"]:
        steps.append({"kind": "set_clip", **ref, "field": "gain_db", "value": new["gain_db"]})
    steps += [{"kind": "set_clip", **ref, "field": f, "value": new[f]} for f in FADES if new[f] < old[f]]
    if (old["offset"], old["length"]) != (new["offset"], new["length"]):
        steps.append({"kind": "trim_clip", **ref, "offset": new["offset"], "length": new["length"]})
    steps += [{"kind": "set_clip", **ref, "field": f, "value": new[f]} for f in FADES if new[f] > old[f]]
    if (home, old["start"]) != (goal, new["start"]):
        steps.append({"kind": "move_clip", **ref, "to_track_id": goal, "start": new["start"]})
    return steps
