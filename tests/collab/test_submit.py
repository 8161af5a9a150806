"""Submitting batches through the API: transformation against what was committed meanwhile, the
commit at the current revision, idempotent resends, dropped batches and refusals that change nothing."""

from __future__ import annotations

import asyncio

from backend.audio.tables import ProjectOperation
from backend.collab.tables import Submission
from tests.collab.helpers import document, op, shared_project, submit
from tests.fixtures import settings_override


async def test_a_stale_batch_is_transformed_and_committed_at_the_current_revision(
    client, make_user, monkeypatch
):
    shared = await shared_project(client, make_user, monkeypatch)
    owner, editor = shared.owner, shared["editor"]
    base = (await document(client, owner, shared.project))["revision"]
    # Both insert a track at index 0 on the same base revision.
    first = await submit(
        client,
        owner,
        shared.project,
        base,
        [op("add_track", index=0, track={"id": "trk_ownr0001", "name": "Bass"})],
        "owner-batch-001",
    )
    second = await submit(
        client,
        editor,
        shared.project,
        base,
        [op("add_track", index=0, track={"id": "trk_edit0001", "name": "Vox"})],
        "editor-batch-01",
    )
    assert (
        first["revision"] == base + 1 and second["committedOn"] == base + 1 and second["revision"] == base + 2
    )
    # The later commit was rebased: it lands after the earlier one's track, both kept.
    assert second["operations"] == [
        {"kind": "add_track", "index": 1, "track": second["operations"][0]["track"]}
    ]
    names = [t["name"] for t in (await document(client, owner, shared.project))["document"]["tracks"]]
    assert names == ["Bass", "Vox", "Drums", "Keys"]


