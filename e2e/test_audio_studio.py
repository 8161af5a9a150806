"""A creator's studio session: upload two sounds, build a 16-track project with effects, render it
while the progress bar moves, play the mix, and download a 24-bit/96 kHz FLAC.

Logs in as the seeded demo creator (Professional plan)."""

from __future__ import annotations

import asyncio
import io
import wave

import numpy as np
import pytest
import soundfile

from e2e.conftest import LiveServer, log_in

DEMO = "creator@demo.cadenza.local"


def _wav(seconds: float, freq: float, rate: int = 48000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.4 * np.sin(2 * np.pi * freq * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
    frames = (np.stack([tone, tone], axis=1) * 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


async def _wait_revision_above(page, revision: int) -> int:
    await page.wait_for_function(
        "r => Number(document.querySelector('[data-testid=studio]').dataset.revision) > r", arg=revision
    )
    return int(await page.get_by_test_id("studio").get_attribute("data-revision"))


@pytest.mark.timeout(900)  # a long journey on a machine shared with the rest of the suite
async def test_upload_build_sixteen_tracks_render_play_and_download_hires_flac(page, live_server: LiveServer):
    page.set_default_timeout(60_000)
    await log_in(page, DEMO)

    # Two uploads, with progress, become ready assets with waveforms.
    await page.goto("/library")
    storage_before = await page.get_by_test_id("storage-meter").inner_text()
    await page.get_by_test_id("upload-input").set_input_files(
        [
            {"name": "Bass hum.wav", "mimeType": "audio/wav", "buffer": _wav(45.0, 110.0)},
            {"name": "Lead tone.wav", "mimeType": "audio/wav", "buffer": _wav(45.0, 660.0)},
        ]
    )
    await page.get_by_test_id("upload-submit").click()
    for name in ("Bass hum", "Lead tone"):
        row = page.locator("[data-testid=asset-row]", has_text=name)
        await row.and_(page.locator("[data-status=READY]")).wait_for()
        assert await row.get_by_test_id("asset-waveform").count() == 1
    # Without a reload, the list's count and the storage gauge include the new sounds.
    await page.wait_for_function(
        """() => document.querySelector('#library caption').textContent.trim()
                 === document.querySelectorAll('[data-testid=asset-row]').length + ' sounds'"""
    )
    assert await page.get_by_test_id("storage-meter").inner_text() != storage_before

    # A new project with sixteen tracks.
    await page.goto("/projects")
    await page.get_by_test_id("field-title").fill("Sixteen")
    await page.get_by_test_id("field-sample_rate").select_option("96000")
    await page.get_by_test_id("project-create").click()
    await page.wait_for_selector("[data-testid=studio]")
    revision = int(await page.get_by_test_id("studio").get_attribute("data-revision"))
    await page.get_by_test_id("add-track-count").fill("16")
    await page.get_by_test_id("add-track-submit").click()
    revision = await _wait_revision_above(page, revision)
    assert await page.get_by_test_id("track").count() == 16
    assert "16" in await page.get_by_test_id("track-count").inner_text()

    # Clips on four of the tracks, from the library, and an effect on each of those.
    assets = (
        await page.locator("[data-testid=track] >> nth=0")
        .get_by_test_id("add-clip-asset")
        .locator("option")
        .all()
    )
    asset_ids = [await option.get_attribute("value") for option in assets[:2]]
    for index in range(4):
        track = page.get_by_test_id("track").nth(index)
        await track.locator("summary").click()  # an empty track keeps its clips and effects folded
        await track.get_by_test_id("add-clip-asset").select_option(asset_ids[index % 2])
        await track.get_by_test_id("add-clip-start").fill(str(index % 4))
        await track.get_by_test_id("add-clip-submit").click()
        revision = await _wait_revision_above(page, revision)
        track = page.get_by_test_id("track").nth(index)
        await track.get_by_test_id("add-effect-type").select_option(
            "reverb" if index % 2 == 0 else "compressor"
        )
        await track.get_by_test_id("add-effect-submit").click()
        revision = await _wait_revision_above(page, revision)
    assert await page.get_by_test_id("timeline-clip").count() == 4
    assert await page.locator("[data-testid=effect][data-effect-type=reverb]").count() == 2
    # Turn a knob: the reverb's room size (the form posts as the slider changes).
    room = page.get_by_test_id("track").nth(0).get_by_test_id("param-room_size")
    await room.fill("0.8")
    revision = await _wait_revision_above(page, revision)
    # A fold the creator closes stays closed while the studio redraws after the next edit.
    await page.get_by_test_id("track").nth(1).locator("summary").click()
    assert not await page.locator("[data-testid=track] >> nth=1").locator("details").evaluate("d => d.open")
    master = page.get_by_test_id("master")
    await master.get_by_test_id("add-effect-type").select_option("limiter")
    await master.get_by_test_id("add-effect-submit").click()
    revision = await _wait_revision_above(page, revision)
    assert await page.locator("[data-testid=master] [data-effect-type=limiter]").count() == 1
    assert not await page.locator("[data-testid=track] >> nth=1").locator("details").evaluate("d => d.open")
    assert await page.locator("[data-testid=track] >> nth=0").locator("details").evaluate("d => d.open")

    # Render: the bar moves live, then the mix appears.
    await page.get_by_test_id("render-start").click()
    await page.wait_for_selector("[data-testid=job-bar]")
    seen: set[float] = set()
    for _ in range(1200):
        # One look at the page as it is now (the panel is redrawn every second, the bar goes at the end).
        status, value = await page.evaluate(
            """() => {
                const panel = document.querySelector('[data-testid=render-panel]');
                const bar = document.querySelector('[data-testid=job-bar]');
                return [panel && panel.dataset.status, bar && bar.dataset.progress];
            }"""
        )
        if status == "DONE":
            break
        if value is not None:
            seen.add(round(float(value), 3))
        await asyncio.sleep(0.05)
    assert await page.get_by_test_id("render-panel").get_attribute("data-status") == "DONE"
    moving = sorted(v for v in seen if 0.0 < v < 1.0)
    assert len(moving) >= 2, f"the progress bar should move, saw {sorted(seen)}"

    # Play the mix in the page.
    player = page.get_by_test_id("mix-player")
    await player.evaluate("audio => audio.play()")
    await page.wait_for_function("() => document.querySelector('[data-testid=mix-player]').currentTime > 0.3")
    assert await page.get_by_test_id("meter-lufs").count() == 1

    # Export a 24-bit / 96 kHz FLAC and download it.
    await page.get_by_test_id("export-format").select_option("flac")
    await page.get_by_test_id("export-rate").select_option("96000")
    await page.get_by_test_id("export-depth").select_option("24")
    await page.get_by_test_id("export-submit").click()
    assert await page.get_by_test_id("upgrade-prompt").count() == 0
    item = page.locator("[data-testid=export-item][data-format=FLAC]").first
    await page.locator("[data-testid=export-item][data-format=FLAC][data-status=DONE]").first.wait_for()
    async with page.expect_download() as download_info:
        await (
            page.locator("[data-testid=export-item][data-status=DONE]")
            .first.get_by_test_id("export-download")
            .click()
        )
    download = await download_info.value
    assert download.suggested_filename.endswith(".flac")
    info = soundfile.info(await download.path())
    assert (info.format, info.samplerate, info.subtype) == ("FLAC", 96000, "PCM_24")
    assert info.duration > 45.0
    assert await item.get_attribute("data-rate") == "96000"
