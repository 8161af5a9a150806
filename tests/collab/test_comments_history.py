"""Comments (pinned, replies, resolution, live), history with authors, snapshots, restore as new
operations (the log only grows), and forks with their "forked from" link."""

from __future__ import annotations

from backend.audio.tables import ProjectOperation
from backend.collab import services as collab
from tests.collab.helpers import Stream, document, op, shared_project, submit
from tests.fixtures import gql

COMMENTS = """
query($p: ID!, $r: Boolean!) { projectComments(projectId: $p, includeResolved: $r) {
  nodes { id body time trackId resolved author { displayName } replies { body author { displayName } } } } }
"""


async def test_comments_pin_reply_resolve_and_reach_others_live(client, make_user, monkeypatch, live_url):
    shared = await shared_project(client, make_user, monkeypatch, roles=("editor", "commenter"))
    async with Stream.open(live_url, shared.owner, shared.project) as owner_stream:
        await owner_stream.next()
        body = await gql(
            client,
            'mutation($p: ID!) { addProjectComment(projectId: $p, body: "Kick too loud here", time: 2.5, trackId: "trk_drums0001") { comment { id time trackId } errors { code } } }',
            {"p": shared.project},
            key=shared["commenter"].key,
        )
        comment = body["data"]["addProjectComment"]["comment"]
        assert comment["time"] == 2.5 and comment["trackId"] == "trk_drums0001"
        live = await owner_stream.until("CommentChanged")
        assert live == {
            "__typename": "CommentChanged",
            "change": "CREATED",
            "threadId": comment["id"],
            "commentId": comment["id"],
        }
        reply = await collab.add_comment(
            shared["editor"].actor, shared.project, "Lowered it by 2 dB", reply_to=comment["id"]
        )
        assert (await owner_stream.until("CommentChanged"))["change"] == "REPLIED"
        threads = (await gql(client, COMMENTS, {"p": shared.project, "r": True}, key=shared.owner.key))[
            "data"
        ]["projectComments"]["nodes"]
        assert threads[0]["replies"] == [
            {"body": "Lowered it by 2 dB", "author": {"displayName": "Editor Person"}}
        ]
        assert reply["time"] == 2.5  # a reply belongs to the thread's moment
        await collab.resolve_comment(shared["commenter"].actor, comment["id"])  # the author may resolve
        assert (await owner_stream.until("CommentChanged"))["change"] == "RESOLVED"
    open_only = (await gql(client, COMMENTS, {"p": shared.project, "r": False}, key=shared.owner.key))[
        "data"
    ]["projectComments"]["nodes"]
    assert open_only == []


