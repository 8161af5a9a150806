"""Assets through the real ingest job in the audio worker: metadata, failures, quota, deletion."""

from __future__ import annotations

import asyncio
import os

import httpx

from backend.audio import assets as asset_service
from backend.audio.tables import Asset, StorageUsage
from backend.core.storage import storage
from tests.audio.helpers import apply, create_project, op, tone_wav, upload
from tests.fixtures import gql, log_in, wait_for_job

CREATE = """
mutation($u: ID!) { createAsset(uploadId: $u) { asset { id status job { id } } errors { field code message } } }
"""
ASSET = """
query($id: ID!) { asset(id: $id) {
  id name status failureReason failureCode format duration sampleRate channels bitDepth loudness truePeak sizeBytes
  previewUrl downloadUrl waveform(points: 50) { min max }
} }
"""


async def ingest(client: httpx.AsyncClient, data: bytes, filename: str, within: float = 60.0) -> dict:
    upload_id = await upload(client, data, filename)
    created = (await gql(client, CREATE, {"u": upload_id}))["data"]["createAsset"]
    assert created["errors"] == [], created
    await wait_for_job(created["asset"]["job"]["id"], within=within)
    return (await gql(client, ASSET, {"id": created["asset"]["id"]}))["data"]["asset"]


async def test_an_upload_becomes_a_ready_asset_with_its_metadata(client, make_user, workers):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    asset = await ingest(client, tone_wav(2.0, rate=44100, amplitude=0.5, bits=16), "Sine Lead.wav")
    assert asset["status"] == "READY", asset
    assert asset["name"] == "Sine Lead" and asset["format"] == "wav"
    assert abs(asset["duration"] - 2.0) < 0.01
    assert (asset["sampleRate"], asset["channels"], asset["bitDepth"]) == (44100, 2, 16)
    # A full-scale-ish sine at 0.5 amplitude: about -6 dBTP, and its loudness is measured.
    assert -6.5 < asset["truePeak"] < -5.5
    assert -12 < asset["loudness"] < -2
    assert len(asset["waveform"]) == 50 and max(p["max"] for p in asset["waveform"]) > 0.45
    for url in (asset["previewUrl"], asset["downloadUrl"]):
        response = await client.get(url)
        assert response.status_code == 200 and len(response.content) > 1000
    # The original is kept byte for byte, under the asset's own folder.
    row = await Asset.select().where(Asset.public_id == asset["id"]).first()
    assert row["original_key"].startswith(f"audio/{(await _public_id('ada@example.com'))}/{asset['id']}/")
    assert (await client.get(asset["downloadUrl"])).content == tone_wav(
        2.0, rate=44100, amplitude=0.5, bits=16
    )
    usage = await StorageUsage.select().first()
    assert usage["used_bytes"] == row["charged_bytes"] > 0


async def _public_id(email: str) -> str:
    from backend.accounts.tables import User

    return (await User.select(User.public_id).where(User.email == email).first())["public_id"]


async def test_a_corrupt_upload_fails_with_a_translated_reason_and_the_worker_serves_the_next(
    client, make_user, workers
):
    await make_user("ada@example.com", locale="de")
    await log_in(client, "ada@example.com")
    garbage = b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(4000)
    broken = await ingest(client, garbage, "broken.wav")
    assert broken["status"] == "FAILED"
    assert broken["failureCode"] and broken["failureReason"]
    assert not broken["failureReason"].startswith("audio."), broken
    assert await StorageUsage.select(StorageUsage.used_bytes).first() == {"used_bytes": 0}
    # Not audio at all, named like audio: sniffed from the bytes, refused.
    text = await ingest(client, b"hello, this is not a song\n" * 100, "song.mp3")
    assert text["status"] == "FAILED"
    good = await ingest(client, tone_wav(0.5), "after.wav")
    assert good["status"] == "READY"


async def test_claiming_is_idempotent_and_only_for_the_owner(client, app, make_user, workers):
    await make_user("ada@example.com")
    await make_user("eve@example.com", display_name="Eve")
    await log_in(client, "ada@example.com")
    upload_id = await upload(client, tone_wav(0.5), "once.wav")
    eve = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50009)),
        base_url="http://testserver.local",
    )
    try:
        await log_in(eve, "eve@example.com")
        stolen = (await gql(eve, CREATE, {"u": upload_id}))["data"]["createAsset"]
        assert stolen["errors"][0]["code"] == "UPLOAD_NOT_FOUND"
    finally:
        await eve.aclose()
    first, second = await asyncio.gather(
        gql(client, CREATE, {"u": upload_id}), gql(client, CREATE, {"u": upload_id})
    )
    ids = {
        first["data"]["createAsset"]["asset"] and first["data"]["createAsset"]["asset"]["id"],
        second["data"]["createAsset"]["asset"] and second["data"]["createAsset"]["asset"]["id"],
    } - {None}
    assert len(ids) == 1 and await Asset.count() == 1


async def test_storage_usage_can_never_pass_the_limit_even_when_racing():
    results = await asyncio.gather(*(asset_service.charge(77, 300, 1000) for _ in range(10)))
    assert sum(results) == 3
    assert (await StorageUsage.select(StorageUsage.used_bytes).where(StorageUsage.user_id == 77).first())[
        "used_bytes"
    ] == 900
    await asset_service.release(77, 300)
    assert await asset_service.charge(77, 400, 1000)
    assert not await asset_service.charge(77, 1, 1000)


async def test_delete_refuses_an_asset_a_project_plays_and_frees_the_rest(client, make_user, workers):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    used = await ingest(client, tone_wav(1.0), "used.wav")
    spare = await ingest(client, tone_wav(1.0, freq=220), "spare.wav")
    project = await create_project(client, "Keeper")
    await apply(
        client,
        project["id"],
        0,
        op("add_track", track={"id": "trk_a00000000"}),
        op("add_clip", track_id="trk_a00000000", clip={"id": "clp_a00000000", "asset_id": used["id"]}),
    )
    delete = "mutation($id: ID!) { deleteAsset(id: $id) { deletedId errors { code message } } }"
    refused = (await gql(client, delete, {"id": used["id"]}))["data"]["deleteAsset"]
    assert refused["errors"][0]["code"] == "ASSET_IN_USE" and "Keeper" in refused["errors"][0]["message"]
    before = (await StorageUsage.select(StorageUsage.used_bytes).first())["used_bytes"]
    spare_row = await Asset.select().where(Asset.public_id == spare["id"]).first()
    done = (await gql(client, delete, {"id": spare["id"]}))["data"]["deleteAsset"]
    assert done["deletedId"] == spare["id"]
    after = (await StorageUsage.select(StorageUsage.used_bytes).first())["used_bytes"]
    assert before - after == spare_row["charged_bytes"]
    assert not storage().exists(spare_row["decoded_key"])
    listed = await gql(client, "{ assets { nodes { id } } }")
    assert [n["id"] for n in listed["data"]["assets"]["nodes"]] == [used["id"]]
    # Once no clip plays it any more, it can go.
    await apply(
        client, project["id"], 2, op("remove_clip", track_id="trk_a00000000", clip_id="clp_a00000000")
    )
    assert (await gql(client, delete, {"id": used["id"]}))["data"]["deleteAsset"]["errors"] == []
    assert (await StorageUsage.select(StorageUsage.used_bytes).first())["used_bytes"] == 0
