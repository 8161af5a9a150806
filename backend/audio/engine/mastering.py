"""The "streaming" mastering preset: about -14 LUFS integrated, at most -1 dBTP true peak.

Loudness normalisation needs the whole song's loudness before the first sample can be scaled, so
the render writes the pre-master mix to a temporary float WAV while measuring it, then this module
reads it back block by block through gain → true-peak brick-wall limiter and measures the result.

A gain followed by a limiter changes the loudness it was computed for (the limiter shaves peaks,
most on quiet, peaky material brought up a lot) and a limiter's own true-peak detector may let an
inter-sample peak through. So each pass is measured — integrated loudness with the BS.1770 meter,
true peak with our own 4x-oversampled meter — and corrected: gain by the loudness error, ceiling by
the true-peak excess, until both hold (at most ``MAX_PASSES``; each pass costs only the limiter,
not the mix).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pedalboard
from pedalboard.io import AudioFile

from backend.audio.engine.atomic import atomic_path
from backend.audio.engine.chain import BoardStage
from backend.audio.engine.measure import LUFS_FLOOR, LoudnessMeter, PeakMeter, TruePeakMeter

TARGET_LUFS = -14.0
LUFS_TOLERANCE = 0.5
CEILING_DBTP = -1.0
MAX_PASSES = 5
MAX_GAIN_DB = 40.0
_BLOCK = 16384


@dataclass(frozen=True, slots=True)
class Levels:
    lufs: float
    true_peak_dbtp: float
    peak_dbfs: float


def stream_through(
    src: Path,
    dst: Path,
    stage: BoardStage | None,
    *,
    progress: Callable[[float], None] | None = None,
) -> Levels:
    """Copy ``src`` to a float WAV at ``dst`` through ``stage``, measuring what is written."""
    with AudioFile(str(src)) as reader:
        rate = int(reader.samplerate)
        channels = reader.num_channels
        total = reader.frames
        loud = LoudnessMeter(rate, channels)
        true_peak = TruePeakMeter(channels)
        peak = PeakMeter()
        written = 0
        with atomic_path(dst) as tmp, AudioFile(str(tmp), "w", rate, channels, bit_depth=32) as writer:
            while written < total:
                block = (
                    reader.read(_BLOCK) if reader.tell() < total else np.zeros((channels, _BLOCK), np.float32)
                )
                out = stage.push(block) if stage is not None else block
                out = out[:, : total - written]
                if out.shape[1]:
                    writer.write(out)
                    loud.add(out)
                    true_peak.add(out)
                    peak.add(out)
                    written += out.shape[1]
                if progress is not None:
                    progress(written / max(1, total))
    return Levels(loud.integrated(), true_peak.dbtp(), peak.dbfs())


def master_streaming(
    premaster: Path,
    out_path: Path,
    premaster_lufs: float,
    *,
    progress: Callable[[float], None] | None = None,
) -> Levels:
    """Write ``out_path`` from ``premaster`` at the streaming target; returns the measured result."""
    with AudioFile(str(premaster)) as f:
        rate = int(f.samplerate)
    if premaster_lufs <= LUFS_FLOOR:
        # Silence (or nearly): there is no loudness to normalise. Copy it through unchanged.
        return stream_through(premaster, out_path, None, progress=progress)
    gain_db = min(MAX_GAIN_DB, TARGET_LUFS - premaster_lufs)
    ceiling = CEILING_DBTP - 0.5
    levels = Levels(LUFS_FLOOR, 0.0, 0.0)
    for attempt in range(MAX_PASSES):
        stage = BoardStage(
            [
                pedalboard.Gain(gain_db=gain_db),
                pedalboard.BrickwallLimiter(
                    ceiling_db=ceiling, release_ms=60.0, lookahead_ms=5.0, true_peak=True
                ),
            ],
            rate,
        )

        def report(fraction: float, attempt: int = attempt) -> None:
            if progress is not None:
                # Most songs need one or two passes: spend the first half on the first.
                progress(min(1.0, (attempt + fraction) / 2.0) if attempt < 2 else 1.0)

        levels = stream_through(premaster, out_path, stage, progress=report)
        loud_ok = abs(levels.lufs - TARGET_LUFS) <= LUFS_TOLERANCE
        peak_ok = levels.true_peak_dbtp <= CEILING_DBTP - 0.05
        if loud_ok and peak_ok:
            break
        if not loud_ok:
            gain_db = min(MAX_GAIN_DB, gain_db + (TARGET_LUFS - levels.lufs))
        if not peak_ok:
            ceiling -= levels.true_peak_dbtp - CEILING_DBTP + 0.2
    return levels
