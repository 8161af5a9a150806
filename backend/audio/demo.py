"""Demo studio for ``cadenza dev``: two synthesised sounds and a small project for the demo creator.

Once per demo creator (it looks for the sounds it uploaded, so a renamed or deleted demo project
does not come back with a second copy of the sounds) and quick: the sounds are made with numpy (no
downloads) and go through the real path — an upload, ``create_asset``, and the very ingest job the
audio worker runs, executed here inline so the project can place clips on ready assets at once.
"""

from __future__ import annotations

import io
import logging
import wave
from typing import Any

import numpy as np

from backend.accounts import services as accounts
from backend.audio import assets, projects
from backend.core import clock, jobs
from backend.core.ids import new_id
from backend.core.storage import storage
from backend.core.tables import Upload

log = logging.getLogger(__name__)

DEMO_EMAIL = "creator@demo.cadenza.local"
DEMO_TITLE = "Demo song"
RATE = 48000
TEMPO = 120.0
BAR = 4 * 60.0 / TEMPO  # seconds in a 4/4 bar


def _wav(samples: np.ndarray) -> bytes:
    """Stereo 16-bit WAV bytes from a (frames, 2) float array in [-1, 1]."""
    data = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(data)
    return buffer.getvalue()


def drum_loop(bars: int = 2) -> bytes:
    """Kick on every beat, a noise snare on 2 and 4, closed hats on the eighths."""
    rng = np.random.default_rng(7)
    frames = int(bars * BAR * RATE)
    out = np.zeros(frames)
    beat = int(RATE * 60.0 / TEMPO)
    t = np.arange(int(0.35 * RATE)) / RATE
    kick = np.sin(2 * np.pi * (45 + 90 * np.exp(-t * 30)) * t) * np.exp(-t * 9) * 0.9
    snare = rng.normal(0, 0.35, int(0.2 * RATE)) * np.exp(-np.arange(int(0.2 * RATE)) / RATE * 25)
    hat = rng.normal(0, 0.12, int(0.05 * RATE)) * np.exp(-np.arange(int(0.05 * RATE)) / RATE * 90)
    for i in range(bars * 8):
        at = i * beat // 2
        if i % 2 == 0:
            out[at : at + len(kick)] += kick[: frames - at]
        if i % 4 == 2:
            out[at : at + len(snare)] += snare[: frames - at]
        out[at : at + len(hat)] += hat[: frames - at]
    return _wav(np.stack([out, out], axis=1) * 0.55)  # headroom: the kick and hats overlap


def pad_chord(bars: int = 2) -> bytes:
    """A soft A-minor pad: detuned sines with a slow swell, slightly wide."""
    t = np.arange(int(bars * BAR * RATE)) / RATE
    swell = np.minimum(1.0, t / 0.8) * np.minimum(1.0, (t[-1] - t) / 0.8)
    left = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 261.63, 329.63, 110.0)) * 0.12 * swell
    right = sum(np.sin(2 * np.pi * f * 1.003 * t) for f in (220.0, 261.63, 329.63, 110.0)) * 0.12 * swell
    return _wav(np.stack([left, right], axis=1))


async def _asset(actor: Any, name: str, data: bytes) -> dict[str, Any]:
    upload_id = new_id("upl")
    key = f"uploads/{actor.public_id}/{upload_id}"
    stored = await storage().save_bytes(key, data)
    await Upload.insert(
        Upload(
            public_id=upload_id,
            owner_id=actor.user_id,
            storage_key=key,
            filename=f"{name}.wav",
            declared_type="audio/wav",
            size=stored.size,
            sha256=stored.sha256,
            purpose="demo",
            created_at=clock.now(),
        )
    )
    row = await assets.create_asset(actor, upload_id, name)
    # Run the ingest job here (the worker will find it done when the queued copy arrives).
    await jobs.run_job(jobs.discover_jobs()["audio.ingest_asset"], row["job_id"])
    found = await assets.get_asset(actor, row["public_id"])
    return found


async def seed() -> None:
    user = await accounts.find_user_by_email(DEMO_EMAIL)
    if user is None:
        return
    if await Upload.exists().where(Upload.owner_id == user["id"], Upload.purpose == "demo"):
        return  # seeded before: what the creator has done with it since is theirs
    actor = await accounts.actor_for_user(user["id"])
    if actor is None:
        return
    drums = await _asset(actor, "Demo drums", drum_loop())
    pad = await _asset(actor, "Demo pad", pad_chord())
    if drums["status"] != "ready" or pad["status"] != "ready":
        log.warning(
            "demo sounds did not decode (%s, %s): no demo project", drums["error_key"], pad["error_key"]
        )
        return
    project = await projects.create_project(
        actor, DEMO_TITLE, tempo=TEMPO, time_signature=(4, 4), sample_rate=RATE
    )
    length = 2 * BAR
    await projects.apply_operations(
        actor,
        project["public_id"],
        0,
        [
            {
                "kind": "add_track",
                "track": {
                    "id": new_id("trk"),
                    "name": "Drums",
                    "color": "#f87171",
                    "effects": [{"id": new_id("fx"), "type": "compressor", "params": {"threshold_db": -20}}],
                    "clips": [
                        {
                            "id": new_id("clp"),
                            "asset_id": drums["public_id"],
                            "start": i * length,
                            "length": length,
                        }
                        for i in range(2)
                    ],
                },
            },
            {
                "kind": "add_track",
                "track": {
                    "id": new_id("trk"),
                    "name": "Pad",
                    "color": "#22d3ee",
                    "gain_db": -4.0,
                    "pan": 0.1,
                    "effects": [
                        {"id": new_id("fx"), "type": "lowpass", "params": {"cutoff_hz": 6000}},
                        {
                            "id": new_id("fx"),
                            "type": "reverb",
                            "params": {"room_size": 0.7, "wet_level": 0.3},
                        },
                    ],
                    "clips": [
                        {
                            "id": new_id("clp"),
                            "asset_id": pad["public_id"],
                            "start": i * length,
                            "length": length,
                            "fade_in": 0.2,
                            "fade_out": 0.5,
                        }
                        for i in range(2)
                    ],
                },
            },
            {"kind": "add_effect", "target": "master", "effect": {"id": new_id("fx"), "type": "limiter"}},
            {"kind": "set_master", "field": "mastering", "value": "streaming"},
        ],
    )
