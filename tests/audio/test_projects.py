"""Projects through the GraphQL API: the operation log, stale revisions, races, limits."""

from __future__ import annotations

import asyncio

import httpx

from backend.audio.tables import Project, ProjectOperation
from tests.audio.helpers import APPLY, apply, create_project, make_demo_creator, op, ready_asset
from tests.fixtures import gql, log_in

DEMO = "creator@demo.cadenza.local"


async def test_create_project_validates_every_field_and_translates(client, make_user):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    body = await gql(
        client,
        "mutation($i: CreateProjectInput!) { createProject(input: $i) { project { id } errors { field code message } } }",
        {"i": {"title": " ", "tempo": 1000, "timeSignature": [4, 3], "sampleRate": 22050}},
        headers={"Accept-Language": "de"},
    )
    errors = {e["field"]: e["code"] for e in body["data"]["createProject"]["errors"]}
    assert errors == {
        "title": "TEXT_LENGTH",
        "tempo": "OUT_OF_RANGE",
        "timeSignature": "BAD_CHOICE",
        "sampleRate": "BAD_CHOICE",
    }
    assert all(
        e["message"] and not e["message"].startswith("audio.")
        for e in body["data"]["createProject"]["errors"]
    )
    assert await Project.count() == 0

    project = await create_project(client, "First song", tempo=90, timeSignature=[3, 4], sampleRate=96000)
    assert project["revision"] == 0 and project["sampleRate"] == 96000 and project["timeSignature"] == [3, 4]


async def test_operations_commit_in_order_and_are_logged(client, make_user):
    user = await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    asset = await ready_asset(user["id"])
    project = await create_project(client)
    result = await apply(
        client,
        project["id"],
        0,
        op("add_track", track={"id": "trk_drums0000", "name": "Drums"}),
        op(
            "add_clip",
            track_id="trk_drums0000",
            clip={"id": "clp_kick0000", "asset_id": asset, "start": 0, "length": 2},
        ),
        op(
            "add_effect",
            target="trk_drums0000",
            effect={"id": "fx_verb00000", "type": "reverb", "params": {"room_size": 0.8}},
        ),
        op("set_track", track_id="trk_drums0000", field="gain_db", value=-6),
    )
    assert result["errors"] == [] and result["revision"] == 4
    track = result["project"]["tracks"][0]
    assert track["gainDb"] == -6 and track["clips"][0]["asset"]["id"] == asset
    assert track["effects"][0]["params"]["room_size"] == 0.8

    log = await gql(
        client,
        "query($id: ID!) { project(id: $id) { operations(first: 10) { nodes { revision kind payload inverse author { handle } } } } }",
        {"id": project["id"]},
    )
    nodes = log["data"]["project"]["operations"]["nodes"]
    assert [n["revision"] for n in nodes] == [1, 2, 3, 4]
    assert [n["kind"] for n in nodes] == ["ADD_TRACK", "ADD_CLIP", "ADD_EFFECT", "SET_TRACK"]
    assert nodes[3]["inverse"] == {
        "kind": "set_track",
        "track_id": "trk_drums0000",
        "field": "gain_db",
        "value": 0.0,
    }
    assert nodes[0]["author"]["handle"] == "ada_lovelace"


async def test_a_batch_with_one_invalid_operation_changes_nothing(client, make_user):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    project = await create_project(client)
    await apply(client, project["id"], 0, op("add_track", track={"id": "trk_a00000000"}))
    before = await Project.select(Project.document, Project.revision).first().output(load_json=True)
    result = await apply(
        client,
        project["id"],
        1,
        op("set_track", track_id="trk_a00000000", field="name", value="Lead"),
        op("set_track", track_id="trk_a00000000", field="pan", value=3),
    )
    assert result["revision"] is None and result["project"] is None
    assert (
        result["errors"][0]["code"] == "OUT_OF_RANGE" and result["errors"][0]["field"] == "operations.1.value"
    )
    assert "2" in result["errors"][0]["message"]  # the message says which operation
    after = await Project.select(Project.document, Project.revision).first().output(load_json=True)
    assert after == before
    assert await ProjectOperation.count() == 1


async def test_a_stale_base_revision_is_refused_with_the_current_revision(client, make_user):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    project = await create_project(client)
    await apply(
        client,
        project["id"],
        0,
        op("add_track", track={"id": "trk_a00000000"}),
        op("set_master", field="gain_db", value=-1),
    )
    stale = await apply(client, project["id"], 1, op("set_master", field="gain_db", value=-2))
    assert stale["errors"][0]["code"] == "STALE_REVISION"
    assert stale["currentRevision"] == 2
    assert await ProjectOperation.count() == 2


