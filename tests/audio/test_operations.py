"""Every operation kind: validated, applied, serialized, replayed and undone — pure functions, no database."""

from __future__ import annotations

import json

import pytest

from backend.audio import operations as ops
from backend.core.errors import DomainError

ASSET = ops.AssetInfo(id="ast_tone0000", duration=10.0, usable=True)
OTHER = ops.AssetInfo(id="ast_other000", duration=4.0, usable=False)
CTX = ops.Context(max_tracks=16, assets={ASSET.id: ASSET, OTHER.id: OTHER})


def base_document() -> dict:
    doc = ops.new_document("Song")
    batch = [
        {"kind": "add_track", "index": 0, "track": {"id": "trk_drums00", "name": "Drums"}},
        {"kind": "add_track", "index": 1, "track": {"id": "trk_bass000", "name": "Bass", "color": "#22D3EE"}},
        {
            "kind": "add_clip",
            "track_id": "trk_drums00",
            "clip": {"id": "clp_one0000", "asset_id": ASSET.id, "start": 1.0, "length": 4.0},
        },
        {
            "kind": "add_effect",
            "target": "trk_drums00",
            "index": 0,
            "effect": {"id": "fx_verb0000", "type": "reverb", "params": {"room_size": 0.7}},
        },
        {
            "kind": "add_effect",
            "target": "trk_drums00",
            "effect": {"id": "fx_comp0000", "type": "compressor"},
        },
        {"kind": "add_effect", "target": "master", "effect": {"id": "fx_limit000", "type": "limiter"}},
    ]
    return ops.apply_batch(doc, batch, CTX).document


EVERY_KIND = [
    {"kind": "set_project", "field": "title", "value": "  New   title "},
    {"kind": "set_project", "field": "tempo", "value": 96},
    {"kind": "set_project", "field": "time_signature", "value": [6, 8]},
    {"kind": "set_project", "field": "sample_rate", "value": 96000},
    {"kind": "add_track", "index": 1, "track": {"id": "trk_keys000", "name": "Keys", "pan": -0.5}},
    {"kind": "remove_track", "track_id": "trk_drums00"},
    {"kind": "move_track", "track_id": "trk_drums00", "from_index": 0, "to_index": 1},
    {"kind": "set_track", "track_id": "trk_bass000", "field": "gain_db", "value": -6},
    {"kind": "set_track", "track_id": "trk_bass000", "field": "mute", "value": True},
    {"kind": "set_track", "track_id": "trk_bass000", "field": "color", "value": "#ABCDEF"},
    {
        "kind": "add_effect",
        "target": "trk_bass000",
        "index": 0,
        "effect": {"id": "fx_hp000000", "type": "highpass"},
    },
    {"kind": "remove_effect", "target": "trk_drums00", "effect_id": "fx_verb0000"},
    {
        "kind": "move_effect",
        "target": "trk_drums00",
        "effect_id": "fx_verb0000",
        "from_index": 0,
        "to_index": 1,
    },
    {
        "kind": "set_effect_param",
        "target": "trk_drums00",
        "effect_id": "fx_verb0000",
        "param": "wet_level",
        "value": 0.9,
    },
    {"kind": "set_effect_bypass", "target": "master", "effect_id": "fx_limit000", "bypass": True},
    {
        "kind": "add_clip",
        "track_id": "trk_bass000",
        "clip": {"id": "clp_two0000", "asset_id": ASSET.id, "start": 0},
    },
    {
        "kind": "move_clip",
        "track_id": "trk_drums00",
        "clip_id": "clp_one0000",
        "to_track_id": "trk_bass000",
        "start": 2.5,
    },
    {"kind": "trim_clip", "track_id": "trk_drums00", "clip_id": "clp_one0000", "offset": 1.0, "length": 2.0},
    {
        "kind": "set_clip",
        "track_id": "trk_drums00",
        "clip_id": "clp_one0000",
        "field": "fade_out",
        "value": 0.5,
    },
    {"kind": "remove_clip", "track_id": "trk_drums00", "clip_id": "clp_one0000"},
    {"kind": "set_master", "field": "mastering", "value": "streaming"},
    {"kind": "set_master", "field": "gain_db", "value": -3.5},
]


