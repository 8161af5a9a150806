"""The named conflicts, each played through the server: two people act on the same revision, one
commits first, the other's batch is transformed. What each person meant is checked on the result."""

from __future__ import annotations

from typing import Any

from backend.audio import operations as ops
from backend.collab import transform as ot
from tests.collab import docgen
from tests.collab.helpers import document, op, shared_project, submit


def _track(doc: dict[str, Any], track_id: str) -> dict[str, Any] | None:
    return next((t for t in doc["tracks"] if t["id"] == track_id), None)


def _clip(doc: dict[str, Any], clip_id: str) -> tuple[str, dict[str, Any]] | None:
    for track in doc["tracks"]:
        for clip in track["clips"]:
            if clip["id"] == clip_id:
                return track["id"], clip
    return None


async def _race(client, shared, first: tuple[Any, list], second: tuple[Any, list]) -> dict[str, Any]:
    """Both batches made on the same revision; ``first`` commits first."""
    base = (await document(client, shared.owner, shared.project))["revision"]
    await submit(client, first[0], shared.project, base, first[1], "race-first-0001")
    await submit(client, second[0], shared.project, base, second[1], "race-second-001")
    return (await document(client, shared.owner, shared.project))["document"]


async def test_two_people_move_the_same_clip_the_later_move_wins(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    doc = await _race(
        client,
        shared,
        (
            shared.owner,
            [
                op(
                    "move_clip",
                    track_id="trk_drums0001",
                    clip_id="clp_beat00001",
                    to_track_id="trk_keys00002",
                    start=8,
                )
            ],
        ),
        (
            shared["editor"],
            [
                op(
                    "move_clip",
                    track_id="trk_drums0001",
                    clip_id="clp_beat00001",
                    to_track_id="trk_drums0001",
                    start=12,
                )
            ],
        ),
    )
    home, clip = _clip(doc, "clp_beat00001")
    # The later commit decides where the clip is: one clip, at one place, nobody's half.
    assert (home, clip["start"]) == ("trk_drums0001", 12)
    assert sum(len(t["clips"]) for t in doc["tracks"]) == 1


async def test_a_deleted_track_swallows_a_concurrent_reverb_tweak(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    tweak = [
        op(
            "set_effect_param",
            target="trk_drums0001",
            effect_id="fx_verb000001",
            param="room_size",
            value=0.95,
        )
    ]
    doc = await _race(
        client,
        shared,
        (shared.owner, [op("remove_track", track_id="trk_drums0001")]),
        (shared["editor"], tweak),
    )
    assert _track(doc, "trk_drums0001") is None
    assert [t["id"] for t in doc["tracks"]] == ["trk_keys00002"]


async def test_a_tweak_committed_before_the_deletion_comes_back_with_a_restore(
    client, make_user, monkeypatch
):
    """The decision documented in transform.py: restoring the track brings what it was when deleted."""
    from backend.collab import services as collab

    shared = await shared_project(client, make_user, monkeypatch)
    tweak = [
        op(
            "set_effect_param",
            target="trk_drums0001",
            effect_id="fx_verb000001",
            param="room_size",
            value=0.95,
        )
    ]
    await _race(
        client,
        shared,
        (shared["editor"], tweak),
        (shared.owner, [op("remove_track", track_id="trk_drums0001")]),
    )
    before_delete = (await document(client, shared.owner, shared.project))["revision"] - 1
    await collab.restore(shared.owner.actor, shared.project, revision=before_delete)
    doc = (await document(client, shared.owner, shared.project))["document"]
    drums = _track(doc, "trk_drums0001")
    assert drums is not None and drums["effects"][0]["params"]["room_size"] == 0.95


async def test_two_tracks_inserted_at_the_same_index_are_both_kept_first_commit_first(
    client, make_user, monkeypatch
):
    shared = await shared_project(client, make_user, monkeypatch)
    doc = await _race(
        client,
        shared,
        (shared["editor"], [op("add_track", index=1, track={"id": "trk_zzzz0001", "name": "Later id"})]),
        (shared.owner, [op("add_track", index=1, track={"id": "trk_aaaa0001", "name": "Earlier id"})]),
    )
    # The one committed first keeps index 1 (whatever the ids), the other goes right after.
    assert [t["id"] for t in doc["tracks"]] == [
        "trk_drums0001",
        "trk_zzzz0001",
        "trk_aaaa0001",
        "trk_keys00002",
    ]


async def test_a_tempo_change_and_a_clip_trim_are_independent(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    doc = await _race(
        client,
        shared,
        (shared.owner, [op("set_project", field="tempo", value=96)]),
        (
            shared["editor"],
            [op("trim_clip", track_id="trk_drums0001", clip_id="clp_beat00001", offset=1, length=2.5)],
        ),
    )
    _, clip = _clip(doc, "clp_beat00001")
    assert doc["tempo"] == 96 and (clip["offset"], clip["length"], clip["start"]) == (1, 2.5, 1)


async def test_a_clip_moved_onto_a_deleted_track_stays_on_its_own_track_at_the_new_time(
    client, make_user, monkeypatch
):
    shared = await shared_project(client, make_user, monkeypatch)
    doc = await _race(
        client,
        shared,
        (shared.owner, [op("remove_track", track_id="trk_keys00002")]),
        (
            shared["editor"],
            [
                op(
                    "move_clip",
                    track_id="trk_drums0001",
                    clip_id="clp_beat00001",
                    to_track_id="trk_keys00002",
                    start=6,
                )
            ],
        ),
    )
    assert _clip(doc, "clp_beat00001")[0] == "trk_drums0001" and _clip(doc, "clp_beat00001")[1]["start"] == 6


def test_the_same_conflicts_hold_in_both_orders_of_arrival() -> None:
    """TP1 on these exact pairs: whichever reached the server first, both sides agree."""
    doc = docgen.document(__import__("random").Random(7))
    track = doc["tracks"][0]
    effect = track["effects"][0]
    clip = track["clips"][0]
    pairs = [
        (
            {"kind": "remove_track", "track_id": track["id"]},
            {
                "kind": "set_effect_param",
                "target": track["id"],
                "effect_id": effect["id"],
                "param": sorted(effect["params"])[0],
                "value": effect["params"][sorted(effect["params"])[0]],
            },
        ),
        (
            {
                "kind": "move_clip",
                "track_id": track["id"],
                "clip_id": clip["id"],
                "to_track_id": track["id"],
                "start": 50.0,
            },
            {
                "kind": "move_clip",
                "track_id": track["id"],
                "clip_id": clip["id"],
                "to_track_id": track["id"],
                "start": 70.0,
            },
        ),
        (
            {"kind": "set_project", "field": "tempo", "value": 90.0},
            {
                "kind": "trim_clip",
                "track_id": track["id"],
                "clip_id": clip["id"],
                "offset": 0.0,
                "length": 1.0,
            },
        ),
    ]
    for a, b in pairs:
        for x, y in ((a, b), (b, a)):
            x_n, y_n = ops.normalize(x, doc, docgen.CONTEXT), ops.normalize(y, doc, docgen.CONTEXT)
            x2, y2 = ot.transform(ot.annotate(x_n, doc), ot.annotate(y_n, doc))
            assert docgen.apply_all(doc, [y_n, *x2]) == docgen.apply_all(doc, [x_n, *y2])