async def test_concurrent_batches_on_the_same_base_exactly_one_wins(app, make_user):
    await make_user("ada@example.com")

    async def session() -> httpx.AsyncClient:
        c = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50001)),
            base_url="http://testserver.local",
        )
        await log_in(c, "ada@example.com")
        return c

    clients = [await session() for _ in range(6)]
    try:
        project = await create_project(clients[0])
        results = await asyncio.gather(
            *(
                apply(
                    c,
                    project["id"],
                    0,
                    op("add_track", track={"id": f"trk_race{i:07d}", "name": f"Racer {i}"}),
                )
                for i, c in enumerate(clients)
            )
        )
    finally:
        for c in clients:
            await c.aclose()
    winners = [r for r in results if not r["errors"]]
    losers = [r for r in results if r["errors"]]
    assert len(winners) == 1
    assert all(r["errors"][0]["code"] == "STALE_REVISION" and r["currentRevision"] == 1 for r in losers)
    row = await Project.select(Project.document, Project.revision).first().output(load_json=True)
    assert row["revision"] == 1 and len(row["document"]["tracks"]) == 1
    assert await ProjectOperation.count() == 1


async def test_track_limit_is_sixteen_on_free_and_sixty_four_for_the_demo_creator(
    client, make_user, monkeypatch
):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    project = await create_project(client)
    sixteen = [op("add_track", track={"id": f"trk_t{i:08d}"}) for i in range(16)]
    assert (await apply(client, project["id"], 0, *sixteen))["revision"] == 16
    refused = await apply(client, project["id"], 16, op("add_track", track={"id": "trk_one_more0"}))
    assert refused["errors"][0]["code"] == "TRACK_LIMIT" and "16" in refused["errors"][0]["message"]

    await make_demo_creator(make_user, monkeypatch)
    demo = httpx.AsyncClient(transport=client._transport, base_url="http://testserver.local")
    try:
        await log_in(demo, DEMO)
        big = await create_project(demo, "Big")
        tracks = [op("add_track", track={"id": f"trk_b{i:08d}"}) for i in range(64)]
        assert (await apply(demo, big["id"], 0, *tracks))["revision"] == 64
        over = await apply(demo, big["id"], 64, op("add_track", track={"id": "trk_b99999999"}))
        assert over["errors"][0]["code"] == "TRACK_LIMIT"
        limit = await gql(demo, "query($id: ID!) { project(id: $id) { trackLimit } }", {"id": big["id"]})
        assert limit["data"]["project"]["trackLimit"] == 64
    finally:
        await demo.aclose()


