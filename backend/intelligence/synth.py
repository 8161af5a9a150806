"""Render a part (notes on the grid) to stereo audio.

With a General MIDI SoundFont installed (Debian's ``fluid-soundfont-gm`` or ``timgm6mb-soundfont``),
``tinysoundfont`` plays it; without one, a small numpy synthesizer does (additive tones with an
envelope, noise bursts for drums), so rendering never depends on a system package.
TimGM6mb is preferred for speed (≈10× faster than FluidR3 here): the aim is a playable piece within
seconds; ``SOUNDFONTS`` order says which is tried first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from backend.intelligence.piece import GRID, Note

log = logging.getLogger(__name__)
RATE = 44100
SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
)
TAIL_SECONDS = 1.5
_lock = threading.Lock()


def soundfont_path() -> Path | None:
    return next((p for p in SOUNDFONTS if p.is_file()), None)


def engine_name() -> str:
    path = soundfont_path()
    return f"tinysoundfont:{path.name}" if path else "numpy-synth"


@lru_cache(maxsize=2)
def _synth(path: str) -> Any:
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=RATE, gain=-3)
    sfid = synth.sfload(path)
    synth._cadenza_sfid = sfid  # type: ignore[attr-defined]
    return synth


def seconds_of(steps: int, tempo: int) -> float:
    return steps / GRID * 60.0 / tempo


def render_part(
    notes: Sequence[Note], *, program: int, drums: bool, velocity: int, tempo: int, total_steps: int
) -> np.ndarray:
    """Stereo float32 audio, shape (2, samples), ``TAIL_SECONDS`` longer than the music."""
    samples = int((seconds_of(total_steps, tempo) + TAIL_SECONDS) * RATE)
    path = soundfont_path()
    if path is not None:
        try:
            return _render_soundfont(str(path), notes, program, drums, velocity, tempo, samples)
        except Exception:  # a damaged SoundFont must not stop rendering: fall back
            log.warning("SoundFont %s failed; using the built-in synthesizer", path, exc_info=True)
    return _render_numpy(notes, drums=drums, velocity=velocity, tempo=tempo, samples=samples, program=program)


def _events(notes: Sequence[Note], tempo: int) -> list[tuple[int, int, int]]:
    events: list[tuple[int, int, int]] = []  # (sample, on(1)/off(0), pitch)
    for n in notes:
        if n.pitch is None:
            continue
        start = int(seconds_of(n.start, tempo) * RATE)
        end = int(seconds_of(n.start + n.duration, tempo) * RATE) - 64
        events.append((start, 1, n.pitch))
        events.append((max(start + 1, end), 0, n.pitch))
    events.sort(key=lambda e: (e[0], e[1]))
    return events


def _render_soundfont(
    path: str, notes: Sequence[Note], program: int, drums: bool, velocity: int, tempo: int, samples: int
) -> np.ndarray:
    with _lock:  # one synthesizer per SoundFont per process; parts render one after another
        synth = _synth(path)
        synth.sounds_off()  # type: ignore[attr-defined]
        channel = 9 if drums else 0
        synth.program_select(
            channel, synth._cadenza_sfid, 128 if drums else 0, 0 if drums else program, is_drums=drums
        )  # type: ignore[attr-defined]
        out = np.zeros(samples * 2, dtype=np.float32)
        now = 0
        for at, on, pitch in _events(notes, tempo):
            at = min(at, samples)
            if at > now:
                block = synth.generate_simple(at - now)  # type: ignore[attr-defined]
                out[now * 2 : at * 2] = np.frombuffer(block, dtype=np.float32)
                now = at
            if on:
                synth.noteon(channel, pitch, velocity)  # type: ignore[attr-defined]
            else:
                synth.noteoff(channel, pitch)  # type: ignore[attr-defined]
        if samples > now:
            block = synth.generate_simple(samples - now)  # type: ignore[attr-defined]
            out[now * 2 :] = np.frombuffer(block, dtype=np.float32)
        synth.sounds_off()  # type: ignore[attr-defined]
    return out.reshape(-1, 2).T.copy()


# ----------------------------------------------------------------------------- built-in synthesizer

# Harmonic amplitudes per instrument family (GM program // 8), a crude but recognisable palette.
_TIMBRES = {
    0: (1.0, 0.5, 0.25, 0.12),  # piano
    2: (1.0, 0.8, 0.6, 0.5, 0.4, 0.3),  # organ
    3: (1.0, 0.4, 0.3, 0.1),  # guitar
    4: (1.0, 0.3, 0.1),  # bass
    5: (1.0, 0.6, 0.45, 0.35, 0.25),  # strings (fiddle)
    6: (1.0, 0.6, 0.45, 0.35),  # ensemble
    9: (1.0, 0.15, 0.05),  # pipe (flute)
    10: (1.0, 0.0, 0.33, 0.0, 0.2),  # synth lead (square-ish)
    11: (1.0, 0.5, 0.3),  # pad
}


def _render_numpy(
    notes: Sequence[Note], *, drums: bool, velocity: int, tempo: int, samples: int, program: int
) -> np.ndarray:
    out = np.zeros(samples, dtype=np.float64)
    gain = velocity / 127.0 * 0.25
    rng = np.random.default_rng(1234)  # fixed: the same notes always sound the same
    harmonics = _TIMBRES.get(program // 8, (1.0, 0.5, 0.25))
    for n in notes:
        if n.pitch is None:
            continue
        start = int(seconds_of(n.start, tempo) * RATE)
        if start >= samples:
            continue
        if drums:
            length = min(int(0.18 * RATE), samples - start)
            t = np.arange(length) / RATE
            env = np.exp(-t * (30 if n.pitch in (42, 54) else 14))
            if n.pitch in (35, 36, 41):
                tone = np.sin(2 * np.pi * (60 + 60 * np.exp(-t * 30)) * t)
            else:
                tone = rng.standard_normal(length) * (0.5 if n.pitch in (42, 54) else 0.8)
            out[start : start + length] += gain * env * tone
            continue
        dur = seconds_of(n.duration, tempo)
        length = min(int((dur + 0.25) * RATE), samples - start)
        t = np.arange(length) / RATE
        freq = 440.0 * 2 ** ((n.pitch - 69) / 12)
        tone = np.zeros(length)
        for k, a in enumerate(harmonics):
            tone += a * np.sin(2 * np.pi * freq * (k + 1) * t)
        attack = np.minimum(1.0, t / 0.01)
        release = np.where(t < dur, 1.0, np.exp(-(t - dur) * 20))
        decay = np.exp(-t * 1.5) * 0.6 + 0.4
        out[start : start + length] += gain * tone * attack * release * decay / sum(harmonics)
    stereo = np.vstack([out, out]).astype(np.float32)
    return stereo
