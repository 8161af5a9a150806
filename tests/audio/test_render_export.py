"""Renders and exports through the real jobs in the audio worker, checked by measurement."""

from __future__ import annotations

import asyncio
import io

import httpx
import numpy as np
import soundfile

from backend.core import events, jobs
from backend.core.tables import Job
from tests.audio.helpers import apply, create_project, make_demo_creator, op, tone_wav, upload
from tests.fixtures import gql, log_in, wait_for_job

RENDER = """
mutation($id: ID!, $stems: Boolean) { renderProject(projectId: $id, settings: {stems: $stems}) {
  cached render { id status revision job { id } } errors { field code message } } }
"""
RENDER_STATE = """
query($id: ID!) { render(id: $id) { id status revision loudness truePeak duration previewUrl downloadUrl failureCode
  job { id status progress } } }
"""
EXPORT = """
mutation($id: ID!, $s: ExportSettingsInput!) { exportProject(projectId: $id, settings: $s) {
  export { id filename status job { id } } errors { field code message } } }
"""
EXPORT_STATE = """
query($id: ID!) { export(id: $id) { id status filename sampleRate bitDepth downloadUrl details failureReason } }
"""


async def _tone_asset(client: httpx.AsyncClient, seconds: float = 2.0, **tone) -> str:
    upload_id = await upload(client, tone_wav(seconds, **tone), "tone.wav")
    body = await gql(
        client,
        "mutation($u: ID!) { createAsset(uploadId: $u) { asset { id job { id } } errors { code } } }",
        {"u": upload_id},
    )
    asset = body["data"]["createAsset"]["asset"]
    await wait_for_job(asset["job"]["id"], within=60)
    return asset["id"]


async def _song(client: httpx.AsyncClient, asset: str, *, gain_db: float = 0.0, length: float = 2.0) -> dict:
    project = await create_project(client, "Tone")
    await apply(
        client,
        project["id"],
        0,
        op("add_track", track={"id": "trk_tone00000", "name": "Tone", "gain_db": gain_db}),
        op(
            "add_clip",
            track_id="trk_tone00000",
            clip={"id": "clp_tone00000", "asset_id": asset, "start": 0, "length": length},
        ),
    )
    return project


async def _render(client: httpx.AsyncClient, project_id: str, **variables) -> dict:
    body = await gql(client, RENDER, {"id": project_id, **variables})
    payload = body["data"]["renderProject"]
    assert payload["errors"] == [], payload
    return payload


async def _mix(client: httpx.AsyncClient, render_id: str) -> tuple[np.ndarray, int, dict]:
    state = (await gql(client, RENDER_STATE, {"id": render_id}))["data"]["render"]
    assert state["status"] == "DONE", state
    response = await client.get(state["downloadUrl"])
    assert response.status_code == 200
    audio, rate = soundfile.read(io.BytesIO(response.content), dtype="float64", always_2d=True)
    return audio, rate, state


def _peak_db(audio: np.ndarray) -> float:
    return 20 * np.log10(np.max(np.abs(audio)))


async def test_render_reports_progress_measures_right_and_is_cached(client, make_user, workers):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    asset = await _tone_asset(client, 4.0, amplitude=0.5)
    loud = await _song(client, asset, length=4.0)
    quiet = await _song(client, asset, gain_db=-6.0, length=4.0)

    first = await _render(client, loud["id"])
    job_id = first["render"]["job"]["id"]
    seen: list[float] = []
    async with events.listen(jobs.channel(job_id)) as queue:
        row = await jobs.get_job(job_id)
        status = row["status"]
        while status not in jobs.TERMINAL:
            event = await asyncio.wait_for(queue.get(), 60)
            seen.append(event["progress"])
            status = event["status"]
    assert status == "done"
    assert len(seen) >= 3 and seen == sorted(seen) and seen[-1] == 1.0, seen

    loud_mix, rate, loud_state = await _mix(client, first["render"]["id"])
    assert rate == 48000 and loud_mix.dtype == np.float64 and abs(loud_state["duration"] - 4.0) < 0.05
    other = await _render(client, quiet["id"])
    await wait_for_job(other["render"]["job"]["id"], within=60)
    quiet_mix, _, quiet_state = await _mix(client, other["render"]["id"])
    # The track fader at -6 dB reads 6 dB lower, in sample peak and in loudness.
    assert abs((_peak_db(loud_mix) - _peak_db(quiet_mix)) - 6.0) < 0.1
    assert abs((loud_state["loudness"] - quiet_state["loudness"]) - 6.0) < 0.2

    # The same request again: served from the cache, no second job.
    again = await _render(client, loud["id"])
    assert again["cached"] is True and again["render"]["id"] == first["render"]["id"]
    assert await Job.count().where(Job.kind == "audio.render_mix") == 2
    # A change makes a new render; undoing it finds the old mix again.
    await apply(client, loud["id"], 2, op("set_track", track_id="trk_tone00000", field="gain_db", value=-1.0))
    changed = await _render(client, loud["id"])
    assert changed["render"]["id"] != first["render"]["id"] and changed["cached"] is False
    await wait_for_job(changed["render"]["job"]["id"], within=60)
    await apply(client, loud["id"], 3, op("set_track", track_id="trk_tone00000", field="gain_db", value=0.0))
    undone = await _render(client, loud["id"])
    assert undone["render"]["id"] == first["render"]["id"] and undone["cached"] is True


