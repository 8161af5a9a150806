"""Restyling through the API, genre suggestions for every MIDI upload, licence hygiene of outputs and
the monthly quota."""

from __future__ import annotations

from backend.intelligence import dataset, midi, services
from backend.intelligence.tables import Output
from tests.fixtures import csrf_token, gql, log_in, wait_for_job
from tests.intelligence.test_api import GENERATE, RESTYLE, professional  # noqa: F401 - fixture

SUGGESTIONS = "{ genreSuggestions { uploadId genre confidence status } }"
OUTPUT = """query($id: ID!) { musicOutput(id: $id) { status kind commercialUseAllowed analysis modelCode settings } }"""


def _midi_of(work_id: str) -> bytes:
    work = next(w for w in dataset.load("ci").works if w["id"] == work_id)
    piece = dataset.piece_of(work)
    return midi.write(
        {"melody": piece.notes},
        tempo=100,
        metre=piece.metre,
        tonic=piece.tonic,
        mode=piece.mode,
        programs={"melody": 0},
        velocities={"melody": 90},
    )


async def _upload(client, data: bytes, name: str) -> str:
    token = client.cookies.get("csrftoken") or await csrf_token(client)
    response = await client.post("/uploads", content=data, headers={"x-filename": name, "x-csrftoken": token})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_every_midi_upload_gets_a_genre_suggestion(client, make_user, genre_models):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    reels = [
        w
        for w in dataset.load("ci").by_genre("reel")
        if w["id"] in genre_models[0]["manifest"]["heldout_ids"]
    ]
    upload = await _upload(client, _midi_of(reels[0]["id"]), "held-out-reel.mid")
    await _upload(client, b"not a midi file", "broken.mid")
    await _upload(client, b"RIFF....WAVE", "sound.wav")  # not MIDI: not tagged
    assert await services.tag_new_uploads() == 2
    found = {s["uploadId"]: s for s in (await gql(client, SUGGESTIONS))["data"]["genreSuggestions"]}
    assert len(found) == 2
    assert found[upload]["genre"] == "reel" and found[upload]["status"] == "ready"
    assert 0 < found[upload]["confidence"] <= 1
    assert [s["status"] for k, s in found.items() if k != upload] == ["failed"]


async def test_restyle_a_midi_upload_into_a_jig(client, workers, make_user, genre_models, professional):  # noqa: F811
    await make_user(professional)
    await log_in(client, professional)
    upload = await _upload(client, _midi_of(dataset.load("ci").by_genre("folk_german")[2]["id"]), "song.mid")
    body = await gql(client, RESTYLE, {"input": {"genre": "jig", "uploadId": upload, "seed": 3}})
    assert body["data"]["restyleMusic"]["errors"] == []
    row = (
        await Output.select().where(Output.public_id == body["data"]["restyleMusic"]["output"]["id"]).first()
    )
    job = await wait_for_job(row["job_id"], within=60)
    assert job["status"] == "done", job
    out = (await gql(client, OUTPUT, {"id": row["public_id"]}))["data"]["musicOutput"]
    assert out["kind"] == "restyle" and out["modelCode"] == "jig"
    assert out["analysis"]["beat_agreement"] >= 0.5
    assert out["analysis"]["tagged_as"] == "jig"
    assert "skeleton" not in out["settings"]


async def test_outputs_of_a_non_commercial_model_cannot_be_used_commercially(
    client, workers, make_user, genre_models
):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    ids = []
    for genre in ("folk_german", "hornpipe"):
        body = await gql(client, GENERATE, {"input": {"genre": genre, "bars": 4, "seed": 1}})
        ids.append(body["data"]["generateMusic"]["output"]["id"])
    assert await services.output_commercial_use_allowed(ids[0]) is False
    assert await services.output_commercial_use_allowed(ids[1]) is True
    out = (await gql(client, OUTPUT, {"id": ids[0]}))["data"]["musicOutput"]
    assert out["commercialUseAllowed"] is False


async def test_the_monthly_quota_ends_in_an_upgrade_prompt(client, make_user, genre_models):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    allowed = 10  # Free: ai_generations_per_month
    for seed in range(allowed):
        body = await gql(client, GENERATE, {"input": {"genre": "reel", "bars": 2, "seed": seed}})
        assert body["data"]["generateMusic"]["errors"] == [], body
    body = await gql(client, GENERATE, {"input": {"genre": "reel", "bars": 2, "seed": 99}})
    errors = body["data"]["generateMusic"]["errors"]
    assert errors and errors[0]["code"] in ("LIMIT_REACHED", "UPGRADE_REQUIRED")
    assert await Output.count() == allowed
    page = await client.post(
        "/intelligence/generate",
        data={"_csrf_token": await csrf_token(client, "/intelligence"), "genre": "reel", "bars": "2"},
    )
    assert page.status_code == 422 and 'data-testid="upgrade-prompt"' in page.text
