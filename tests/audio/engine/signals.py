"""Test audio, synthesised at test time (no binary fixtures in the repository)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
from pedalboard.io import AudioFile


def sine(freq: float, seconds: float, rate: int, amplitude: float = 0.5, channels: int = 1) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    mono = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(mono[np.newaxis, :], channels, axis=0)


def music(seconds: float, rate: int, seed: int = 1) -> np.ndarray:
    """Something like a song: kick-ish noise bursts on the beat, a bass and a chord, stereo."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    phase = np.mod(t, 0.5)
    drums = rng.standard_normal(n) * (phase < 0.08) * np.exp(-phase * 30)
    bass = 0.4 * np.sin(2 * np.pi * 55 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t))
    chord = sum(0.12 * np.sin(2 * np.pi * f * t + i) for i, f in enumerate((220, 277.2, 329.6)))
    left = 0.6 * drums + bass + chord
    right = 0.6 * np.roll(drums, 64) + bass + 0.9 * chord
    stereo = np.stack([left, right])
    return (stereo / np.max(np.abs(stereo))).astype(np.float32)


def noisy_tones(folder: Path, base_hz: float, rate: int, seed: int) -> dict[str, Path]:
    """Three 2-second stereo WAVs "a", "b", "c": tones at 1, 2 and 3 × ``base_hz`` with a little noise."""
    rng = np.random.default_rng(seed)
    out = {}
    for i, name in enumerate(("a", "b", "c")):
        tone = sine(base_hz * (i + 1), 2.0, rate, 0.3, channels=2)
        tone += (rng.standard_normal(tone.shape) * 0.05).astype(np.float32)
        out[name] = write(folder / f"{name}.wav", tone, rate)
    return out


def write(path: Path, audio: np.ndarray, rate: int, bit_depth: int = 32, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with AudioFile(str(path), "w", rate, audio.shape[0], bit_depth=bit_depth, **kw) as f:
        f.write(audio)
    return path


def read(path: Path) -> tuple[np.ndarray, int]:
    with AudioFile(str(path)) as f:
        return f.read(f.frames), int(f.samplerate)


def ffmpeg(*args: str) -> None:
    assert shutil.which("ffmpeg"), "ffmpeg is installed on this machine (Debian package)"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def rms_db(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(20 * np.log10(np.sqrt(np.mean(x * x)) + 1e-30))


def peak_frequency(x: np.ndarray, rate: int) -> float:
    """The strongest frequency, interpolated between FFT bins (parabolic fit on the log magnitude)."""
    x = np.asarray(x, dtype=np.float64) * np.hanning(len(x))
    mag = np.abs(np.fft.rfft(x))
    k = int(np.argmax(mag[1:])) + 1
    a, b, c = np.log(mag[k - 1 : k + 2] + 1e-30)
    shift = 0.5 * (a - c) / (a - 2 * b + c)
    return (k + shift) * rate / len(x)
