"""From parts to sound: one dry WAV per part, then the mixdown through the studio's engine.

Each part is rendered with the SoundFont synthesizer (or the built-in one) into a 44.1 kHz float
WAV. The mixdown is a studio document — one track per part with the genre's effect chain, pan and
level, the master set to the "streaming" mastering preset (≈ -14 LUFS, ≤ -1 dBTP) — rendered by
``backend.audio.engine.render`` in its limited child process, so the result page plays exactly
what the studio project renders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pedalboard.io import AudioFile

from backend.intelligence import synth
from backend.intelligence.arrange import PARTS, Preset
from backend.intelligence.effects import MIX, studio_effects
from backend.intelligence.piece import Note

SAMPLE_RATE = synth.RATE


@dataclass(frozen=True, slots=True)
class RenderedPart:
    part: str
    path: Path
    seconds: float


def _write_wav(path: Path, audio: np.ndarray) -> None:
    with AudioFile(str(path), "w", samplerate=SAMPLE_RATE, num_channels=2, bit_depth=16) as out:
        # 16-bit keeps a 16-bar part small; headroom keeps the dry render from clipping.
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > 0.89:
            audio = audio * (0.89 / peak)
        out.write(audio.astype(np.float32))


def render_parts(
    parts: Mapping[str, Sequence[Note]], *, preset: Preset, tempo: int, total_steps: int, directory: Path
) -> list[RenderedPart]:
    """CPU work: call it in a thread or process, never in the event loop."""
    rendered = []
    for part in PARTS:
        notes = parts.get(part) or []
        if not notes:
            continue
        audio = synth.render_part(
            notes,
            program=preset.programs[part],
            drums=part == "drums",
            velocity=preset.velocities[part],
            tempo=tempo,
            total_steps=total_steps,
        )
        path = directory / f"{part}.wav"
        _write_wav(path, audio)
        rendered.append(RenderedPart(part, path, audio.shape[1] / SAMPLE_RATE))
    return rendered


def studio_tracks(
    rendered: Sequence[RenderedPart],
    asset_ids: Mapping[str, str],
    chain: str,
    id_of: Any,
    names: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Tracks in the studio document's shape: one clip each, the genre's chain, pan and level.
    ``id_of(prefix)`` makes ids the studio accepts (``trk_…``, ``clp_…``, ``fx_…``)."""
    colors = {"melody": "#7c5cff", "harmony": "#22d3ee", "bass": "#34d399", "drums": "#fbbf24"}
    tracks = []
    for r in rendered:
        tracks.append(
            {
                "id": id_of("trk"),
                "name": names.get(r.part, r.part),
                "color": colors[r.part],
                "gain_db": MIX[r.part]["gain_db"],
                "pan": MIX[r.part]["pan"],
                "mute": False,
                "solo": False,
                "effects": studio_effects(chain, r.part, id_of),
                "clips": [
                    {
                        "id": id_of("clp"),
                        "asset_id": asset_ids[r.part],
                        "start": 0.0,
                        "offset": 0.0,
                        "length": round(r.seconds, 6),
                        "gain_db": 0.0,
                        "fade_in": 0.0,
                        "fade_out": 0.0,
                    }
                ],
            }
        )
    return tracks


def mix_document(title: str, tempo: int, metre: str, tracks: list[dict[str, Any]]) -> dict[str, Any]:
    num, den = (int(x) for x in metre.split("/"))
    return {
        "title": title[:120],
        "tempo": float(tempo),
        "time_signature": [num, den],
        "sample_rate": SAMPLE_RATE,
        "tracks": tracks,
        "master": {"gain_db": 0.0, "effects": [], "mastering": "streaming"},
    }


async def mixdown(document: dict[str, Any], sources: Mapping[str, Path], out_path: Path) -> dict[str, float]:
    """Render and master with the studio's engine; returns the measured loudness and peak."""
    from backend.audio import engine

    result = await engine.render(document, dict(sources), out_path)
    return {
        "duration": result.duration,
        "lufs": round(result.lufs, 2),
        "true_peak_dbtp": round(result.true_peak_dbtp, 2),
    }


async def render_parts_async(*args: Any, **kwargs: Any) -> list[RenderedPart]:
    return await asyncio.to_thread(render_parts, *args, **kwargs)
