"""The public surface: bad input gets a clear translated error and leaves nothing behind; models
and outputs are private to their owners; plan gates and the quota show upgrade prompts."""

from __future__ import annotations

import io
import re

import mido
import pytest

from backend.core.i18n import LOCALES
from backend.intelligence import midi
from backend.intelligence.tables import GenreModel, Output
from tests.fixtures import csrf_token, gql, log_in

GENERATE = """mutation($input: GenerateMusicInput!) { generateMusic(input: $input) {
  output { id } errors { field code message } } }"""
TRAIN = """mutation($input: TrainPersonalModelInput!) { trainPersonalModel(input: $input) {
  model { id } errors { field code message } } }"""
RESTYLE = """mutation($input: RestyleMusicInput!) { restyleMusic(input: $input) {
  output { id } errors { field code message } } }"""


async def _upload(client, data: bytes, name: str = "tune.mid") -> str:
    token = client.cookies.get("csrftoken") or await csrf_token(client)
    response = await client.post("/uploads", content=data, headers={"x-filename": name, "x-csrftoken": token})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def professional(monkeypatch):
    """Put ``professional@example.com`` on the Professional plan (the plan lookup only: billing's own
    tests cover how a subscription gets there)."""
    from backend.billing import entitlements as ent
    from backend.billing import services as billing
    from backend.billing.plans import PLANS

    original = billing.compute

    async def compute(user_id: int):
        from backend.accounts import services as accounts

        user = await accounts.get_user(user_id)
        if user is not None and user["email"] == "professional@example.com":
            return ent.Entitlements(plan=PLANS["professional"], source="own")
        return await original(user_id)

    monkeypatch.setattr(billing, "compute", compute)
    return "professional@example.com"


