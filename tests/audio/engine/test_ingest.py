"""Ingest: every supported format decodes right; every malformed file ends in a clear IngestError, in
a child process, and the caller carries on with the next file."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import signal
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile
import yaml

from backend.audio.engine import IngestError, ingest, sniff
from backend.audio.engine.limits import EngineLimits
from tests.audio.engine.corpus import good_files, malformed_files
from tests.audio.engine.signals import music, read, write

TRANSLATIONS = Path(__file__).resolve().parents[3] / "translations"

# kind → (format, sample rate, channels, bit depth, lossless)
EXPECTED = {
    "wav16": ("wav", 48000, 2, 16, True),
    "wav24": ("wav", 44100, 1, 24, True),
    "wav32f": ("wav", 96000, 2, 32, True),
    "aiff": ("aiff", 48000, 2, 16, True),
    "flac": ("flac", 96000, 2, 24, True),
    "mp3": ("mp3", 44100, 2, None, False),
    "mp3_id3": ("mp3", 44100, 2, None, False),
    "ogg": ("ogg", 48000, 2, None, False),
    "m4a": ("m4a", 44100, 2, None, False),
    "alac": ("m4a", 44100, 2, 16, True),
    "opus": ("opus", 48000, 2, None, False),
}


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, Path]:
    return good_files(tmp_path_factory.mktemp("good"))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", sorted(EXPECTED))
async def test_every_supported_format_decodes_with_the_right_figures(tmp_path, good, kind):
    fmt, rate, channels, bit_depth, lossless = EXPECTED[kind]
    source = good[kind]
    result = await ingest(source, tmp_path / "asset")
    assert (result.format, result.sample_rate, result.channels, result.bit_depth) == (
        fmt,
        rate,
        channels,
        bit_depth,
    )
    # Lossy codecs add encoder delay and padding: a few tens of milliseconds at most.
    assert result.duration == pytest.approx(0.4, abs=1e-6 if lossless else 0.06)

    assert result.original_path == tmp_path / "asset" / f"original.{result.original_path.suffix[1:]}"
    assert _sha(result.original_path) == _sha(source), "the original is kept byte for byte"

    decoded, decoded_rate = read(result.decoded_path)
    assert decoded_rate == rate and decoded.shape == (channels, result.frames)
    if lossless and fmt != "m4a":
        original, _ = read(source)
        step = 2.0 ** -(bit_depth - 1) if bit_depth and bit_depth < 32 else 1e-7
        assert np.max(np.abs(decoded - original)) <= step, "lossless stays lossless"
    info = soundfile.info(str(result.decoded_path))
    if bit_depth == 32:
        assert (result.decoded_path.name, info.subtype) == ("decoded.wav", "FLOAT")
    else:
        assert result.decoded_path.name == "decoded.flac"
        assert info.subtype == ("PCM_16" if bit_depth == 16 else "PCM_24")

    preview = soundfile.info(str(result.preview_path))
    assert preview.format == "MP3" and preview.samplerate in (44100, 48000)
    assert preview.duration == pytest.approx(result.duration, abs=0.1)

    assert 900 <= len(result.peaks) <= 1000
    lows, highs = np.array(result.peaks).T
    assert np.all(lows <= highs) and lows.min() >= -1 and highs.max() <= 1
    mono = decoded.mean(axis=0)
    assert highs.max() == pytest.approx(min(1.0, float(mono.max())), abs=1e-3)
    assert lows.min() == pytest.approx(max(-1.0, float(mono.min())), abs=1e-3)
    expected_lufs = pyloudnorm.Meter(rate).integrated_loudness(decoded.T.astype(np.float64))
    assert result.lufs == pytest.approx(expected_lufs, abs=0.05)
    assert result.true_peak_dbtp >= 20 * np.log10(np.max(np.abs(decoded))) - 1e-6


async def test_the_format_comes_from_the_bytes_not_the_name(tmp_path, good):
    disguised = tmp_path / "definitely-an.mp3"
    shutil.copyfile(good["flac"], disguised)
    assert sniff(disguised) == "flac"
    result = await ingest(disguised, tmp_path / "a")
    assert result.format == "flac" and result.original_path.name == "original.flac"
    renamed = tmp_path / "song.ogg"
    shutil.copyfile(good["opus"], renamed)
    assert sniff(renamed) == "opus"
    assert sniff(good["ogg"]) == "ogg" and sniff(good["m4a"]) == "m4a" and sniff(good["mp3_id3"]) == "mp3"


async def test_over_a_hundred_malformed_files_each_end_in_a_clear_error(tmp_path, good):
    corpus = malformed_files(tmp_path / "bad", good)
    assert len(corpus) >= 100
    translated = set(yaml.safe_load((TRANSLATIONS / "audio.en.yml").read_text())["errors"])
    gate = asyncio.Semaphore(4)  # children in parallel, not a fork bomb

    async def attempt(path: Path) -> tuple[Path, str | None]:
        async with gate:
            try:
                await ingest(path, tmp_path / "out" / path.name)
            except IngestError as exc:
                return path, exc.key
            return path, None

    outcomes = await asyncio.gather(*(attempt(p) for p in corpus))
    accepted = [p.name for p, key in outcomes if key is None]
    assert not accepted, f"malformed files accepted: {accepted}"
    for path, key in outcomes:
        assert key and key.startswith("audio.errors.") and key.split(".")[-1] in translated, (path.name, key)
        leftovers = (
            list((tmp_path / "out" / path.name).glob("*")) if (tmp_path / "out" / path.name).exists() else []
        )
        assert not leftovers, (path.name, leftovers)
    keys = {key for _, key in outcomes}
    assert {"audio.errors.truncated", "audio.errors.unsupported_format", "audio.errors.invalid_header",
            "audio.errors.empty_file", "audio.errors.corrupt_file"} <= keys  # fmt: skip

    # The calling process survived all of it and ingests the next good file.
    result = await ingest(good["wav16"], tmp_path / "after")
    assert result.format == "wav" and result.duration == pytest.approx(0.4)


def _children_of_forkserver() -> list[int]:
    from multiprocessing import forkserver

    pid = forkserver._forkserver._forkserver_pid
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory) -> Path:
    """Two minutes at 96 kHz: long enough to be caught in the middle of decoding."""
    path = tmp_path_factory.mktemp("long") / "long.wav"
    with soundfile.SoundFile(str(path), "w", 96000, 2, "PCM_24") as f:
        block = music(10.0, 96000).T * 0.5
        for _ in range(12):
            f.write(block)
    return path


async def test_a_decoder_crash_becomes_an_ingest_error_and_the_worker_goes_on(tmp_path, good, long_wav):
    killed: list[int] = []

    async def on_progress(fraction: float) -> None:
        if not killed:
            for pid in _children_of_forkserver():
                os.kill(pid, signal.SIGSEGV)  # what a crashing decoder does
                killed.append(pid)

    with pytest.raises(IngestError) as caught:
        await ingest(long_wav, tmp_path / "crash", on_progress=on_progress)
    assert killed and caught.value.key == "audio.errors.decoder_crashed"
    assert not list((tmp_path / "crash").glob("*")), "nothing half-made is left"
    result = await ingest(good["flac"], tmp_path / "next")
    assert result.format == "flac"


@pytest.mark.parametrize(
    ("limits", "key"),
    [
        (EngineLimits(ingest_wall_seconds=0.3), "audio.errors.too_slow"),
        (EngineLimits(ingest_cpu_seconds=1), "audio.errors.too_slow"),
        # Ingest streams in blocks (8 MiB of headroom can be enough): 1 MiB cannot be.
        (EngineLimits(ingest_memory_bytes=1024 * 1024), "audio.errors.too_much_memory"),
        (EngineLimits(max_duration_seconds=60.0), "audio.errors.too_long"),
        (EngineLimits(max_file_bytes=1024 * 1024), "audio.errors.file_too_large"),
    ],
)
async def test_limits_stop_the_child_with_a_clear_key(tmp_path, long_wav, limits, key):
    with pytest.raises(IngestError) as caught:
        await ingest(long_wav, tmp_path / "limited", limits=limits)
    assert caught.value.key == key
    assert not list((tmp_path / "limited").glob("*")) if (tmp_path / "limited").exists() else True


def test_without_ffmpeg_m4a_and_opus_are_refused_with_a_clear_key(tmp_path, good, monkeypatch):
    from backend.audio.engine import ingestion
    from backend.audio.engine.limits import DEFAULT_LIMITS

    monkeypatch.setattr(ingestion.shutil, "which", lambda name: None)
    for kind in ("m4a", "opus"):
        with pytest.raises(IngestError) as caught:
            ingestion.ingest_file(good[kind], tmp_path / kind, DEFAULT_LIMITS)
        assert caught.value.key == "audio.errors.decoder_missing"
        assert caught.value.params == {"decoder": "ffmpeg"}


async def test_quiet_and_mono_sources_are_measured(tmp_path):
    rate = 44100
    quiet = write(tmp_path / "quiet.wav", (music(3.0, rate)[:1] * 0.01), rate, bit_depth=16)
    result = await ingest(quiet, tmp_path / "q")
    assert result.channels == 1 and result.bit_depth == 16
    decoded = read(result.decoded_path)[0].astype(np.float64)
    assert result.lufs == pytest.approx(pyloudnorm.Meter(rate).integrated_loudness(decoded.T), abs=0.05)
    assert result.lufs < -40