def test_every_kind_is_covered():
    assert {op["kind"] for op in EVERY_KIND} == set(ops.KINDS)


@pytest.mark.parametrize("raw", EVERY_KIND, ids=lambda op: f"{op['kind']}:{op.get('field', '')}")
def test_every_kind_round_trips_and_inverts(raw):
    doc = base_document()
    before = json.dumps(doc, sort_keys=True)
    op = ops.normalize(raw, doc, CTX)
    result = ops.apply(doc, op)
    assert json.dumps(doc, sort_keys=True) == before, "apply must not modify its input"
    assert result != doc

    # Serialized as the log stores it, then replayed: the same document.
    wire = json.loads(json.dumps(op))
    assert ops.normalize(wire, doc, CTX) == op  # normalized ops are a fixed point
    assert ops.apply(doc, wire) == result
    assert json.loads(json.dumps(result)) == result

    # Its inverse, also serialized, brings the document back.
    inverse = json.loads(json.dumps(ops.invert(doc, op)))
    assert inverse["kind"] in ops.KINDS
    assert ops.apply(result, ops.normalize(inverse, result, CTX)) == doc


def test_normalizing_fills_defaults_from_the_effect_menu():
    doc = base_document()
    comp = doc["tracks"][0]["effects"][1]
    assert comp["type"] == "compressor" and comp["params"]["ratio"] == 4 and comp["bypass"] is False
    clip = doc["tracks"][0]["clips"][0]
    assert clip == {
        "id": "clp_one0000",
        "asset_id": ASSET.id,
        "start": 1.0,
        "offset": 0.0,
        "length": 4.0,
        "gain_db": 0.0,
        "fade_in": 0.0,
        "fade_out": 0.0,
    }


@pytest.mark.parametrize(
    ("raw", "code", "field"),
    [
        ({"kind": "explode"}, "UNKNOWN_OPERATION", "operations.0.kind"),
        ({"kind": "set_project", "field": "sample_rate", "value": 22050}, "BAD_CHOICE", "operations.0.value"),
        (
            {"kind": "set_project", "field": "tempo", "value": float("nan")},
            "NOT_A_NUMBER",
            "operations.0.value",
        ),
        (
            {"kind": "set_track", "track_id": "trk_bass000", "field": "gain_db", "value": 13},
            "OUT_OF_RANGE",
            "operations.0.value",
        ),
        (
            {"kind": "set_track", "track_id": "trk_bass000", "field": "pan", "value": -1.5},
            "OUT_OF_RANGE",
            "operations.0.value",
        ),
        (
            {"kind": "set_track", "track_id": "trk_bass000", "field": "solo", "value": "yes"},
            "NOT_A_BOOLEAN",
            "operations.0.value",
        ),
        (
            {"kind": "set_track", "track_id": "trk_nope000", "field": "mute", "value": True},
            "TRACK_NOT_FOUND",
            "operations.0.track_id",
        ),
        ({"kind": "add_track", "track": {"id": "trk_drums00"}}, "DUPLICATE_ID", "operations.0.track.id"),
        ({"kind": "add_track", "track": {"id": "bad id"}}, "BAD_ID", "operations.0.track.id"),
        (
            {"kind": "add_effect", "target": "master", "effect": {"id": "fx_x0000000", "type": "flanger"}},
            "UNKNOWN_EFFECT",
            "operations.0.effect.type",
        ),
        (
            {
                "kind": "set_effect_param",
                "target": "trk_drums00",
                "effect_id": "fx_verb0000",
                "param": "room_size",
                "value": 2,
            },
            "EFFECT_PARAM_OUT_OF_RANGE",
            "operations.0.value",
        ),
        (
            {
                "kind": "add_clip",
                "track_id": "trk_bass000",
                "clip": {"id": "clp_x000000", "asset_id": "ast_missing0"},
            },
            "ASSET_NOT_FOUND",
            "operations.0.clip.asset_id",
        ),
        (
            {
                "kind": "add_clip",
                "track_id": "trk_bass000",
                "clip": {"id": "clp_x000000", "asset_id": OTHER.id},
            },
            "ASSET_NOT_READY",
            "operations.0.clip.asset_id",
        ),
        (
            {
                "kind": "add_clip",
                "track_id": "trk_bass000",
                "clip": {"id": "clp_x000000", "asset_id": ASSET.id, "offset": 8, "length": 5},
            },
            "OUT_OF_RANGE",
            "operations.0.clip.length",
        ),
        (
            {
                "kind": "trim_clip",
                "track_id": "trk_drums00",
                "clip_id": "clp_one0000",
                "offset": 0,
                "length": 11,
            },
            "OUT_OF_RANGE",
            "operations.0.length",
        ),
        (
            {
                "kind": "set_clip",
                "track_id": "trk_drums00",
                "clip_id": "clp_one0000",
                "field": "fade_in",
                "value": 4.5,
            },
            "OUT_OF_RANGE",
            "operations.0.value",
        ),
        (
            {"kind": "move_track", "track_id": "trk_drums00", "from_index": 1, "to_index": 0},
            "TRACK_MOVED",
            "operations.0.from_index",
        ),
        ({"kind": "set_master", "field": "mastering", "value": "loud"}, "BAD_CHOICE", "operations.0.value"),
    ],
)
def test_bad_operations_are_refused_with_a_code_and_a_field(raw, code, field):
    with pytest.raises(DomainError) as caught:
        ops.normalize(raw, base_document(), CTX)
    assert caught.value.code == code
    assert caught.value.field == field


