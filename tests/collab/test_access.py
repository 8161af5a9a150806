"""Who may do what: roles, the plan gate, and that nobody outside a project reads anything of it
through any API path — removal included, on connections that are already open."""

from __future__ import annotations

import asyncio
import json

import websockets

from backend.collab import services as collab
from tests.collab.helpers import PROTOCOL, Stream, document, op, person, shared_project, submit
from tests.fixtures import gql

READS = {
    "project": "query($p: ID!) { project(id: $p) { id } }",
    "operations": "query($p: ID!) { project(id: $p) { operations { nodes { revision } } } }",
    "collaboration": "query($p: ID!) { projectCollaboration(projectId: $p) { role } }",
    "comments": "query($p: ID!) { projectComments(projectId: $p) { nodes { id body } } }",
    "history": "query($p: ID!) { projectHistory(projectId: $p) { nodes { revision } } }",
    "snapshots": "query($p: ID!) { projectSnapshots(projectId: $p) { nodes { id } } }",
}
WRITES = {
    "submit": (
        'mutation($p: ID!) { submitProjectOperations(projectId: $p, baseRevision: 0, clientBatchId: "outsider-0001", '
        'operations: [{kind: SET_PROJECT, payload: {field: "tempo", value: 99}}]) { errors { code } } }',
        "submitProjectOperations",
    ),
    "presence": (
        'mutation($p: ID!) { updatePresence(projectId: $p, clientId: "outsider") { errors { code } } }',
        "updatePresence",
    ),
    "comment": (
        'mutation($p: ID!) { addProjectComment(projectId: $p, body: "hi", time: 1) { errors { code } } }',
        "addProjectComment",
    ),
    "snapshot": (
        'mutation($p: ID!) { createSnapshot(projectId: $p, name: "x") { errors { code } } }',
        "createSnapshot",
    ),
    "restore": (
        "mutation($p: ID!) { restoreProjectVersion(projectId: $p, revision: 0) { errors { code } } }",
        "restoreProjectVersion",
    ),
    "fork": ("mutation($p: ID!) { forkProject(projectId: $p) { errors { code } } }", "forkProject"),
    "signal": (
        'mutation($p: ID!) { sendCallSignal(projectId: $p, toUserId: "usr_x", kind: OFFER, payload: {}, fromClientId: "outsider") { errors { code } } }',
        "sendCallSignal",
    ),
    "invite": (
        'mutation($p: ID!) { inviteCollaborator(projectId: $p, invitee: "someone@example.com", role: EDITOR) { errors { code } } }',
        "inviteCollaborator",
    ),
}


async def test_nobody_outside_the_project_reads_or_writes_anything_of_it(
    client, make_user, monkeypatch, live_url
):
    shared = await shared_project(client, make_user, monkeypatch)
    comment = await collab.add_comment(shared.owner.actor, shared.project, "Secret idea", time=2.0)
    outsider = await person(make_user, "outsider@example.com", "Out Sider", "none")
    for name, query in READS.items():
        body = await gql(client, query, {"p": shared.project}, key=outsider.key)
        assert body["data"] is None or all(v is None for v in body["data"].values()), name
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", (name, body)
    single = await gql(
        client,
        "query($c: ID!) { projectComment(id: $c) { body } }",
        {"c": comment["public_id"]},
        key=outsider.key,
    )
    assert single["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for name, (query, field) in WRITES.items():
        body = await gql(client, query, {"p": shared.project}, key=outsider.key)
        assert body["data"][field]["errors"][0]["code"] == "NOT_FOUND", (name, body)
    # Live streams: both the studio's and collaboration's are refused.
    for subscription in (
        "subscription($p: ID!) { projectEvents(projectId: $p) { __typename } }",
        "subscription($p: ID!) { projectRevisions(projectId: $p) { revision } }",
    ):
        ws = await websockets.connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL])
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {outsider.key}"}})
        )
        await ws.recv()
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": subscription, "variables": {"p": shared.project}},
                }
            )
        )
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"
        await ws.close()


