"""The levels a waveform is drawn from: a few hundred numbers in [0, 1], stored with the release."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np

LEVELS = 200
_RATE = 2000  # Hz: plenty for an envelope, and decoding stays cheap


def from_peaks(peaks: Any, levels: int = LEVELS) -> list[float]:
    """Downsample the studio's ``[[min, max], …]`` (or plain numbers) to ``levels`` loudness bars."""
    if not peaks:
        return []
    values = np.array(
        [
            max(abs(float(p[0])), abs(float(p[1]))) if isinstance(p, list | tuple) else abs(float(p))
            for p in peaks
        ]
    )
    return _bins(values, levels)


def _bins(values: np.ndarray, levels: int) -> list[float]:
    if values.size == 0:
        return []
    edges = np.linspace(0, values.size, num=min(levels, values.size) + 1).astype(int)
    bars = [float(values[a:b].max()) if b > a else 0.0 for a, b in zip(edges[:-1], edges[1:], strict=True)]
    top = max(bars) or 1.0
    return [round(min(1.0, b / top), 3) for b in bars]


async def from_file(path: Path, levels: int = LEVELS) -> tuple[list[float], float | None]:
    """Decode with ffmpeg (in its own process) and measure the envelope and duration."""
    process = await asyncio.create_subprocess_exec(
        "ffmpeg",
        "-nostdin",
        "-v",
        "error",
        "-i",
        str(path),
        "-ac",
        "1",
        "-ar",
        str(_RATE),
        "-f",
        "s16le",
        "-",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        raw, _ = await asyncio.wait_for(process.communicate(), 60)
    except TimeoutError:
        process.kill()
        await process.wait()
        return [], None
    if process.returncode != 0 or not raw:
        return [], None
    samples = np.abs(np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2").astype(np.float32)) / 32768.0
    return _bins(samples, levels), samples.size / _RATE