def test_a_batch_with_one_bad_operation_changes_nothing():
    doc = base_document()
    snapshot = json.dumps(doc, sort_keys=True)
    batch = [
        {"kind": "set_track", "track_id": "trk_bass000", "field": "gain_db", "value": -3},
        {"kind": "set_track", "track_id": "trk_bass000", "field": "gain_db", "value": 99},
    ]
    with pytest.raises(DomainError) as caught:
        ops.apply_batch(doc, batch, CTX)
    assert caught.value.field == "operations.1.value"
    assert json.dumps(doc, sort_keys=True) == snapshot


def test_later_operations_see_earlier_ones_in_the_same_batch():
    doc = ops.new_document("Song")
    applied = ops.apply_batch(
        doc,
        [
            {"kind": "add_track", "track": {"id": "trk_new0000"}},
            {
                "kind": "add_clip",
                "track_id": "trk_new0000",
                "clip": {"id": "clp_new0000", "asset_id": ASSET.id},
            },
            {
                "kind": "set_clip",
                "track_id": "trk_new0000",
                "clip_id": "clp_new0000",
                "field": "gain_db",
                "value": -6,
            },
        ],
        CTX,
    )
    assert applied.document["tracks"][0]["clips"][0]["gain_db"] == -6.0
    assert applied.document["tracks"][0]["name"] == "Track 1"
    # Undo: the inverses in reverse order restore the empty document.
    undone = applied.document
    for inverse in reversed(applied.inverses):
        undone = ops.apply(undone, ops.normalize(inverse, undone, CTX))
    assert undone == doc


def test_the_track_limit_is_enforced():
    doc = ops.new_document("Big")
    tracks = [{"kind": "add_track", "track": {"id": f"trk_t{i:06d}"}} for i in range(16)]
    doc = ops.apply_batch(doc, tracks, CTX).document
    with pytest.raises(DomainError) as caught:
        ops.apply_batch(doc, [{"kind": "add_track", "track": {"id": "trk_t999999"}}], CTX)
    assert caught.value.code == "TRACK_LIMIT" and caught.value.params["max"] == 16
    roomy = ops.Context(max_tracks=64, assets=CTX.assets)
    assert (
        len(
            ops.apply_batch(doc, [{"kind": "add_track", "track": {"id": "trk_t999999"}}], roomy).document[
                "tracks"
            ]
        )
        == 17
    )


def test_clips_stay_ordered_by_start_when_moved():
    doc = base_document()
    doc = ops.apply_batch(
        doc,
        [
            {
                "kind": "add_clip",
                "track_id": "trk_drums00",
                "clip": {"id": "clp_early00", "asset_id": ASSET.id, "start": 0, "length": 1},
            },
            {"kind": "move_clip", "track_id": "trk_drums00", "clip_id": "clp_early00", "start": 8},
        ],
        CTX,
    ).document
    assert [c["id"] for c in doc["tracks"][0]["clips"]] == ["clp_one0000", "clp_early00"]