async def test_comment_input_is_checked(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    query = "mutation($p: ID!, $b: String!, $t: Float, $k: ID) { addProjectComment(projectId: $p, body: $b, time: $t, trackId: $k) { errors { code field } } }"
    for variables, code in (
        ({"b": "   ", "t": 1}, "COMMENT_LENGTH"),
        ({"b": "x" * 2001, "t": 1}, "COMMENT_LENGTH"),
        ({"b": "ok", "t": -1}, "COMMENT_TIME"),
        ({"b": "ok", "t": 4000}, "COMMENT_TIME"),
        ({"b": "ok", "t": 1, "k": "trk_missing01"}, "TRACK_NOT_FOUND"),
    ):
        body = await gql(client, query, {"p": shared.project, **variables}, key=shared["editor"].key)
        assert body["data"]["addProjectComment"]["errors"][0]["code"] == code, variables


async def test_history_attributes_every_change_and_restore_appends_instead_of_rewriting(
    client, make_user, monkeypatch
):
    shared = await shared_project(client, make_user, monkeypatch)
    owner, editor = shared.owner, shared["editor"]
    start = await document(client, owner, shared.project)
    snapshot = await collab.create_snapshot(owner.actor, shared.project, "Before the editor")
    await submit(
        client,
        editor,
        shared.project,
        start["revision"],
        [
            op("set_track", track_id="trk_drums0001", field="gain_db", value=-9),
            op("remove_track", track_id="trk_keys00002"),
        ],
        "editor-changes1",
    )
    history = await gql(
        client,
        "query($p: ID!) { projectHistory(projectId: $p, first: 3) { nodes { revision kind summary author { displayName } } pageInfo { hasNextPage } } }",
        {"p": shared.project},
        key=owner.key,
    )
    entries = history["data"]["projectHistory"]["nodes"]
    assert [(e["revision"], e["author"]["displayName"]) for e in entries] == [
        (start["revision"] + 2, "Editor Person"),
        (start["revision"] + 1, "Editor Person"),
        (start["revision"], "Olive Owner"),
    ]
    assert entries[1]["summary"] == "Changed a track's gain" and entries[0]["summary"] == "Removed a track"
    log_before = await ProjectOperation.count()
    restore = "mutation($p: ID!, $s: ID!) { restoreProjectVersion(projectId: $p, snapshotId: $s) { revision operations errors { code } } }"
    body = await gql(client, restore, {"p": shared.project, "s": snapshot["public_id"]}, key=editor.key)
    restored = body["data"]["restoreProjectVersion"]
    assert restored["errors"] == []
    now = await document(client, owner, shared.project)
    assert now["document"] == start["document"]  # it looks like the snapshot again
    assert now["revision"] == start["revision"] + 2 + len(restored["operations"])  # by new operations
    assert await ProjectOperation.count() == log_before + len(restored["operations"])
    names = [s["name"] for s in (await collab.snapshots(owner.actor, shared.project, None, None)).items]
    assert names[0].startswith("Before restoring") and "Before the editor" in names
    # Restoring a revision number works the same way (the editor's first change, undone).
    await collab.restore(owner.actor, shared.project, revision=start["revision"] + 1)
    after = (await document(client, owner, shared.project))["document"]
    assert [t["id"] for t in after["tracks"]] == ["trk_drums0001", "trk_keys00002"] and after["tracks"][0][
        "gain_db"
    ] == -9


async def test_a_fork_is_a_copy_of_ones_own_with_a_visible_link_back(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    viewer = shared["viewer"]
    fork = "mutation($p: ID!) { forkProject(projectId: $p) { project { id title tracks { id clips { id } } } errors { code } } }"
    refused = await gql(client, fork, {"p": shared.project}, key=viewer.key)
    assert refused["data"]["forkProject"]["errors"][0]["code"] == "FORKING_OFF"
    await collab.set_forking(shared.owner.actor, shared.project, True)
    made = (await gql(client, fork, {"p": shared.project}, key=viewer.key))["data"]["forkProject"]
    assert made["errors"] == [] and made["project"]["title"] == "Shared song (copy)"
    # The owner's sounds play in the copy: the clip came along.
    assert made["project"]["tracks"][0]["clips"] == [{"id": "clp_beat00001"}]
    info = await gql(
        client,
        "query($p: ID!) { projectCollaboration(projectId: $p) { role forkedFrom { projectId title visible } } }",
        {"p": made["project"]["id"]},
        key=viewer.key,
    )
    data = info["data"]["projectCollaboration"]
    assert data["role"] == "OWNER"
    assert data["forkedFrom"] == {"projectId": shared.project, "title": "Shared song", "visible": True}
    # The fork is the viewer's own: they edit it freely; the original is untouched.
    copy = made["project"]["id"]
    base = (await document(client, viewer, copy))["revision"]
    await submit(
        client,
        viewer,
        copy,
        base,
        [
            op(
                "add_clip",
                track_id="trk_drums0001",
                clip={"id": "clp_copy00001", "asset_id": shared.asset, "start": 9, "length": 2},
            )
        ],
        "fork-edit-00001",
    )
    original = await document(client, shared.owner, shared.project)
    assert [c["id"] for c in original["document"]["tracks"][0]["clips"]] == ["clp_beat00001"]