async def test_cancel_stops_a_render(client, make_user, workers):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    asset = await _tone_asset(client, 30.0)
    project = await create_project(client, "Long", sampleRate=96000)
    tracks = [
        op(
            "add_track",
            track={
                "id": f"trk_l{i:08d}",
                "effects": [{"id": f"fx_r{i:09d}", "type": "reverb"}],
                "clips": [{"id": f"clp_l{i:08d}", "asset_id": asset, "start": 0}],
            },
        )
        for i in range(8)
    ]
    await apply(client, project["id"], 0, *tracks)
    started = await _render(client, project["id"])
    cancel = await gql(
        client,
        "mutation($id: ID!) { cancelRender(id: $id) { render { id status } errors { code } } }",
        {"id": started["render"]["id"]},
    )
    assert cancel["data"]["cancelRender"]["errors"] == []
    job = await wait_for_job(started["render"]["job"]["id"], within=60)
    assert job["status"] == "cancelled"
    state = (await gql(client, RENDER_STATE, {"id": started["render"]["id"]}))["data"]["render"]
    assert state["status"] == "CANCELLED" and state["downloadUrl"] is None
    # Asking again renders afresh (a cancelled render is not a cached answer).
    again = await _render(client, project["id"])
    assert again["cached"] is False and again["render"]["status"] == "QUEUED"
    await gql(
        client,
        "mutation($id: ID!) { cancelRender(id: $id) { errors { code } } }",
        {"id": again["render"]["id"]},
    )
    await wait_for_job(again["render"]["job"]["id"], within=60)


async def test_demo_creator_exports_flac_24_bit_96_khz(client, make_user, workers, monkeypatch):
    demo = await make_demo_creator(make_user, monkeypatch)
    await log_in(client, demo["email"])
    asset = await _tone_asset(client, 1.0, rate=48000)
    project = await _song(client, asset, length=1.0)
    body = await gql(
        client,
        EXPORT,
        {
            "id": project["id"],
            "s": {
                "format": "FLAC",
                "sampleRate": 96000,
                "bitDepth": 24,
                "title": "Tone test",
                "artist": "Demo",
            },
        },
    )
    created = body["data"]["exportProject"]
    assert created["errors"] == [], created
    assert created["export"]["filename"].endswith(".flac")
    job = await wait_for_job(created["export"]["job"]["id"], within=120)
    assert job["status"] == "done", job
    state = (await gql(client, EXPORT_STATE, {"id": created["export"]["id"]}))["data"]["export"]
    response = await client.get(state["downloadUrl"])
    assert response.status_code == 200
    assert created["export"]["filename"] in response.headers["content-disposition"]
    info = soundfile.info(io.BytesIO(response.content))
    assert (info.format, info.samplerate, info.subtype) == ("FLAC", 96000, "PCM_24")
    assert abs(info.duration - 1.0) < 0.01


async def test_free_users_get_an_upgrade_prompt_not_an_error(client, make_user, workers):
    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    asset = await _tone_asset(client, 1.0)
    project = await _song(client, asset, length=1.0)
    for settings, field in (
        ({"format": "FLAC", "sampleRate": 48000, "bitDepth": 16}, "format"),
        ({"format": "WAV", "sampleRate": 96000, "bitDepth": 16}, "sampleRate"),
        ({"format": "WAV", "sampleRate": 48000, "bitDepth": 24}, "bitDepth"),
        ({"format": "STEMS", "sampleRate": 48000, "bitDepth": 16}, "format"),
        ({"format": "DAWPROJECT", "sampleRate": 48000}, "format"),
    ):
        refused = (await gql(client, EXPORT, {"id": project["id"], "s": settings}))["data"]["exportProject"]
        assert refused["export"] is None
        assert (
            refused["errors"][0]["code"] == "UPGRADE_REQUIRED" and refused["errors"][0]["field"] == field
        ), refused
        assert "plan" in refused["errors"][0]["message"]
    assert await Job.count().where(Job.kind == "audio.export_mix") == 0
    # What Free includes works: 16-bit WAV at 48 kHz.
    allowed = (
        await gql(
            client, EXPORT, {"id": project["id"], "s": {"format": "WAV", "sampleRate": 48000, "bitDepth": 16}}
        )
    )["data"]["exportProject"]
    assert allowed["errors"] == []
    assert (await wait_for_job(allowed["export"]["job"]["id"], within=120))["status"] == "done"
    state = (await gql(client, EXPORT_STATE, {"id": allowed["export"]["id"]}))["data"]["export"]
    info = soundfile.info(io.BytesIO((await client.get(state["downloadUrl"])).content))
    assert (info.samplerate, info.subtype) == (48000, "PCM_16")
