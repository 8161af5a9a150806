"""Rendering a project to a float32 WAV mix (and stems), synchronously — run in a child process.

``runner.render`` is the async entry point; this module is what the child executes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pedalboard.io import AudioFile

from backend.audio.engine.atomic import safe_name, temp_beside
from backend.audio.engine.document import SAMPLE_RATES, parse_project
from backend.audio.engine.errors import EngineError
from backend.audio.engine.mastering import master_streaming
from backend.audio.engine.measure import LoudnessMeter, PeakMeter, TruePeakMeter
from backend.audio.engine.mixer import CHANNELS, render_blocks, shared_reverb_tracks, timeline_frames

Progress = Callable[[float], None]


def render_project(
    document: dict[str, Any],
    sources: dict[str, Path],
    out_path: Path,
    *,
    stems_dir: Path | None = None,
    sample_rate: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Render the mix to ``out_path`` (float32 WAV); returns the ``RenderResult`` fields.

    A render without stems lets tracks with the same final reverb share one (``sends.py``):
    the same mix, with their peaks metered before the reverb (``peaks_before_reverb``)."""
    project = parse_project(document)
    rate = sample_rate or project.sample_rate
    if rate not in SAMPLE_RATES:
        raise EngineError("audio.errors.invalid_sample_rate", field="sample_rate")
    total = timeline_frames(project, rate)
    if total == 0:
        raise EngineError("audio.errors.nothing_to_render", field="tracks")
    sources = {k: Path(v) for k, v in sources.items()}
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    mastering = project.master.mastering == "streaming"
    mix_share = 0.8 if mastering else 1.0

    temps: list[Path] = []
    stem_files: dict[str, tuple[Path, Path]] = {}  # track id → (temp, final)
    writers: dict[str, Any] = {}  # track id → WriteableAudioFile
    try:
        if stems_dir is not None:
            stems_dir = Path(stems_dir)
            stems_dir.mkdir(parents=True, exist_ok=True)
            for track in project.audible_tracks():
                final = stems_dir / f"{safe_name(track.id)}.wav"
                tmp = temp_beside(final)
                temps.append(tmp)
                stem_files[track.id] = (tmp, final)
                writers[track.id] = AudioFile(str(tmp), "w", rate, CHANNELS, bit_depth=32)

        track_peaks = {track.id: PeakMeter() for track in project.audible_tracks()}
        share = stems_dir is None

        def on_stem(track_id: str, block: Any) -> None:
            if block.shape[1]:
                track_peaks[track_id].add(block)
                if writers:
                    writers[track_id].write(block)

        mix_target = temp_beside(out_path, "premaster" if mastering else "tmp")
        temps.append(mix_target)
        loud = LoudnessMeter(rate, CHANNELS)
        true_peak = TruePeakMeter(CHANNELS)
        peak = PeakMeter()
        done = 0
        last_report = -1.0
        with AudioFile(str(mix_target), "w", rate, CHANNELS, bit_depth=32) as writer:
            for block in render_blocks(project, sources, rate, on_stem=on_stem, share_reverbs=share):
                writer.write(block)
                loud.add(block)
                if not mastering:
                    true_peak.add(block)
                    peak.add(block)
                done += block.shape[1]
                fraction = mix_share * done / total
                if progress is not None and fraction - last_report >= 0.02:
                    progress(fraction)
                    last_report = fraction
        for writer in writers.values():
            writer.close()
        writers.clear()

        if mastering:
            levels = master_streaming(
                mix_target,
                out_path,
                loud.integrated(),
                progress=(lambda f: progress(mix_share + (1 - mix_share) * f)) if progress else None,
            )
            lufs, tp, pk = levels.lufs, levels.true_peak_dbtp, levels.peak_dbfs
        else:
            os.replace(mix_target, out_path)
            lufs, tp, pk = loud.integrated(), true_peak.dbtp(), peak.dbfs()
        stems = {}
        for track_id, (tmp, final) in stem_files.items():
            os.replace(tmp, final)
            stems[track_id] = str(final)
        if progress is not None:
            progress(1.0)
        return {
            "duration": total / rate,
            "sample_rate": rate,
            "peak_dbfs": pk,
            "lufs": lufs,
            "true_peak_dbtp": tp,
            "stems": stems,
            "track_peaks_dbfs": {track_id: meter.dbfs() for track_id, meter in track_peaks.items()},
            "peaks_before_reverb": sorted(shared_reverb_tracks(project)) if share else [],
        }
    finally:
        for writer in writers.values():
            with contextlib.suppress(Exception):
                writer.close()
        for tmp in temps:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
