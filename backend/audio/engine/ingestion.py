"""Turning an upload into an asset's files and figures, synchronously — run in a child process.

Writes into ``work_dir``: ``original.<ext>`` (the upload, byte for byte), ``decoded.flac`` (or
``decoded.wav``, see below) at the source rate for rendering, and ``preview.mp3`` for streaming.
Reads the source once, in blocks, so memory does not grow with the file's length.

The decoded copy keeps what the source holds: 16/24-bit integer sources become FLAC at that
depth, sample for sample (8-bit becomes 16); float and 32-bit integer sources become a float32 WAV
(FLAC holds no floats, and 32-bit FLAC is not widely decoded); lossy sources become 24-bit FLAC,
their rare overshoots past full scale clipped to it. Decoders: libsndfile for WAV/AIFF/FLAC (exact
integers), pedalboard for MP3/Ogg Vorbis, ffmpeg for M4A and Opus.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
from pedalboard.io import AudioFile, StreamResampler

from backend.audio.engine import headers
from backend.audio.engine.atomic import atomic_path, temp_beside
from backend.audio.engine.errors import IngestError
from backend.audio.engine.formats import EXTENSIONS, LOSSY, sniff
from backend.audio.engine.limits import EngineLimits
from backend.audio.engine.measure import LoudnessMeter, TruePeakMeter

PEAK_POINTS = 1000
PREVIEW_QUALITY = "V2"  # LAME VBR ~190 kbps: transparent for listening, a sixth of the WAV
_BLOCK = 65536
_FFMPEG_FORMATS = frozenset({"m4a", "opus"})
_SUBTYPES = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}


def ingest_file(
    src: Path, work_dir: Path, limits: EngineLimits, progress: Callable[[float], None] | None = None
) -> dict[str, Any]:
    src, work_dir = Path(src), Path(work_dir)
    try:
        size = src.stat().st_size
    except OSError:
        raise IngestError("audio.errors.unreadable") from None
    if size == 0:
        raise IngestError("audio.errors.empty_file")
    if size > limits.max_file_bytes:
        raise IngestError("audio.errors.file_too_large", max_mb=limits.max_file_bytes // (1024 * 1024))
    fmt = sniff(src)
    if fmt is None or fmt == "mid":
        raise IngestError("audio.errors.unsupported_format")
    declared = headers.check(src, fmt, limits)
    work_dir.mkdir(parents=True, exist_ok=True)

    original = work_dir / f"original.{EXTENSIONS[fmt]}"
    try:
        with atomic_path(original) as tmp:
            shutil.copyfile(src, tmp)
        return _decode_any(src, work_dir, fmt, declared, limits, original, progress)
    except BaseException:
        # A refused upload leaves nothing behind: the asset gets a reason, not half its files.
        for name in (original.name, "decoded.flac", "decoded.wav", "preview.mp3"):
            with contextlib.suppress(FileNotFoundError):
                (work_dir / name).unlink()
        raise


def _decode_any(
    src: Path,
    work_dir: Path,
    fmt: str,
    declared: headers.Declared,
    limits: EngineLimits,
    original: Path,
    progress: Callable[[float], None] | None,
) -> dict[str, Any]:

    decoded_source = src
    bit_depth: int | None = None if fmt in LOSSY else declared.bit_depth
    lossy = fmt in LOSSY
    is_float = declared.is_float
    intermediate: Path | None = None
    try:
        if fmt in _FFMPEG_FORMATS:
            intermediate, codec_bits = _ffmpeg_decode(src, work_dir, limits)
            decoded_source = intermediate
            if codec_bits:  # ALAC in an MP4 is lossless
                bit_depth, lossy = codec_bits, False
        return _decode(
            decoded_source, work_dir, fmt, bit_depth, lossy, is_float, declared, limits, original, progress
        )
    finally:
        if intermediate is not None:
            with contextlib.suppress(FileNotFoundError):
                intermediate.unlink()


class _PcmReader:
    """WAV, AIFF and FLAC through libsndfile, as exact integers (or floats for float files).

    Why not pedalboard here: measured with pedalboard 0.9.26, its reader scales 16-bit samples
    by 1/32767 and its writer maps back with a floor, so a negative sample comes back one step
    lower — a "lossless" copy that is not. libsndfile gives the integers exactly (the floats below
    are those integers times 2^-31, exact up to 24 bits) and writes them back exactly.

    FLAC carries the MD5 of its samples: a FLAC that is cut or damaged can still decode to its
    declared length (the gap filled in), so the MD5, not the length, tells.
    """

    exact_duration_known = True

    def __init__(self, path: Path, declared: headers.Declared, *, check_md5: bool) -> None:
        self._file = soundfile.SoundFile(str(path))
        self.samplerate = self._file.samplerate
        self.num_channels = self._file.channels
        self.frames = self._file.frames
        self.is_float = self._file.subtype in ("FLOAT", "DOUBLE")
        self._bits = declared.bit_depth or 16
        self._expected = declared.md5 if check_md5 else None
        self._md5 = hashlib.md5(usedforsecurity=False) if self._expected else None

    def __enter__(self) -> _PcmReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def read(self, frames: int) -> np.ndarray:
        if self.is_float:
            return self._file.read(frames, dtype="float32", always_2d=True).T
        ints = self._file.read(frames, dtype="int32", always_2d=True)  # (frames, channels), left-justified
        if self._md5 is not None and ints.shape[0]:
            width = (self._bits + 7) // 8
            samples = (ints >> (32 - self._bits)).astype("<i4")
            self._md5.update(samples.view(np.uint8).reshape(-1, 4)[:, :width].tobytes())
        return (ints.T / 2.0**31).astype(np.float32)

    def verify(self) -> None:
        if self._md5 is not None and self._md5.digest() != self._expected:
            raise IngestError("audio.errors.corrupt_file", detail="FLAC MD5 mismatch")


_PCM_FORMATS = frozenset({"wav", "aiff", "flac"})


def _open(path: Path, fmt: str, declared: headers.Declared) -> Any:
    try:
        if fmt in _PCM_FORMATS or path.name.endswith(".wav"):  # ffmpeg's float WAV too
            return _PcmReader(path, declared, check_md5=fmt == "flac")
        return AudioFile(str(path))
    except IngestError:
        raise
    except Exception:
        raise IngestError("audio.errors.corrupt_file", detail="decoder refused the file") from None


def _as_int32(block: np.ndarray, bits: int) -> np.ndarray:
    """Float samples as left-justified int32 on a ``bits`` grid, rounded (not floored), clipped."""
    top = 2 ** (bits - 1)
    ints = np.clip(np.round(block.astype(np.float64) * top), -top, top - 1).astype(np.int64)
    return (ints << (32 - bits)).astype(np.int32).T


def _decode(
    path: Path,
    work_dir: Path,
    fmt: str,
    bit_depth: int | None,
    lossy: bool,
    is_float: bool,
    declared: headers.Declared,
    limits: EngineLimits,
    original: Path,
    progress: Callable[[float], None] | None,
) -> dict[str, Any]:
    with _open(path, fmt, declared) as reader:
        rate = reader.samplerate
        channels = reader.num_channels
        if rate != int(rate) or not limits.min_sample_rate <= rate <= limits.max_sample_rate:
            raise IngestError("audio.errors.unsupported_sample_rate", rate=int(rate))
        rate = int(rate)
        if not 1 <= channels <= limits.max_channels:
            raise IngestError(
                "audio.errors.invalid_header", detail="channels", max_channels=limits.max_channels
            )
        max_frames = int(limits.max_duration_seconds * rate)
        estimate = max(1, reader.frames)
        if estimate > max_frames and reader.exact_duration_known:
            raise IngestError("audio.errors.too_long", max_minutes=int(limits.max_duration_seconds // 60))

        # Float sources (and 32-bit integer ones) keep float precision; everything else is FLAC.
        float_out = is_float or (bit_depth or 0) > 24
        decoded = work_dir / ("decoded.wav" if float_out else "decoded.flac")
        out_depth = 32 if float_out else (24 if lossy or bit_depth is None or bit_depth > 16 else 16)
        preview = work_dir / "preview.mp3"
        preview_rate = 48000 if rate % 8000 == 0 else 44100  # MP3 has no 88.2/96 kHz
        preview_channels = min(2, channels)
        resampler = StreamResampler(rate, preview_rate, preview_channels) if rate != preview_rate else None

        loud = LoudnessMeter(rate, channels)
        true_peak = TruePeakMeter(channels)
        bucket = max(1, math.ceil(estimate / PEAK_POINTS))
        mins: list[float] = []
        maxs: list[float] = []
        carry = np.zeros(0, dtype=np.float32)
        frames = 0
        with (
            atomic_path(decoded) as dec_tmp,
            atomic_path(preview) as prev_tmp,
            soundfile.SoundFile(
                str(dec_tmp),
                "w",
                rate,
                channels,
                subtype=_SUBTYPES[out_depth],
                format="WAV" if float_out else "FLAC",
            ) as dec_out,
            AudioFile(
                str(prev_tmp), "w", preview_rate, preview_channels, quality=PREVIEW_QUALITY
            ) as prev_out,
        ):
            while True:
                try:
                    block = reader.read(_BLOCK)
                except Exception:
                    raise IngestError("audio.errors.corrupt_file", detail="decoding failed") from None
                if block.shape[1] == 0:
                    break
                if not np.isfinite(block).all():
                    raise IngestError("audio.errors.corrupt_file", detail="samples are not finite numbers")
                frames += block.shape[1]
                if frames > max_frames:
                    raise IngestError(
                        "audio.errors.too_long", max_minutes=int(limits.max_duration_seconds // 60)
                    )
                loud.add(block)
                true_peak.add(block)
                dec_out.write(block.T if float_out else _as_int32(block, out_depth))
                pv = block[:preview_channels]
                if resampler is not None:
                    pv = resampler.process(np.ascontiguousarray(pv))
                if pv.shape[1]:
                    prev_out.write(pv)
                mono = np.concatenate([carry, block.mean(axis=0)])
                whole = (mono.shape[0] // bucket) * bucket
                if whole:
                    shaped = mono[:whole].reshape(-1, bucket)
                    mins.extend(shaped.min(axis=1).tolist())
                    maxs.extend(shaped.max(axis=1).tolist())
                carry = mono[whole:]
                if progress is not None:
                    progress(min(0.99, frames / estimate))
            if isinstance(reader, _PcmReader):
                reader.verify()
            if resampler is not None:
                rest = resampler.process()
                if rest.shape[1]:
                    prev_out.write(rest)
            if frames == 0:
                raise IngestError("audio.errors.no_audio")
            if carry.shape[0]:
                mins.append(float(carry.min()))
                maxs.append(float(carry.max()))
            # A header that states its length lets a cut-off file be recognised as such.
            expected = declared.frames if declared.frames is not None else declared.min_frames
            if expected is not None and fmt not in _FFMPEG_FORMATS and frames < expected:
                raise IngestError("audio.errors.truncated")
            if declared.frames is not None and fmt in ("wav", "aiff") and frames != declared.frames:
                raise IngestError("audio.errors.truncated")

    return {
        "format": fmt,
        "duration": frames / rate,
        "frames": frames,
        "sample_rate": rate,
        "channels": channels,
        "bit_depth": bit_depth,
        "peaks": _overview(mins, maxs),
        "lufs": loud.integrated(),
        "true_peak_dbtp": true_peak.dbtp(),
        "original_path": str(original),
        "decoded_path": str(decoded),
        "preview_path": str(preview),
    }


def _overview(mins: list[float], maxs: list[float]) -> list[tuple[float, float]]:
    """About ``PEAK_POINTS`` (min, max) pairs, in [-1, 1], rounded for compact JSON."""
    group = max(1, math.ceil(len(mins) / PEAK_POINTS))
    pairs = []
    for i in range(0, len(mins), group):
        lo = max(-1.0, min(mins[i : i + group]))
        hi = min(1.0, max(maxs[i : i + group]))
        pairs.append((round(lo, 4), round(hi, 4)))
    return pairs


def _ffmpeg_decode(src: Path, work_dir: Path, limits: EngineLimits) -> tuple[Path, int | None]:
    """Decode M4A/AAC/ALAC or Opus to a float WAV with ffmpeg; returns it and ALAC's bit depth."""
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    if ffmpeg is None or ffprobe is None:
        raise IngestError("audio.errors.decoder_missing", decoder="ffmpeg")
    probe = subprocess.run(
        [ffprobe, "-v", "error", "-select_streams", "a:0", "-show_entries",
         "stream=codec_name,channels,sample_rate,bits_per_raw_sample:format=duration",
         "-of", "json", str(src)],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    try:
        info = json.loads(probe.stdout or b"{}")
        stream = info["streams"][0]
    except (ValueError, KeyError, IndexError):
        raise IngestError("audio.errors.corrupt_file", detail="no audio stream") from None
    if probe.returncode != 0:
        raise IngestError("audio.errors.corrupt_file", detail="ffprobe refused the file")
    try:
        duration = float(info.get("format", {}).get("duration", "nan"))
    except ValueError:
        duration = float("nan")
    if math.isfinite(duration) and duration > limits.max_duration_seconds:
        raise IngestError("audio.errors.too_long", max_minutes=int(limits.max_duration_seconds // 60))
    channels = int(stream.get("channels") or 0)
    if not 1 <= channels <= limits.max_channels:
        raise IngestError("audio.errors.invalid_header", detail="channels", max_channels=limits.max_channels)
    bits = None
    if stream.get("codec_name") == "alac":
        with contextlib.suppress(TypeError, ValueError):
            bits = int(stream.get("bits_per_raw_sample") or 0) or None
    out = temp_beside(work_dir / "ffmpeg.wav")
    # -xerror: stop at the first damaged packet instead of concealing it, so a cut or corrupt
    # file is refused rather than silently patched; -t caps what a lying header can make us write.
    result = subprocess.run(
        [ffmpeg, "-nostdin", "-v", "error", "-xerror", "-i", str(src), "-map", "0:a:0", "-vn", "-sn", "-dn",
         "-t", str(limits.max_duration_seconds + 1), "-c:a", "pcm_f32le", "-f", "wav", "-y", str(out)],
        capture_output=True, timeout=limits.ingest_wall_seconds, check=False,
    )  # fmt: skip
    if result.returncode != 0 or result.stderr.strip():
        with contextlib.suppress(FileNotFoundError):
            out.unlink()
        raise IngestError("audio.errors.corrupt_file", detail="ffmpeg could not decode the file")
    return out, bits