async def test_nobody_else_can_read_or_edit_a_project_or_use_an_asset(client, app, make_user):
    owner = await make_user("ada@example.com")
    await make_user("eve@example.com", display_name="Eve")
    await log_in(client, "ada@example.com")
    project = await create_project(client)
    asset = await ready_asset(owner["id"])

    await apply(
        client,
        project["id"],
        0,
        op(
            "add_track",
            track={"id": "trk_ada000000", "clips": [{"id": "clp_ada000000", "asset_id": asset, "length": 2}]},
        ),
    )
    render = (
        await gql(
            client,
            "mutation($id: ID!) { renderProject(projectId: $id) { render { id } } }",
            {"id": project["id"]},
        )
    )["data"]["renderProject"]["render"]
    export = (
        await gql(
            client,
            "mutation($id: ID!) { exportProject(projectId: $id, settings: {format: MP3, sampleRate: 48000}) { export { id } } }",
            {"id": project["id"]},
        )
    )["data"]["exportProject"]["export"]

    eve = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50002)),
        base_url="http://testserver.local",
    )
    try:
        await log_in(eve, "eve@example.com")
        for query, variables in (
            ("query($id: ID!) { render(id: $id) { id downloadUrl } }", {"id": render["id"]}),
            ("query($id: ID!) { export(id: $id) { id downloadUrl } }", {"id": export["id"]}),
        ):
            body = await gql(eve, query, variables)
            assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "NOT_FOUND", body
        cancel = await gql(
            eve,
            "mutation($id: ID!) { cancelRender(id: $id) { render { id } errors { code } } }",
            {"id": render["id"]},
        )
        assert cancel["data"]["cancelRender"]["errors"][0]["code"] == "NOT_FOUND"
        read = await gql(eve, "query($id: ID!) { project(id: $id) { title } }", {"id": project["id"]})
        assert read["data"] is None and read["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        read_asset = await gql(eve, "query($id: ID!) { asset(id: $id) { name } }", {"id": asset})
        assert read_asset["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        listed = await gql(eve, "{ projects { nodes { id } } assets { nodes { id } } }")
        assert listed["data"] == {"projects": {"nodes": []}, "assets": {"nodes": []}}
        edit = await apply(eve, project["id"], 1, op("set_master", field="gain_db", value=-3))
        assert edit["errors"][0]["code"] == "NOT_FOUND"
        for mutation, variables in (
            ("mutation($id: ID!) { deleteProject(id: $id) { errors { code } } }", {"id": project["id"]}),
            (
                'mutation($id: ID!) { renameProject(id: $id, title: "Mine") { errors { code } } }',
                {"id": project["id"]},
            ),
            (
                "mutation($id: ID!) { renderProject(projectId: $id) { errors { code } } }",
                {"id": project["id"]},
            ),
            (
                "mutation($id: ID!) { exportProject(projectId: $id, settings: {format: WAV, bitDepth: 16}) { errors { code } } }",
                {"id": project["id"]},
            ),
            ("mutation($id: ID!) { deleteAsset(id: $id) { errors { code } } }", {"id": asset}),
        ):
            body = await gql(eve, mutation, variables)
            payload = next(iter(body["data"].values()))
            assert payload["errors"][0]["code"] in ("NOT_FOUND", "ASSET_NOT_FOUND"), (mutation, body)
        # Eve's own project can't borrow Ada's asset.
        own = await create_project(eve, "Eve's")
        await apply(eve, own["id"], 0, op("add_track", track={"id": "trk_eve000000"}))
        borrowed = await apply(
            eve,
            own["id"],
            1,
            op("add_clip", track_id="trk_eve000000", clip={"id": "clp_eve000000", "asset_id": asset}),
        )
        assert borrowed["errors"][0]["code"] == "ASSET_NOT_READY"
        sub = await eve.post(
            "/graphql",
            json={
                "query": "subscription($id: ID!) { projectRevisions(projectId: $id) { revision } }",
                "variables": {"id": project["id"]},
            },
        )
        assert sub.status_code in (200, 400)  # subscriptions need a websocket: never served over HTTP
    finally:
        await eve.aclose()
    anonymous = await gql(
        httpx.AsyncClient(transport=client._transport, base_url="http://testserver.local"),
        "{ projects { nodes { id } } }",
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_every_commit_is_published_on_the_project_channel(client, make_user):
    from backend.core import events

    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    project = await create_project(client)
    async with events.listen(f"project:{project['id']}") as queue:
        await apply(
            client,
            project["id"],
            0,
            op("add_track", track={"id": "trk_a00000000"}),
            op("set_project", field="tempo", value=100),
        )
        event = await asyncio.wait_for(queue.get(), 5)
    assert event["type"] == "operations" and event["base_revision"] == 0 and event["revision"] == 2
    assert [o["kind"] for o in event["operations"]] == ["add_track", "set_project"]
    assert event["operations"][0]["track"]["name"] == "Track 1"  # normalized, defaults filled


async def test_rename_and_delete(client, make_user):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    project = await create_project(client)
    renamed = await gql(
        client,
        'mutation($id: ID!) { renameProject(id: $id, title: "  Better  name ") { project { title revision } errors { code } } }',
        {"id": project["id"]},
    )
    assert renamed["data"]["renameProject"]["project"] == {"title": "Better name", "revision": 1}
    deleted = await gql(
        client,
        "mutation($id: ID!) { deleteProject(id: $id) { deletedId errors { code } } }",
        {"id": project["id"]},
    )
    assert deleted["data"]["deleteProject"]["deletedId"] == project["id"]
    assert await Project.count() == 0 and await ProjectOperation.count() == 0
    again = await gql(client, "query($id: ID!) { project(id: $id) { id } }", {"id": project["id"]})
    assert again["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    _ = APPLY


async def test_project_revisions_subscription_streams_each_commit(client, live_url, make_user):
    import json

    import websockets

    from backend.accounts import services as accounts
    from tests.fixtures import actor_of

    user = await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    project = await create_project(client)
    _, secret = await accounts.create_api_key(actor_of(user), "studio", ["read"])
    ws = await websockets.connect(f"ws://{live_url}/graphql", subprotocols=["graphql-transport-ws"])
    try:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {secret}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        query = "subscription($id: ID!) { projectRevisions(projectId: $id) { revision baseRevision authorId operations } }"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": {"id": project["id"]}},
                }
            )
        )
        first = json.loads(await asyncio.wait_for(ws.recv(), 5))["payload"]["data"]["projectRevisions"]
        assert first["revision"] == 0 and first["operations"] == []
        await apply(
            client,
            project["id"],
            0,
            op("add_track", track={"id": "trk_live00000"}),
            op("set_master", field="gain_db", value=-2),
        )
        event = json.loads(await asyncio.wait_for(ws.recv(), 5))["payload"]["data"]["projectRevisions"]
        assert (event["baseRevision"], event["revision"], event["authorId"]) == (0, 2, user["public_id"])
        assert [o["kind"] for o in event["operations"]] == ["add_track", "set_master"]
    finally:
        await ws.close()
