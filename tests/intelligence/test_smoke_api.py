from __future__ import annotations

from tests.fixtures import gql, log_in, wait_for_job

GENERATE = """mutation($input: GenerateMusicInput!) { generateMusic(input: $input) {
  output { id seed status } job { id } errors { field code message } } }"""
OUTPUT = """query($id: ID!) { musicOutput(id: $id) { id status seed longestCopy commercialUseAllowed projectId
  audioUrl midiUrl analysis model { code version } } }"""


async def test_generate_a_reel_end_to_end(client, workers, make_user, genre_models):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    body = await gql(client, GENERATE, {"input": {"genre": "reel", "bars": 8, "seed": 42}})
    payload = body["data"]["generateMusic"]
    assert payload["errors"] == [], payload
    job = await wait_for_job(payload["job"]["id"], within=60)
    assert job["status"] == "done", job
    out = (await gql(client, OUTPUT, {"id": payload["output"]["id"]}))["data"]["musicOutput"]
    assert out["status"] == "ready"
    assert out["seed"] == 42
    assert out["commercialUseAllowed"] is True
    assert out["analysis"]["lufs"] == __import__("pytest").approx(-14, abs=1.0)


async def test_the_output_page_shows_the_piece(client, workers, make_user, genre_models):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    body = await gql(client, GENERATE, {"input": {"genre": "jig", "bars": 4, "seed": 1}})
    output_id = body["data"]["generateMusic"]["output"]["id"]
    response = await client.get(f"/intelligence/outputs/{output_id}")
    assert response.status_code == 200, response.text[-3000:]
    await wait_for_job(body["data"]["generateMusic"]["job"]["id"], within=60)
    response = await client.get(f"/intelligence/outputs/{output_id}")
    assert response.status_code == 200, response.text[-3000:]
    assert 'data-testid="output-player"' in response.text
    for path in ("/intelligence", "/intelligence/outputs", "/intelligence/restyle"):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text[-3000:])
        assert output_id in response.text


async def test_the_piece_lands_in_a_studio_project_with_four_tracks(client, workers, make_user, genre_models):
    import asyncio

    from backend.core.tables import Job

    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    body = await gql(client, GENERATE, {"input": {"genre": "chorale", "bars": 4, "seed": 9}})
    output_id = body["data"]["generateMusic"]["output"]["id"]
    await wait_for_job(body["data"]["generateMusic"]["job"]["id"], within=60)
    project_id = None
    for _ in range(300):
        project_id = (await gql(client, OUTPUT, {"id": output_id}))["data"]["musicOutput"]["projectId"]
        if project_id:
            break
        await asyncio.sleep(0.1)
    assert project_id, [
        r for r in await Job.select(Job.kind, Job.status, Job.error) if "assemble" in r["kind"]
    ]
    project = await gql(
        client, "query($id: ID!) { project(id: $id) { tracks { name } } }", {"id": project_id}
    )
    assert len(project["data"]["project"]["tracks"]) == 4, project
