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
