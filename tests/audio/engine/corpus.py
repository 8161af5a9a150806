"""Good and malformed audio files, generated at test time.

``good_files`` makes one small file of every supported kind; ``malformed_files`` derives well over
a hundred broken ones from them: cut at many offsets, random bytes (with and without a real magic
number in front), absurd header values, empty, renamed, and not audio at all.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from tests.audio.engine.signals import ffmpeg, music, sine, write


def good_files(directory: Path, seconds: float = 0.4) -> dict[str, Path]:
    """kind → path; kinds name the encoding (``wav16``, ``m4a`` …)."""
    directory.mkdir(parents=True, exist_ok=True)
    stereo = music(seconds, 48000) * 0.7
    files = {
        "wav16": write(directory / "wav16.wav", stereo, 48000, bit_depth=16),
        "wav24": write(directory / "wav24.wav", sine(440, seconds, 44100, 0.5), 44100, bit_depth=24),
        "wav32f": write(directory / "wav32f.wav", music(seconds, 96000) * 0.7, 96000, bit_depth=32),
        "aiff": write(directory / "aiff.aiff", stereo, 48000, bit_depth=16),
        "flac": write(directory / "flac.flac", music(seconds, 96000) * 0.7, 96000, bit_depth=24),
        "mp3": write(directory / "mp3.mp3", music(seconds, 44100) * 0.7, 44100, quality="320"),
        "ogg": write(directory / "ogg.ogg", stereo, 48000, quality="160 kbps"),
    }
    source = write(directory / "for-ffmpeg.wav", music(seconds, 44100) * 0.7, 44100, bit_depth=16)
    files["m4a"] = directory / "m4a.m4a"
    ffmpeg("-i", str(source), "-c:a", "aac", "-b:a", "128k", str(files["m4a"]))
    files["alac"] = directory / "alac.m4a"
    ffmpeg("-i", str(source), "-c:a", "alac", str(files["alac"]))
    files["opus"] = directory / "opus.opus"
    ffmpeg("-i", str(source), "-c:a", "libopus", "-b:a", "96k", str(files["opus"]))
    files["mp3_id3"] = directory / "mp3_id3.mp3"
    ffmpeg(
        "-i", str(source), "-c:a", "libmp3lame", "-b:a", "128k", "-metadata", "title=x", str(files["mp3_id3"])
    )
    source.unlink()
    return files


def _wav(channels: int, rate: int, bits: int, data: bytes, *, tag: int = 1, align: int | None = None,
         data_size: int | None = None, fmt_size: int = 16) -> bytes:  # fmt: skip
    align = channels * bits // 8 if align is None else align
    fmt = struct.pack("<HHIIHH", tag, channels & 0xFFFF, rate & 0xFFFFFFFF, (rate * align) & 0xFFFFFFFF,
                      align & 0xFFFF, bits)  # fmt: skip
    # The declared fmt size may lie (that is the point); the bytes written stay small.
    body = b"WAVE" + b"fmt " + struct.pack("<I", fmt_size) + fmt + b"\x00" * min(64, max(0, fmt_size - 16))
    body += b"data" + struct.pack("<I", len(data) if data_size is None else data_size) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _extended(value: float) -> bytes:
    """An 80-bit extended float, as AIFF stores its rate (value > 0)."""
    exponent = int(np.floor(np.log2(value)))
    mantissa = int(value / 2.0 ** (exponent - 63))
    return struct.pack(">HQ", exponent + 16383, mantissa)


def _aiff(channels: int, frames: int, bits: int, rate_raw: bytes, data: bytes) -> bytes:
    comm = struct.pack(">hIh", channels, frames, bits) + rate_raw
    ssnd = struct.pack(">II", 0, 0) + data
    body = (
        b"AIFF"
        + b"COMM"
        + struct.pack(">I", len(comm))
        + comm
        + b"SSND"
        + struct.pack(">I", len(ssnd))
        + ssnd
    )
    return b"FORM" + struct.pack(">I", len(body)) + body


def _flac_streaminfo(rate: int, channels: int, bps: int, total: int) -> bytes:
    bits = (rate << 44) | ((channels - 1) << 41) | ((bps - 1) << 36) | total
    info = struct.pack(">HHxxxxxx", 4096, 4096) + bits.to_bytes(8, "big") + b"\x00" * 16
    return b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info


def malformed_files(directory: Path, good: dict[str, Path]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []

    def add(name: str, data: bytes) -> None:
        path = directory / name
        path.write_bytes(data)
        made.append(path)

    # Cut short at many offsets: inside the magic, the header, the first frame, the middle, the end.
    for kind in ("wav16", "wav24", "aiff", "flac", "mp3", "ogg", "opus", "m4a", "mp3_id3"):
        data = good[kind].read_bytes()
        n = len(data)
        offsets = sorted(
            {1, 3, 8, 12, 20, 36, 44, 60, 200, n // 5, n // 3, n // 2, 2 * n // 3, n - 200, n - 1}
        )
        for offset in offsets:
            if 0 < offset < n:
                add(f"cut-{kind}-{offset}{good[kind].suffix}", data[:offset])

    # Random bytes, sometimes behind a real magic number.
    rng = np.random.default_rng(2024)
    magics = [b"", b"RIFF\x00\x10\x00\x00WAVE", b"FORM\x00\x00\x10\x00AIFF", b"fLaC", b"OggS\x00\x02", b"ID3\x04\x00\x00\x00\x00\x00\x10",
              b"\xff\xfb\x90\x64", b"\x00\x00\x00\x20ftypM4A ", b"MThd"]  # fmt: skip
    for i, magic in enumerate(magics):
        for size in (17, 900, 20000):
            add(f"random-{i}-{size}.wav", magic + rng.integers(0, 256, size, dtype=np.uint8).tobytes())

    pcm = (sine(440, 0.1, 8000, 0.5)[0] * 32767).astype("<i2").tobytes()
    # Absurd WAV headers.
    add("wav-2e31-channels.wav", _wav(0xFFFF, 48000, 16, pcm, align=0xFFFF))
    add("wav-zero-channels.wav", _wav(0, 48000, 16, pcm, align=0))
    add("wav-rate-zero.wav", _wav(1, 0, 16, pcm))
    add("wav-rate-4e9.wav", _wav(1, 4_000_000_000, 16, pcm))
    add("wav-rate-2.wav", _wav(1, 2, 16, pcm))
    add("wav-7-bits.wav", _wav(1, 8000, 7, pcm, align=1))
    add("wav-0-bits.wav", _wav(1, 8000, 0, pcm, align=0))
    add("wav-bad-align.wav", _wav(2, 8000, 16, pcm, align=3))
    add("wav-huge-data.wav", _wav(1, 8000, 16, pcm, data_size=0xFFFFFFF0))
    add("wav-data-4gb-claims.wav", _wav(2, 48000, 24, pcm[:600], data_size=0x7FFFFFFF))
    add("wav-empty-data.wav", _wav(1, 8000, 16, b""))
    add("wav-adpcm.wav", _wav(1, 8000, 4, pcm, tag=2, align=256))
    add("wav-mulaw.wav", _wav(1, 8000, 8, pcm, tag=7))
    add("wav-huge-fmt.wav", _wav(1, 8000, 16, pcm, fmt_size=0x7FFFFFFF))
    add("wav-no-fmt.wav", b"RIFF\x24\x00\x00\x00WAVEdata\x10\x00\x00\x00" + b"\x00" * 16)
    add("wav-only-header.wav", b"RIFF\x04\x00\x00\x00WAVE")
    add("wav-chunk-loop.wav", b"RIFF\xff\xff\xff\x7fWAVE" + b"junk\x00\x00\x00\x00" * 10)
    add("wav-float-nan.wav", _wav(1, 8000, 32, np.full(800, np.nan, dtype="<f4").tobytes(), tag=3))
    add("wav-float-inf.wav", _wav(1, 8000, 32, np.full(800, np.inf, dtype="<f4").tobytes(), tag=3))
    add("wav-too-long.wav", _wav(8, 8000, 8, b"\x80" * 8 * 16, data_size=8 * 8000 * 3600 * 2)[:200])
    # Absurd AIFF headers.
    add("aiff-zero-channels.aiff", _aiff(0, 400, 16, _extended(8000), pcm))
    add("aiff-negative-channels.aiff", _aiff(-3, 400, 16, _extended(8000), pcm))
    add("aiff-rate-zero.aiff", _aiff(1, 400, 16, b"\x00" * 10, pcm))
    add("aiff-rate-infinite.aiff", _aiff(1, 400, 16, b"\x7f\xff" + b"\x00" * 8, pcm))
    add("aiff-rate-1e30.aiff", _aiff(1, 400, 16, _extended(1e30), pcm))
    add("aiff-huge-frames.aiff", _aiff(1, 0xFFFFFFFF, 16, _extended(8000), pcm))
    add("aiff-5-bits.aiff", _aiff(1, 400, 5, _extended(8000), pcm))
    add("aiff-no-comm.aiff", b"FORM\x00\x00\x00\x0cAIFFSSND\x00\x00\x00\x00")
    # Absurd FLAC headers.
    add("flac-rate-zero.flac", _flac_streaminfo(0, 2, 16, 1000) + b"\xff\xf8" + b"\x00" * 100)
    add("flac-huge-total.flac", _flac_streaminfo(44100, 2, 16, (1 << 36) - 1) + b"\xff\xf8" + b"\x00" * 100)
    add("flac-3-bits.flac", _flac_streaminfo(44100, 2, 3, 1000) + b"\xff\xf8" + b"\x00" * 100)
    add("flac-no-frames.flac", _flac_streaminfo(44100, 2, 16, 1000))
    add(
        "flac-garbage-frames.flac",
        _flac_streaminfo(44100, 2, 16, 1000) + rng.integers(0, 256, 3000, dtype=np.uint8).tobytes(),
    )
    add("flac-no-streaminfo.flac", b"fLaC" + bytes([0x84, 0, 0, 8]) + b"\x00" * 8 + b"\xff\xf8" * 10)

    # Nothing at all, next to nothing, and things that are not audio (whatever their names say).
    add("empty.wav", b"")
    add("one-byte.mp3", b"\xff")
    add("text.wav", b"This is not a sound file, it is a note.\n" * 20)
    add("png.mp3", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    add("pdf.flac", b"%PDF-1.4\n" + b"x" * 300)
    add("zip.ogg", b"PK\x03\x04" + b"\x00" * 300)
    add("midi.mid", b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk\x00\x00\x00\x04\x00\xff\x2f\x00")
    add("html.m4a", b"<!doctype html><html><body>hello</body></html>")
    return made
