"""Operational transformation of the studio's project operations. Pure functions, no I/O.

``transform(a, b) -> (a2, b2)``: ``a`` and ``b`` were both made on the same document; ``a2`` is ``a``
rewritten to apply after ``b``, ``b2`` is ``b`` rewritten to apply after ``a``, and both orders end in
the same document (TP1)::

    apply_all(apply(doc, b), a2) == apply_all(apply(doc, a), b2)

Each side is a *list*: ``[]`` is the noop an operation becomes when it lost its meaning, and one
case (a clip rescued from a deleted track) needs two operations. ``a`` is always the operation that
is not committed yet (a client's pending edit) and ``b`` the committed one, on the server and in the
browser alike, so "the later commit" is well defined everywhere.

What happens to each named conflict (and why):

- **Same value set twice** (a track's gain, an effect parameter, a clip's trim or fade, the tempo, the
  master's mastering, ...): the later commit wins; the earlier one becomes a noop for the later writer.
- **Two people move the same clip**: the later commit wins (its track and start); the earlier move is
  overridden, not merged (half of each move would be a place nobody chose).
- **A track is deleted while someone tweaks its reverb** (or trims one of its clips, adds a clip or an
  effect to it): the tweak becomes a noop. The deletion's inverse in the log (what "restore" replays)
  holds the track as it was when it was deleted: tweaks committed before the deletion come back with
  it; a tweak that arrived after the deletion was never applied and does not.
- **A clip is moved onto a track someone deleted**: the clip stays on its own track, at its new time
  (the deleter never saw it on their track, so they did not mean to delete it) — unless its own
  track is being deleted concurrently too: then it goes with them.
- **A clip is moved off a track someone deleted**: it is deleted with the track (the deletion took the
  clip's data with it; the log's inverse can still bring it back).
- **Two tracks inserted at the same index** (or effects in one chain): both kept; the one committed
  first keeps the index, the later one goes right after it.
- **Tempo change vs clip trim**: independent (clip times are seconds, not beats).
- Reordering tracks or effects while others insert, delete or reorder: positions are rebased as a
  list; moving an element someone deleted is a noop; two moves of one element: the later wins.

Constraints that span two objects (fades longer than a clip trimmed shorter concurrently, a clip
moved past the one-hour end while trimmed longer, the plan's track limit reached by two concurrent
inserts) are not transformed away: the server validates the transformed batch like any other and
refuses it with a translated error telling the client to resynchronise.

``remove_track`` and ``remove_effect`` name their object by id only, but rebasing list positions
needs where it was: while they are transformed they carry ``index`` (added by ``annotate`` from the
document they were made on, or by ``annotate_from_inverse`` from the log). ``normalize`` drops it.

``web/static/collab-ot.js`` is a line-for-line port for the browser; ``tests/collab`` checks that
both give the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Op = dict[str, Any]
Ops = list[Op]

TRACK_LIST = ("add_track", "remove_track", "move_track")
EFFECT_LIST = ("add_effect", "remove_effect", "move_effect")
CLIP_KINDS = ("move_clip", "trim_clip", "set_clip", "remove_clip")


# ----------------------------------------------------------------------------- annotations


def annotate(op: Mapping[str, Any], document: Mapping[str, Any]) -> Op:
    """Add ``index`` to a removal, from the document it was made on (other kinds pass unchanged)."""
    out = dict(op)
    kind = op.get("kind")
    if kind == "remove_track":
        for i, track in enumerate(document["tracks"]):
            if track["id"] == op.get("track_id"):
                out["index"] = i
    elif kind == "remove_effect":
        chain = _chain(document, op.get("target"))
        for i, effect in enumerate(chain or []):
            if effect["id"] == op.get("effect_id"):
                out["index"] = i
    return out


def annotate_from_inverse(op: Mapping[str, Any], inverse: Mapping[str, Any] | None) -> Op:
    """The same, for a committed operation: its stored inverse (an insert) says where it was."""
    out = dict(op)
    if op.get("kind") in ("remove_track", "remove_effect") and inverse is not None:
        out["index"] = inverse["index"]
    return out


def _chain(document: Mapping[str, Any], target: Any) -> list[dict[str, Any]] | None:
    if target == "master":
        return document["master"]["effects"]
    for track in document["tracks"]:
        if track["id"] == target:
            return track["effects"]
    return None


# ----------------------------------------------------------------------------- sequences


def transform_batches(pending: Sequence[Op], committed: Sequence[Op]) -> tuple[Ops, Ops]:
    """Transform a sequence against a sequence (the usual grid of pairwise transforms).

    Returns ``(pending2, committed2)``: ``pending2`` applies after ``committed``; ``committed2``
    applies after ``pending`` (what a client applies to its optimistic view)."""
    a: Ops = list(pending)
    out_b: Ops = []
    for y in committed:
        ys = [y]
        next_a: Ops = []
        for x in a:
            xs, ys = _one_against_many(x, ys)
            next_a.extend(xs)
        a = next_a
        out_b.extend(ys)
    return a, out_b


def _one_against_many(x: Op, ys: Ops) -> tuple[Ops, Ops]:
    xs: Ops = [x]
    out: Ops = []
    for y in ys:
        if not xs:
            out.append(y)  # x became a noop: nothing left to transform y against
            continue
        # Only an operation that expanded into two recurses, so the depth stays tiny.
        xs, y2 = transform(xs[0], y) if len(xs) == 1 else transform_batches(xs, [y])
        out.extend(y2)
    return xs, out


# ----------------------------------------------------------------------------- pairs


def transform(a: Op, b: Op) -> tuple[Ops, Ops]:
    """``a`` pending (wins ties of "the later commit"), ``b`` committed."""
    return _transform(a, b, True)


def _swap(pair: tuple[Ops, Ops]) -> tuple[Ops, Ops]:
    return pair[1], pair[0]


def _transform(a: Op, b: Op, a_later: bool) -> tuple[Ops, Ops]:
    ka, kb = a["kind"], b["kind"]
    if ka in TRACK_LIST and kb in TRACK_LIST:
        return _list_pair(a, b, a_later)
    if kb == "remove_track":
        return _against_removed_track(a, b)
    if ka == "remove_track":
        return _swap(_against_removed_track(b, a))
    if ka in EFFECT_LIST and kb in EFFECT_LIST:
        if a["target"] != b["target"]:
            return [a], [b]
        return _list_pair(a, b, a_later)
    if kb == "remove_effect":
        return _against_removed_effect(a, b)
    if ka == "remove_effect":
        return _swap(_against_removed_effect(b, a))
    if ka in CLIP_KINDS and kb in CLIP_KINDS and a["clip_id"] == b["clip_id"]:
        return _same_clip(a, b, a_later)
    key_a, key_b = _register(a), _register(b)
    if key_a is not None and key_a == key_b:
        return ([a], []) if a_later else ([], [b])
    return [a], [b]


def _register(op: Op) -> tuple[Any, ...] | None:
    """The one value an operation sets, for "the later commit wins"; None for structural kinds."""
    kind = op["kind"]
    if kind in ("set_project", "set_master"):
        return (kind, op["field"])
    if kind == "set_track":
        return (kind, op["track_id"], op["field"])
    if kind == "set_effect_param":
        return (kind, op["effect_id"], op["param"])
    if kind == "set_effect_bypass":
        return (kind, op["effect_id"])
    return None


# ----------------------------------------------------------------------------- deletions


def _touches_track(op: Op, track_id: str) -> bool:
    kind = op["kind"]
    if kind == "set_track":
        return op["track_id"] == track_id
    if kind in EFFECT_LIST or kind in ("set_effect_param", "set_effect_bypass"):
        return op["target"] == track_id
    if kind in ("add_clip", "trim_clip", "set_clip", "remove_clip"):
        return op["track_id"] == track_id
    return False


def _against_removed_track(a: Op, removal: Op) -> tuple[Ops, Ops]:
    """``a`` (not a track-list operation) against the deletion of a track."""
    gone = removal["track_id"]
    if a["kind"] == "move_clip":
        source, target = a["track_id"], a["to_track_id"]
        if source == gone:
            # The clip went with its track: the move is meaningless, and where the move put the
            # clip (another track), the deletion must take it too.
            if target == gone:
                return [], [removal]
            return [], [{"kind": "remove_clip", "track_id": target, "clip_id": a["clip_id"]}, removal]
        if target == gone:
            if a.get("rescue"):
                # A rescue (below) back onto a track that is being deleted too: both tracks the clip
                # could live on are gone, so it goes (rescuing again would ping-pong forever).
                return [{"kind": "remove_clip", "track_id": source, "clip_id": a["clip_id"]}], [removal]
            # Moved onto the deleted track: keep the clip on its own track, at the new time.
            stay = {**a, "to_track_id": source}
            back = {"kind": "move_clip", "track_id": gone, "clip_id": a["clip_id"]}
            back.update({"to_track_id": source, "start": a["start"], "rescue": True})
            return [stay], [back, removal]
        return [a], [removal]
    if _touches_track(a, gone):
        return [], [removal]
    return [a], [removal]


def _against_removed_effect(a: Op, removal: Op) -> tuple[Ops, Ops]:
    if a["kind"] in ("set_effect_param", "set_effect_bypass") and a["effect_id"] == removal["effect_id"]:
        return [], [removal]
    return [a], [removal]


# ----------------------------------------------------------------------------- clips


def _same_clip(a: Op, b: Op, a_later: bool) -> tuple[Ops, Ops]:
    ka, kb = a["kind"], b["kind"]
    if ka == "remove_clip" and kb == "remove_clip":
        return [], []
    if kb == "remove_clip":
        return _against_removed_clip(a, b)
    if ka == "remove_clip":
        return _swap(_against_removed_clip(b, a))
    if ka == "move_clip" and kb == "move_clip":
        if a_later:
            return [{**a, "track_id": b["to_track_id"]}], []
        return [], [{**b, "track_id": a["to_track_id"]}]
    if kb == "move_clip":
        return [{**a, "track_id": b["to_track_id"]}], [b]
    if ka == "move_clip":
        return [a], [{**b, "track_id": a["to_track_id"]}]
    # Two edits of one clip that stays where it is: trim vs trim or the same field, the later wins.
    same = ka == kb and (ka == "trim_clip" or a["field"] == b["field"])
    if same:
        return ([a], []) if a_later else ([], [b])
    return [a], [b]


def _against_removed_clip(a: Op, removal: Op) -> tuple[Ops, Ops]:
    if a["kind"] == "move_clip":
        # Removed where the clip was; after the move it is on the move's track.
        return [], [{**removal, "track_id": a["to_track_id"]}]
    return [], [removal]


# ----------------------------------------------------------------------------- ordered lists


def _shape(op: Op) -> tuple[str, int | None, int | None]:
    """(element id, where it was, where it goes); None: inserted / deleted."""
    kind = op["kind"]
    if kind == "add_track":
        return op["track"]["id"], None, op["index"]
    if kind == "add_effect":
        return op["effect"]["id"], None, op["index"]
    if kind in ("remove_track", "remove_effect"):
        if "index" not in op:
            raise ValueError(f"{kind} must be annotated with its index before it is transformed")
        return (op["track_id"] if kind == "remove_track" else op["effect_id"]), op["index"], None
    element = op["track_id"] if kind == "move_track" else op["effect_id"]
    return element, op["from_index"], op["to_index"]


def _reshape(op: Op, source: int | None, dest: int | None) -> Op:
    kind = op["kind"]
    if kind in ("add_track", "add_effect"):
        return {**op, "index": dest}
    if kind in ("remove_track", "remove_effect"):
        return {**op, "index": source}
    return {**op, "from_index": source, "to_index": dest}


def _moved(items: list[Any], element: Any, source: int | None, dest: int | None) -> list[Any]:
    out = list(items)
    if source is not None:
        out.pop(source)
    if dest is not None:
        out.insert(dest, element)
    return out


def _list_pair(a: Op, b: Op, a_later: bool) -> tuple[Ops, Ops]:
    """Two operations on one ordered list (the tracks, or one effect chain).

    Worked out on a stand-in list: the untouched elements keep their order, each operation's
    element lands in the gap between them that its own operation chose, and a tie (both in one gap)
    puts the earlier commit first. Both rewritten operations are read off that one final order.
    """
    x, xs, xd = _shape(a)
    y, ys, yd = _shape(b)
    if x == y:
        return _same_element(a, b, xs, xd, ys, yd, a_later)
    size = max([i for i in (xs, xd, ys, yd) if i is not None], default=0) + 3
    base: list[Any] = [("_", i) for i in range(size)]
    if xs is not None:
        base[xs] = x
    if ys is not None:
        base[ys] = y
    after_a = _moved(base, x, xs, xd)
    after_b = _moved(base, y, ys, yd)
    others = [e for e in base if e != x and e != y]

    def gap(items: list[Any], element: Any) -> int:
        return sum(1 for e in items[: items.index(element)] if e != x and e != y)

    gap_x = gap(after_a, x) if xd is not None else None
    gap_y = gap(after_b, y) if yd is not None else None
    final: list[Any] = []
    for g in range(len(others) + 1):
        here = [e for e, at in ((x, gap_x), (y, gap_y)) if at == g]
        if len(here) == 2 and a_later:
            here.reverse()  # b, committed first, keeps the index
        final.extend(here)
        if g < len(others):
            final.append(others[g])
    a2 = _reshape(a, after_b.index(x) if xs is not None else None, final.index(x) if xd is not None else None)
    b2 = _reshape(b, after_a.index(y) if ys is not None else None, final.index(y) if yd is not None else None)
    return [a2], [b2]


def _same_element(
    a: Op, b: Op, xs: int | None, xd: int | None, ys: int | None, yd: int | None, a_later: bool
) -> tuple[Ops, Ops]:
    if xs is None or ys is None:
        # Two inserts of one id (ids are unique, so a client bug): validation refuses the later.
        return [a], [b]
    if xd is None and yd is None:
        return [], []  # both deleted it
    if yd is None:
        return [], [_reshape(b, xd, None)]  # deleted wins over a move: delete from where a put it
    if xd is None:
        return [_reshape(a, yd, None)], []
    if a_later:
        return [_reshape(a, yd, xd)], []
    return [], [_reshape(b, xd, yd)]