async def test_a_viewer_reads_but_cannot_change_or_comment(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch, roles=("viewer", "commenter"))
    viewer, commenter = shared["viewer"], shared["commenter"]
    before = await document(client, viewer, shared.project)
    refused = await submit(
        client,
        viewer,
        shared.project,
        before["revision"],
        [op("set_project", field="tempo", value=99)],
        "viewer-edit-01",
        ok=False,
    )
    assert refused["errors"][0]["code"] == "PROJECT_READ_ONLY"
    # The studio's own mutation says the same.
    studio = await gql(
        client,
        'mutation($p: ID!, $b: Int!) { applyProjectOperations(projectId: $p, baseRevision: $b, operations: [{kind: SET_PROJECT, payload: {field: "tempo", value: 99}}]) { errors { code } } }',
        {"p": shared.project, "b": before["revision"]},
        key=viewer.key,
    )
    assert studio["data"]["applyProjectOperations"]["errors"][0]["code"] == "PROJECT_READ_ONLY"
    comment = await gql(
        client,
        'mutation($p: ID!) { addProjectComment(projectId: $p, body: "nice", time: 3) { errors { code } } }',
        {"p": shared.project},
        key=viewer.key,
    )
    assert comment["data"]["addProjectComment"]["errors"][0]["code"] == "CANNOT_COMMENT"
    # A commenter may comment, not edit.
    allowed = await gql(
        client,
        'mutation($p: ID!) { addProjectComment(projectId: $p, body: "nice", time: 3) { comment { body } errors { code } } }',
        {"p": shared.project},
        key=commenter.key,
    )
    assert allowed["data"]["addProjectComment"]["comment"]["body"] == "nice"
    assert (
        await submit(
            client,
            commenter,
            shared.project,
            before["revision"],
            [op("set_project", field="tempo", value=99)],
            "commenter-edit1",
            ok=False,
        )
    )["errors"][0]["code"] == "PROJECT_READ_ONLY"
    assert await document(client, viewer, shared.project) == before


async def test_inviting_needs_the_owners_plan_to_include_collaboration(client, make_user):
    owner = await person(make_user, "free@example.com", "Free Owner", "owner")
    body = await gql(
        client, 'mutation { createProject(input: {title: "Solo"}) { project { id } } }', key=owner.key
    )
    project = body["data"]["createProject"]["project"]["id"]
    invite = await gql(
        client,
        'mutation($p: ID!) { inviteCollaborator(projectId: $p, invitee: "friend@example.com", role: EDITOR) { invitation { id } errors { code message field } } }',
        {"p": project},
        key=owner.key,
    )
    error = invite["data"]["inviteCollaborator"]["errors"][0]
    assert error["code"] == "FEATURE_NOT_IN_PLAN" and error["field"] == "invitee"
    assert invite["data"]["inviteCollaborator"]["invitation"] is None


async def test_a_removed_editor_is_cut_off_at_once_on_open_connections(
    client, make_user, monkeypatch, live_url
):
    shared = await shared_project(client, make_user, monkeypatch)
    editor = shared["editor"]
    async with Stream.open(live_url, editor, shared.project, client_id="editor-tab-1") as stream:
        assert (await stream.next())["__typename"] == "ProjectSynced"
        base = (await document(client, shared.owner, shared.project))["revision"]
        await submit(
            client,
            shared.owner,
            shared.project,
            base,
            [op("set_project", field="tempo", value=101)],
            "before-removal1",
        )
        assert (await stream.until("OperationsCommitted"))["revision"] == base + 1
        await collab.remove(shared.owner.actor, shared.project, editor.id)
        assert (await stream.until("AccessRevoked"))["projectId"] == shared.project
        assert (await stream.next())["__typename"] == "__complete__"
        await submit(
            client,
            shared.owner,
            shared.project,
            base + 1,
            [op("set_project", field="tempo", value=102)],
            "after-removal01",
        )
        assert await stream.quiet(0.5) == []
    # And their next submit is refused, as is any read.
    refused = await submit(
        client,
        editor,
        shared.project,
        base + 2,
        [op("set_project", field="tempo", value=1)],
        "removed-edit-01",
        ok=False,
    )
    assert refused["errors"][0]["code"] == "NOT_FOUND"
    assert (await gql(client, READS["project"], {"p": shared.project}, key=editor.key))["errors"][0][
        "extensions"
    ]["code"] == "NOT_FOUND"


async def test_the_studios_own_subscription_also_stops_for_a_removed_collaborator(
    client, make_user, monkeypatch, live_url
):
    shared = await shared_project(client, make_user, monkeypatch)
    editor = shared["editor"]
    ws = await websockets.connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL])
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {editor.key}"}})
    )
    await ws.recv()
    query = "subscription($p: ID!) { projectRevisions(projectId: $p) { revision } }"
    await ws.send(
        json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"p": shared.project}}}
        )
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "next"
    await collab.remove(shared.owner.actor, shared.project, editor.id)
    base = (await document(client, shared.owner, shared.project))["revision"]
    await submit(
        client,
        shared.owner,
        shared.project,
        base,
        [op("set_project", field="tempo", value=88)],
        "after-removal02",
    )
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] in ("next", "error")
    errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors")
    assert errors and errors[0]["extensions"]["code"] == "NOT_FOUND"
    await ws.close()


async def test_a_role_change_takes_effect_on_the_next_submit(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    editor = shared["editor"]
    base = (await document(client, editor, shared.project))["revision"]
    await submit(
        client, editor, shared.project, base, [op("set_project", field="tempo", value=97)], "editor-ok-0001"
    )
    await collab.change_role(shared.owner.actor, shared.project, editor.id, "viewer")
    refused = await submit(
        client,
        editor,
        shared.project,
        base + 1,
        [op("set_project", field="tempo", value=98)],
        "now-viewer-0001",
        ok=False,
    )
    assert refused["errors"][0]["code"] == "PROJECT_READ_ONLY"