def _tune(seed: int) -> bytes:
    song = mido.MidiFile()
    track = mido.MidiTrack()
    song.tracks.append(track)
    for i in range(24):
        note = 60 + (seed * 7 + i * 5) % 12
        track.append(mido.Message("note_on", note=note, velocity=80, time=0))
        track.append(mido.Message("note_off", note=note, velocity=0, time=240))
    buffer = io.BytesIO()
    song.save(file=buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("locale", ["en", "de", "ja"])
async def test_bad_generation_settings_are_refused_in_the_users_language(
    client, make_user, genre_models, locale
):
    await make_user("ada@example.com", locale=locale)
    await log_in(client, "ada@example.com")
    cases = [
        ({"genre": "polka"}, "genre", "UNKNOWN_GENRE"),
        ({"genre": "reel", "bars": 100000}, "bars", "BAD_BARS"),
        ({"genre": "reel", "tempo": 5000}, "tempo", "BAD_TEMPO"),
        ({"genre": "reel", "key": "H major"}, "key", "BAD_KEY"),
    ]
    for input, field, code in cases:
        errors = (await gql(client, GENERATE, {"input": input}))["data"]["generateMusic"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [(field, code)]
        assert not errors[0]["message"].startswith("intelligence.")
    assert await Output.count() == 0


@pytest.mark.parametrize(
    ("locale", "typed", "title"),
    [
        ("en", "F#m", "Reel · F# minor"),
        ("de", "fis-Moll", "Reel · fis-Moll"),
        ("ja", "嬰ヘ短調", "リール · 嬰ヘ短調"),
    ],
)
async def test_keys_and_default_titles_speak_the_creators_language(
    client, make_user, genre_models, locale, typed, title
):
    await make_user("ada@example.com", locale=locale)
    await log_in(client, "ada@example.com")
    body = await gql(client, GENERATE, {"input": {"genre": "reel", "bars": 8, "key": typed}})
    assert body["data"]["generateMusic"]["errors"] == []
    [output] = await Output.select(Output.title, Output.settings).output(load_json=True)
    assert output["title"] == title, "named for the genre and key, as the creator writes them"
    assert output["settings"]["key"] == "F# minor"  # stored one way for every reader
    page = await client.get(f"/intelligence/outputs/{body['data']['generateMusic']['output']['id']}")
    shown = title.split(" · ")[1]
    assert re.search(rf"<dd>[^<]*{re.escape(shown)}[^<]*</dd>", page.text), "the settings line shows the key"


async def test_free_plan_limits_show_upgrade_codes(client, make_user, genre_models):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    errors = (await gql(client, GENERATE, {"input": {"genre": "reel", "bars": 32}}))["data"]["generateMusic"][
        "errors"
    ]
    assert errors[0]["field"] == "bars" and errors[0]["code"] in ("LIMIT_REACHED", "UPGRADE_REQUIRED")
    upload = await _upload(client, _tune(1))
    errors = (await gql(client, RESTYLE, {"input": {"genre": "jig", "uploadId": upload}}))["data"][
        "restyleMusic"
    ]["errors"]
    assert errors[0]["code"] in ("FEATURE_NOT_IN_PLAN", "UPGRADE_REQUIRED")
    errors = (await gql(client, TRAIN, {"input": {"name": "Mine", "uploadIds": [upload] * 10}}))["data"][
        "trainPersonalModel"
    ]["errors"]
    assert errors[0]["code"] in ("FEATURE_NOT_IN_PLAN", "UPGRADE_REQUIRED")
    assert await Output.count() == 0
    assert await GenreModel.count().where(GenreModel.kind == "personal") == 0


async def test_personal_model_input_is_checked_and_nothing_partial_is_left(
    client, make_user, genre_models, professional
):
    await make_user(professional)
    await log_in(client, professional)
    good = [await _upload(client, _tune(i), f"t{i}.mid") for i in range(9)]
    errors = (await gql(client, TRAIN, {"input": {"name": "Mine", "uploadIds": good}}))["data"][
        "trainPersonalModel"
    ]["errors"]
    assert errors[0]["code"] == "TOO_FEW_FILES"
    bad = await _upload(client, b"this is not midi at all", "notes.txt")
    errors = (await gql(client, TRAIN, {"input": {"name": "Mine", "uploadIds": [*good, bad]}}))["data"][
        "trainPersonalModel"
    ]["errors"]
    assert (
        errors[0]["code"] == "BAD_FILE"
        and errors[0]["field"] == "uploadIds.9"
        and "notes.txt" in errors[0]["message"]
    )
    empty = await _upload(
        client,
        midi.write(
            {"melody": []},
            tempo=120,
            metre="4/4",
            tonic=0,
            mode="major",
            programs={"melody": 0},
            velocities={"melody": 80},
        ),
        "empty.mid",
    )
    errors = (await gql(client, TRAIN, {"input": {"name": "Mine", "uploadIds": [*good, empty]}}))["data"][
        "trainPersonalModel"
    ]["errors"]
    assert errors[0]["code"] == "BAD_FILE"
    assert await GenreModel.count().where(GenreModel.kind == "personal") == 0


async def test_personal_models_and_outputs_are_private(
    client, workers, make_user, genre_models, professional
):
    await make_user(professional)
    await make_user("eve@example.com")
    await log_in(client, professional)
    ids = [await _upload(client, _tune(i), f"t{i}.mid") for i in range(10)]
    created = (await gql(client, TRAIN, {"input": {"name": "My style", "uploadIds": ids}}))["data"][
        "trainPersonalModel"
    ]
    assert created["errors"] == []
    model_id = created["model"]["id"]
    from tests.fixtures import wait_for_job

    row = await GenreModel.select().where(GenreModel.public_id == model_id).first()
    job = await wait_for_job(row["job_id"], within=60)
    assert job["status"] == "done", job
    card = (
        await gql(
            client,
            "query($id: ID!) { musicModel(id: $id) { status commercialUse personal { baseLoss blendLoss } } }",
            {"id": model_id},
        )
    )["data"]["musicModel"]
    assert card["status"] == "ready" and card["commercialUse"] is True
    await client.post("/graphql", json={"query": "mutation { logOut { ok } }"})
    client.cookies.clear()
    await log_in(client, "eve@example.com")
    body = await gql(client, "query($id: ID!) { musicModel(id: $id) { id } }", {"id": model_id})
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    errors = (await gql(client, GENERATE, {"input": {"genre": model_id}}))["data"]["generateMusic"]["errors"]
    assert errors[0]["code"] == "UNKNOWN_GENRE"


@pytest.mark.parametrize("locale", LOCALES)
async def test_pages_render_in_every_locale(client, make_user, genre_models, locale):
    await make_user("ada@example.com", locale=locale)
    await log_in(client, "ada@example.com")
    for path in (
        "/intelligence",
        "/intelligence/models",
        "/intelligence/personal",
        "/intelligence/restyle",
        "/intelligence/outputs",
    ):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text[:2000])
        assert "intelligence." not in response.text.split("<main", 1)[1], path
    models = (await gql(client, "{ musicModels { id code } }"))["data"]["musicModels"]
    response = await client.get(f"/intelligence/models/{models[0]['id']}")
    assert response.status_code == 200
    assert (
        'data-testid="chart-loss"' in response.text and 'data-testid="chart-pitch-classes"' in response.text
    )