async def test_a_resend_with_the_same_client_batch_id_is_not_committed_twice(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    editor = shared["editor"]
    base = (await document(client, editor, shared.project))["revision"]
    batch = [op("add_track", track={"id": "trk_once00001", "name": "Once"})]
    first = await submit(client, editor, shared.project, base, batch, "resend-batch-1")
    again = await submit(client, editor, shared.project, base, batch, "resend-batch-1")
    assert again["replayed"] is True and again["revision"] == first["revision"]
    assert again["operations"] == first["operations"]
    assert await ProjectOperation.count().where(ProjectOperation.batch_id == "resend-batch-1") == 1


async def test_concurrent_submits_from_many_clients_all_commit_in_one_order(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    editor = shared["editor"]
    base = (await document(client, editor, shared.project))["revision"]
    # Ten batches on the same base, at once: the row lock serialises them, each is transformed.
    results = await asyncio.gather(
        *(
            submit(
                client,
                editor if i % 2 else shared.owner,
                shared.project,
                base,
                [op("set_track", track_id="trk_keys00002", field="gain_db", value=-float(i))],
                f"race-batch-{i:04d}",
            )
            for i in range(10)
        )
    )
    revisions = sorted(r["revision"] for r in results)
    assert revisions == list(range(base + 1, base + 11))
    final = await document(client, editor, shared.project)
    last = max(results, key=lambda r: r["revision"])
    # The later commit wins a value both set.
    keys = next(t for t in final["document"]["tracks"] if t["id"] == "trk_keys00002")
    assert keys["gain_db"] == last["operations"][0]["value"]


async def test_a_batch_that_became_meaningless_is_dropped_and_says_so(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    owner, editor = shared.owner, shared["editor"]
    base = (await document(client, owner, shared.project))["revision"]
    await submit(
        client, owner, shared.project, base, [op("remove_track", track_id="trk_drums0001")], "remove-drums-1"
    )
    tweak = await submit(
        client,
        editor,
        shared.project,
        base,
        [
            op(
                "set_effect_param",
                target="trk_drums0001",
                effect_id="fx_verb000001",
                param="room_size",
                value=0.9,
            )
        ],
        "tweak-reverb-1",
    )
    assert tweak["operations"] == [] and tweak["dropped"] == 1 and tweak["revision"] == base + 1
    assert (await document(client, owner, shared.project))["revision"] == base + 1
    row = await Submission.select().where(Submission.client_batch_id == "tweak-reverb-1").first()
    assert row["status"] == "dropped"


async def test_bad_input_is_refused_translated_and_nothing_is_committed(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    editor = shared["editor"]
    before = await document(client, editor, shared.project)
    base = before["revision"]
    cases = [
        # An operation on an object that doesn't exist (on the revision the client named).
        ([op("set_track", track_id="trk_gone00001", field="gain_db", value=-3)], "TRACK_NOT_FOUND"),
        # Out of range, after a valid first operation: the whole batch is refused.
        (
            [
                op("set_track", track_id="trk_keys00002", field="pan", value=0.5),
                op("set_track", track_id="trk_keys00002", field="gain_db", value=99),
            ],
            "OUT_OF_RANGE",
        ),
        ([op("set_project", field="tempo", value="fast")], "NOT_A_NUMBER"),
    ]
    for number, (operations, code) in enumerate(cases):
        result = await submit(
            client, editor, shared.project, base, operations, f"bad-input-{number:04d}", ok=False
        )
        assert [e["code"] for e in result["errors"]] == [code]
        assert result["revision"] is None
        assert result["resyncRequired"] is True and result["currentRevision"] == base
    after = await document(client, editor, shared.project)
    assert after == before


async def test_an_operation_on_a_deleted_object_is_refused_with_the_studios_error(
    client, make_user, monkeypatch
):
    shared = await shared_project(client, make_user, monkeypatch)
    owner, editor = shared.owner, shared["editor"]
    base = (await document(client, owner, shared.project))["revision"]
    await submit(
        client,
        owner,
        shared.project,
        base,
        [op("remove_clip", track_id="trk_drums0001", clip_id="clp_beat00001")],
        "remove-clip-01",
    )
    # Based on the *new* revision, the clip is gone: that is bad input, not a conflict.
    result = await submit(
        client,
        editor,
        shared.project,
        base + 1,
        [op("trim_clip", track_id="trk_drums0001", clip_id="clp_beat00001", offset=0, length=2)],
        "trim-gone-0001",
        ok=False,
    )
    assert result["errors"][0]["code"] == "CLIP_NOT_FOUND"
    assert "no longer" in result["errors"][0]["message"]


async def test_a_base_older_than_the_transform_window_must_resynchronise(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    editor = shared["editor"]
    before = await document(client, editor, shared.project)
    with settings_override(collab__transform_window=2):
        result = await submit(
            client,
            editor,
            shared.project,
            0,
            [op("set_project", field="tempo", value=100)],
            "too-old-00001",
            ok=False,
        )
    assert result["resyncRequired"] is True and result["currentRevision"] == before["revision"]
    assert result["errors"][0]["code"] == "RESYNC_REQUIRED"
    assert await document(client, editor, shared.project) == before


async def test_a_transformed_batch_that_no_longer_fits_is_refused_whole(client, make_user, monkeypatch):
    """Fades set on a clip someone trimmed shorter meanwhile: a constraint across two edits."""
    shared = await shared_project(client, make_user, monkeypatch)
    owner, editor = shared.owner, shared["editor"]
    base = (await document(client, owner, shared.project))["revision"]
    await submit(
        client,
        owner,
        shared.project,
        base,
        [op("trim_clip", track_id="trk_drums0001", clip_id="clp_beat00001", offset=0, length=1)],
        "trim-short-01",
    )
    before = await document(client, owner, shared.project)
    result = await submit(
        client,
        editor,
        shared.project,
        base,
        [
            op("set_track", track_id="trk_keys00002", field="mute", value=True),
            op("set_clip", track_id="trk_drums0001", clip_id="clp_beat00001", field="fade_in", value=3),
        ],
        "fade-long-0001",
        ok=False,
    )
    assert result["resyncRequired"] is True and result["errors"][0]["code"] == "RESYNC_REQUIRED"
    assert "between 0 and 1" in result["errors"][0]["message"]  # the fade can't outlast the clip now
    assert await document(client, owner, shared.project) == before  # not even the mute


async def test_a_malformed_client_batch_id_or_future_base_is_refused(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    editor = shared["editor"]
    current = (await document(client, editor, shared.project))["revision"]
    bad_id = await submit(
        client, editor, shared.project, current, [op("set_project", field="tempo", value=90)], "x", ok=False
    )
    assert bad_id["errors"][0]["code"] == "BAD_CLIENT_BATCH_ID"
    future = await submit(
        client,
        editor,
        shared.project,
        current + 5,
        [op("set_project", field="tempo", value=90)],
        "future-base-1",
        ok=False,
    )
    assert future["errors"][0]["code"] == "FUTURE_REVISION"
