"""Container headers, read and judged before any decoder sees the file.

A decoder told that a WAV has 2^31 channels, or that a data chunk is 4 GB long in a 1 kB file,
may try to allocate it or read past the end. These checks refuse such files with a clear key
(``IngestError``) and report what the header declares, so that a file that is cut short can be
told apart from one that is merely short: the decoded length is compared with the declared one.

Only plain arithmetic on bytes happens here: no decoding.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from backend.audio.engine.errors import IngestError
from backend.audio.engine.formats import id3_size, mp3_frame_at
from backend.audio.engine.limits import EngineLimits

_MAX_CHUNKS = 4096
_WAV_PCM, _WAV_FLOAT, _WAV_EXTENSIBLE = 1, 3, 0xFFFE


@dataclass(frozen=True, slots=True)
class Declared:
    """What a header says; ``None`` where the format does not say."""

    channels: int | None = None
    sample_rate: int | None = None
    bit_depth: int | None = None
    is_float: bool = False
    frames: int | None = None  # exact sample frames, when the header states them
    min_frames: int | None = None  # frames that must at least decode (a cut file decodes fewer)
    md5: bytes | None = None  # FLAC: MD5 of the decoded samples, when the encoder recorded it


def check(path: Path, fmt: str, limits: EngineLimits) -> Declared:
    size = path.stat().st_size
    with open(path, "rb") as fh:
        match fmt:
            case "wav":
                declared = _wav(fh, size)
            case "aiff":
                declared = _aiff(fh, size)
            case "flac":
                declared = _flac(fh, size)
            case "mp3":
                declared = _mp3(fh, size)
            case "ogg" | "opus":
                declared = _ogg(fh, size, fmt)
            case "m4a":
                declared = _mp4(fh, size)
            case _:
                declared = Declared()
    _judge(declared, limits)
    return declared


def _judge(d: Declared, limits: EngineLimits) -> None:
    if d.channels is not None and not 1 <= d.channels <= limits.max_channels:
        raise IngestError("audio.errors.invalid_header", detail="channels", max_channels=limits.max_channels)
    if d.sample_rate is not None and not limits.min_sample_rate <= d.sample_rate <= limits.max_sample_rate:
        raise IngestError("audio.errors.unsupported_sample_rate", rate=d.sample_rate)
    frames = d.frames if d.frames is not None else d.min_frames
    if frames is not None and d.sample_rate and frames / d.sample_rate > limits.max_duration_seconds:
        raise IngestError("audio.errors.too_long", max_minutes=int(limits.max_duration_seconds // 60))


def _corrupt(detail: str) -> IngestError:
    return IngestError("audio.errors.corrupt_file", detail=detail)


def _truncated() -> IngestError:
    return IngestError("audio.errors.truncated")


def _wav(fh, size: int) -> Declared:
    head = fh.read(12)
    if len(head) < 12:
        raise _truncated()
    rf64 = head[:4] in (b"RF64", b"BW64")
    pos = 12
    fmt: tuple[int, int, int, int, int] | None = None
    data_size: int | None = None
    ds64_data: int | None = None
    for _ in range(_MAX_CHUNKS):
        fh.seek(pos)
        header = fh.read(8)
        if len(header) < 8:
            break
        chunk_id, chunk_size = header[:4], struct.unpack("<I", header[4:])[0]
        body_at = pos + 8
        if chunk_id == b"ds64":
            body = fh.read(min(chunk_size, 28))
            if len(body) < 24:
                raise _truncated()
            ds64_data = struct.unpack_from("<Q", body, 8)[0]
        elif chunk_id == b"fmt ":
            body = fh.read(min(chunk_size, 40))
            if chunk_size < 16 or len(body) < 16:
                raise _corrupt("fmt")
            tag, channels, rate, _byte_rate, align, bits = struct.unpack_from("<HHIIHH", body, 0)
            if tag == _WAV_EXTENSIBLE:
                if len(body) < 26:
                    raise _corrupt("fmt")
                tag = struct.unpack_from("<H", body, 24)[0]
            fmt = (tag, channels, rate, align, bits)
        elif chunk_id == b"data":
            data_size = chunk_size
            if rf64 and chunk_size == 0xFFFFFFFF and ds64_data is not None:
                data_size = ds64_data
            if fmt is None:
                raise _corrupt("data before fmt")
            if body_at + data_size > size:
                raise _truncated()
            break
        if chunk_size > size:
            raise _truncated()
        pos = body_at + chunk_size + (chunk_size & 1)  # chunks are word-aligned
        if pos > size:
            raise _truncated()
    if fmt is None:
        raise _corrupt("no fmt chunk")
    if data_size is None:
        raise _truncated()
    tag, channels, rate, align, bits = fmt
    if tag == _WAV_PCM and bits in (8, 16, 24, 32):
        is_float = False
    elif tag == _WAV_FLOAT and bits in (32, 64):
        is_float = True
    else:
        raise IngestError("audio.errors.unsupported_encoding", detail=f"wav tag {tag}, {bits} bits")
    if channels == 0 or align != channels * bits // 8:
        raise IngestError("audio.errors.invalid_header", detail="block align")
    if data_size == 0:
        raise IngestError("audio.errors.no_audio")
    frames = data_size // align
    return Declared(channels, rate, bits, is_float, frames=frames)


def _extended(raw: bytes) -> float:
    """An 80-bit IEEE 754 extended float (AIFF's sample rate)."""
    exponent = ((raw[0] & 0x7F) << 8) | raw[1]
    mantissa = int.from_bytes(raw[2:10], "big")
    if exponent == 0 and mantissa == 0:
        return 0.0
    if exponent == 0x7FFF:
        return float("inf")
    value = mantissa * 2.0 ** (exponent - 16383 - 63)
    return -value if raw[0] & 0x80 else value


def _aiff(fh, size: int) -> Declared:
    head = fh.read(12)
    aifc = head[8:12] == b"AIFC"
    pos = 12
    comm: tuple[int, int, int, float, bytes] | None = None
    ssnd_bytes: int | None = None
    for _ in range(_MAX_CHUNKS):
        fh.seek(pos)
        header = fh.read(8)
        if len(header) < 8:
            break
        chunk_id, chunk_size = header[:4], struct.unpack(">I", header[4:])[0]
        if chunk_id == b"COMM":
            body = fh.read(min(chunk_size, 64))
            if len(body) < 18:
                raise _corrupt("COMM")
            channels, frames, bits = struct.unpack_from(">hIh", body, 0)
            rate = _extended(body[8:18])
            compression = body[18:22] if aifc else b"NONE"
            comm = (channels, frames, bits, rate, compression)
        elif chunk_id == b"SSND":
            if pos + 8 + chunk_size > size:
                raise _truncated()
            ssnd_bytes = max(0, chunk_size - 8)
        if chunk_size > size:
            raise _truncated()
        pos += 8 + chunk_size + (chunk_size & 1)
        if pos > size:
            raise _truncated()
    if comm is None:
        raise _corrupt("no COMM chunk")
    channels, frames, bits, rate, compression = comm
    if compression not in (b"NONE", b"sowt", b"fl32", b"FL32"):
        raise IngestError("audio.errors.unsupported_encoding", detail=f"aifc {compression!r}")
    is_float = compression in (b"fl32", b"FL32")
    if bits not in (8, 16, 24, 32):
        raise IngestError("audio.errors.unsupported_encoding", detail=f"aiff {bits} bits")
    if not (0 < rate < 1e7) or rate != rate:
        raise IngestError("audio.errors.unsupported_sample_rate", rate=0)
    if channels <= 0:
        raise IngestError("audio.errors.invalid_header", detail="channels")
    if frames == 0:
        raise IngestError("audio.errors.no_audio")
    if ssnd_bytes is None or ssnd_bytes < frames * channels * (bits // 8):
        raise _truncated()
    return Declared(channels, int(round(rate)), bits, is_float, frames=frames)


def _flac(fh, size: int) -> Declared:
    fh.seek(4)
    info: Declared | None = None
    pos = 4
    for _ in range(_MAX_CHUNKS):
        fh.seek(pos)
        header = fh.read(4)
        if len(header) < 4:
            raise _truncated()
        last = header[0] & 0x80
        kind = header[0] & 0x7F
        length = int.from_bytes(header[1:4], "big")
        if kind == 0:
            body = fh.read(34)
            if len(body) < 34:
                raise _truncated()
            bits = int.from_bytes(body[10:18], "big")
            rate = bits >> 44
            channels = ((bits >> 41) & 0x7) + 1
            bps = ((bits >> 36) & 0x1F) + 1
            total = bits & ((1 << 36) - 1)
            if rate == 0:
                raise IngestError("audio.errors.unsupported_sample_rate", rate=0)
            if bps not in (8, 12, 16, 20, 24, 32):
                raise IngestError("audio.errors.unsupported_encoding", detail=f"flac {bps} bits")
            md5 = body[18:34]
            info = Declared(channels, rate, bps, False, frames=total or None, md5=md5 if any(md5) else None)
        elif info is None:
            raise _corrupt("STREAMINFO must come first")
        pos += 4 + length
        if pos > size:
            raise _truncated()
        if last:
            break
    if info is None:
        raise _corrupt("no STREAMINFO")
    if pos >= size:
        raise IngestError("audio.errors.no_audio")
    return info


# Side information length in an MPEG layer III frame, by (MPEG-1?, mono?): the Xing tag follows it.
_SIDE_INFO = {(True, False): 32, (True, True): 17, (False, False): 17, (False, True): 9}


def _mp3(fh, size: int) -> Declared:
    head = fh.read(10)
    start = id3_size(head) if head[:3] == b"ID3" else 0
    if start >= size:
        raise _truncated()
    fh.seek(start)
    frame = fh.read(512)
    if mp3_frame_at(frame, 0) is None:
        raise _corrupt("no MPEG frame after the ID3 tag")
    mpeg1 = (frame[1] >> 3) & 0x03 == 3
    mono = (frame[3] >> 6) == 3
    rate_index = (frame[2] >> 2) & 0x03
    rate = {True: (44100, 48000, 32000), False: (22050, 24000, 16000)}[mpeg1][rate_index]
    if (frame[1] >> 3) & 0x03 == 0:
        rate //= 2  # MPEG-2.5
    at = 4 + _SIDE_INFO[(mpeg1, mono)]
    tag = frame[at : at + 4]
    if tag not in (b"Xing", b"Info"):
        return Declared(channels=1 if mono else 2, sample_rate=rate)
    flags = struct.unpack_from(">I", frame, at + 4)[0] if len(frame) >= at + 8 else 0
    cursor = at + 8
    frames = None
    if flags & 0x1 and len(frame) >= cursor + 4:
        frames = struct.unpack_from(">I", frame, cursor)[0]
        cursor += 4
    if flags & 0x2 and len(frame) >= cursor + 4:
        stream_bytes = struct.unpack_from(">I", frame, cursor)[0]
        # The tag states the length of the MPEG stream (ID3 tags excluded): a file shorter than
        # that was cut. A trailing ID3v1 tag only makes the file longer.
        if start + stream_bytes > size:
            raise _truncated()
    samples = 1152 if mpeg1 else 576
    return Declared(
        channels=1 if mono else 2,
        sample_rate=rate,
        min_frames=(frames - 1) * samples if frames else None,
    )


def _ogg(fh, size: int, fmt: str) -> Declared:
    head = fh.read(4096)
    segments = head[26] if len(head) > 26 else 0
    packet = head[27 + segments : 27 + segments + 19]
    if fmt == "ogg":
        if len(packet) < 16:
            raise _truncated()
        channels = packet[11]
        rate = struct.unpack_from("<I", packet, 12)[0]
    else:
        if len(packet) < 16:
            raise _truncated()
        channels = packet[9]
        rate = 48000  # Opus always decodes at 48 kHz; the header's "input rate" is informational
    # A complete Ogg stream ends with a page flagged end-of-stream; a cut one does not.
    tail_len = min(size, 65536)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    last = tail.rfind(b"OggS")
    if last < 0 or last + 27 > len(tail):
        raise _truncated()
    page = tail[last : last + 27]
    if not page[5] & 0x04:
        raise _truncated()
    # The last page must also be whole: its lacing table says how long its body is.
    segments_at = last + 27
    lacing = tail[segments_at : segments_at + page[26]]
    if len(lacing) < page[26] or segments_at + page[26] + sum(lacing) > len(tail):
        raise _truncated()
    granule = struct.unpack_from("<q", page, 6)[0]
    if granule < 0:
        raise _corrupt("granule")
    frames = granule if fmt == "ogg" else max(0, granule - struct.unpack_from("<H", packet, 10)[0])
    # The granule of the last page counts samples at the decoding rate: 48 kHz for Opus.
    return Declared(channels, rate, None, False, min_frames=max(0, frames - rate // 10))


def _mp4(fh, size: int) -> Declared:
    """Walk the top-level boxes: each must fit in the file, and the index (``moov``) must be there."""
    pos = 0
    seen = set()
    for _ in range(_MAX_CHUNKS):
        if pos == size:
            break
        fh.seek(pos)
        header = fh.read(16)
        if len(header) < 8:
            raise _truncated()
        box_size, kind = struct.unpack(">I4s", header[:8])
        if box_size == 1:
            if len(header) < 16:
                raise _truncated()
            box_size = struct.unpack(">Q", header[8:16])[0]
        elif box_size == 0:
            box_size = size - pos  # to the end of the file
        if box_size < 8:
            raise _corrupt("mp4 box")
        if pos + box_size > size:
            raise _truncated()
        seen.add(kind)
        pos += box_size
    if b"moov" not in seen:
        raise _corrupt("no moov box")
    return Declared()
