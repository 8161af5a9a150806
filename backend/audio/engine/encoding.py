"""Exports of a rendered float mix: WAV, FLAC, MP3, Ogg Vorbis; stems in a zip.

Checks run in the caller (``check_export``) so a bad request fails before any child starts; the
encoding runs in a child process (``export_file``, ``export_stems``).

Word length: 16-bit exports are TPDF-dithered (triangular noise of ±1 LSB, the standard way to
turn quantisation distortion into a constant, very low hiss), with a fixed seed so that one mix
always gives the same file. 24-bit and 32-bit float exports are not dithered: 24-bit quantisation
noise lies below any converter's own.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
from pedalboard import Resample
from pedalboard.io import AudioFile

from backend.audio.engine.atomic import atomic_path, temp_beside
from backend.audio.engine.errors import EngineError
from backend.audio.engine.tags import write_tags

FORMATS = ("wav", "flac", "mp3", "ogg")
SAMPLE_RATES = (44100, 48000, 88200, 96000)
BIT_DEPTHS = {"wav": (16, 24, 32), "flac": (16, 24)}
MP3_RATES = (44100, 48000)
MP3_QUALITIES = ("320", "V0")
OGG_KBPS = (64, 500)
_BLOCK = 65536
_DITHER_SEED = 0x5EED


@dataclass(frozen=True, slots=True)
class ExportSpec:
    fmt: str
    bit_depth: int | None  # None for lossy formats
    sample_rate: int
    quality: str | None  # "320"/"V0" for MP3, "<n> kbps" for Ogg, None otherwise
    title: str
    artist: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "fmt": self.fmt,
            "bit_depth": self.bit_depth,
            "sample_rate": self.sample_rate,
            "quality": self.quality,
            "title": self.title,
            "artist": self.artist,
        }


def check_export(
    fmt: Any, bit_depth: Any, sample_rate: Any, quality: Any = None, tags: Any = None
) -> ExportSpec:
    """A valid export request, or ``EngineError`` naming the offending field."""
    if fmt not in FORMATS:
        raise EngineError("audio.errors.invalid_export_format", field="fmt", allowed=", ".join(FORMATS))
    if sample_rate not in SAMPLE_RATES or isinstance(sample_rate, bool):
        raise EngineError("audio.errors.invalid_export_sample_rate", field="sample_rate")
    depth: int | None = None
    q: str | None = None
    if fmt in BIT_DEPTHS:
        if bit_depth not in BIT_DEPTHS[fmt] or isinstance(bit_depth, bool):
            raise EngineError(
                "audio.errors.invalid_bit_depth",
                field="bit_depth",
                format=fmt,
                allowed=", ".join(map(str, BIT_DEPTHS[fmt])),
            )
        depth = int(bit_depth)
        if quality not in (None, ""):
            raise EngineError("audio.errors.invalid_quality", field="quality", format=fmt)
    elif fmt == "mp3":
        if sample_rate not in MP3_RATES:
            raise EngineError("audio.errors.mp3_sample_rate", field="sample_rate")
        q = "320" if quality in (None, "") else str(quality)
        if q not in MP3_QUALITIES:
            raise EngineError("audio.errors.invalid_quality", field="quality", format=fmt)
    else:  # ogg
        q = _ogg_quality(quality)
    title, artist = _tags(tags)
    return ExportSpec(fmt, depth, int(sample_rate), q, title, artist)


def _ogg_quality(quality: Any) -> str:
    if quality in (None, ""):
        return "192 kbps"
    match = re.fullmatch(r"\s*(\d{2,3})\s*(kbps)?\s*", str(quality))
    if not match or not OGG_KBPS[0] <= int(match.group(1)) <= OGG_KBPS[1]:
        raise EngineError("audio.errors.invalid_quality", field="quality", format="ogg")
    return f"{int(match.group(1))} kbps"


def _tags(tags: Any) -> tuple[str, str]:
    if tags is None:
        return "", ""
    if not isinstance(tags, dict):
        raise EngineError("audio.errors.invalid_tags", field="tags")
    values = []
    for name in ("title", "artist"):
        value = tags.get(name) or ""
        if not isinstance(value, str) or len(value) > 200:
            raise EngineError("audio.errors.invalid_tags", field=f"tags.{name}")
        values.append(value)
    return values[0], values[1]


def _quantize(block: np.ndarray, bits: int, rng: np.random.Generator | None) -> np.ndarray:
    """Integer samples on a ``bits`` grid, left-justified in int32 (frames, channels): rounded,
    TPDF-dithered first when ``rng`` is given, clipped to full scale."""
    top = 2.0 ** (bits - 1)
    scaled = block.astype(np.float64) * top
    if rng is not None:
        scaled += rng.random(block.shape) - rng.random(block.shape)
    ints = np.clip(np.round(scaled), -top, top - 1).astype(np.int64)
    return (ints << (32 - bits)).astype(np.int32).T


class _PcmWriter:
    """WAV and FLAC through libsndfile, from integers we computed ourselves.

    pedalboard's writer maps a float to an integer with a floor (measured: ``round(v * (2^31-1))
    >> (32 - bits)``), a half-step bias; here every sample is rounded (and dithered at 16 bits)
    exactly as intended, and float32 WAV keeps the rendered samples bit for bit.
    """

    def __init__(self, path: Path, spec: ExportSpec, channels: int) -> None:
        depth = spec.bit_depth or 24
        subtype = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}[depth]
        self._file = soundfile.SoundFile(
            str(path), "w", spec.sample_rate, channels, subtype=subtype, format=spec.fmt.upper()
        )
        self._depth = depth
        self._rng = np.random.default_rng(_DITHER_SEED) if depth == 16 else None

    def __enter__(self) -> _PcmWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def write(self, block: np.ndarray) -> None:
        if self._depth == 32:
            self._file.write(np.ascontiguousarray(block.T, dtype=np.float32))
        else:
            self._file.write(_quantize(block, self._depth, self._rng))


def export_file(
    mix_wav: Path, out_path: Path, spec: ExportSpec, progress: Callable[[float], None] | None = None
) -> dict[str, Any]:
    """Encode ``mix_wav`` as ``spec`` into ``out_path`` (atomically) and tag it."""
    out_path = Path(out_path)
    try:
        source = AudioFile(str(mix_wav))
    except Exception:
        raise EngineError("audio.errors.mix_unreadable", field=None) from None
    with source as reader:
        channels = reader.num_channels
        stream: Any = reader
        if reader.samplerate != spec.sample_rate:
            stream = reader.resampled_to(spec.sample_rate, Resample.Quality.WindowedSinc64)
        target_frames = stream.frames
        with atomic_path(out_path) as tmp:
            writer: Any
            if spec.fmt in ("wav", "flac"):
                writer = _PcmWriter(tmp, spec, channels)
            else:  # MP3 (LAME) and Ogg Vorbis: pedalboard's encoders
                writer = AudioFile(str(tmp), "w", spec.sample_rate, channels, quality=spec.quality)
            with writer:
                done = 0
                while True:
                    block = stream.read(_BLOCK)
                    if block.shape[1] == 0:
                        break
                    writer.write(block)
                    done += block.shape[1]
                    if progress is not None:
                        progress(min(0.99, done / max(1, target_frames)))
            write_tags(tmp, spec.fmt, spec.title, spec.artist)
    if progress is not None:
        progress(1.0)
    return {
        "path": str(out_path),
        "size": out_path.stat().st_size,
        "sample_rate": spec.sample_rate,
        "bit_depth": spec.bit_depth,
    }


def stem_file_names(names: list[str], extension: str) -> list[str]:
    """Safe, unique archive names for stems: ``Drums.wav``, ``Drums (2).wav``…"""
    seen: dict[str, int] = {}
    result = []
    for name in names:
        clean = unicodedata.normalize("NFC", name)
        clean = "".join(ch for ch in clean if ch.isprintable() and ch not in '/\\:*?"<>|').strip(" .")
        clean = clean[:100] or "Track"
        count = seen.get(clean.lower(), 0) + 1
        seen[clean.lower()] = count
        result.append(f"{clean}.{extension}" if count == 1 else f"{clean} ({count}).{extension}")
    return result


def export_stems(
    stem_paths: dict[str, Path],
    out_zip: Path,
    spec: ExportSpec,
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """Every stem encoded as ``spec``, tagged "<title> (<track>)", in one zip (stored, not deflated:
    encoded audio does not compress)."""
    out_zip = Path(out_zip)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    names = list(stem_paths)
    archive_names = stem_file_names(names, spec.fmt)
    scratch = temp_beside(out_zip, "stems")  # a directory; ``atomic.sweep`` knows its name
    scratch.mkdir()
    try:
        with atomic_path(out_zip) as tmp_zip, zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_STORED) as archive:
            for i, (name, arc) in enumerate(zip(names, archive_names, strict=True)):
                title = f"{spec.title} ({name})" if spec.title else name
                stem_spec = ExportSpec(
                    spec.fmt, spec.bit_depth, spec.sample_rate, spec.quality, title, spec.artist
                )
                encoded = scratch / f"stem-{i}.{spec.fmt}"

                def part(f: float, i: int = i) -> None:
                    if progress is not None:
                        progress((i + f) / max(1, len(names)))

                export_file(Path(stem_paths[name]), encoded, stem_spec, part)
                archive.write(encoded, arc)
                encoded.unlink()
        return {
            "path": str(out_zip),
            "size": out_zip.stat().st_size,
            "sample_rate": spec.sample_rate,
            "bit_depth": spec.bit_depth,
            "files": archive_names,
        }
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(scratch)
