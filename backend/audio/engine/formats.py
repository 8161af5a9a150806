"""What a file really is, from its first bytes — never from its name.

``sniff`` reads at most a few kilobytes (plus the length of a leading ID3 tag) and returns one of
``FORMATS`` or ``None``. It does not prove the file decodes; the decoder, in a child process, does.
"""

from __future__ import annotations

from pathlib import Path

FORMATS: tuple[str, ...] = ("wav", "aiff", "flac", "mp3", "ogg", "m4a", "opus", "mid")

# The extension an original keeps in storage, by sniffed format.
EXTENSIONS: dict[str, str] = {
    "wav": "wav",
    "aiff": "aiff",
    "flac": "flac",
    "mp3": "mp3",
    "ogg": "ogg",
    "m4a": "m4a",
    "opus": "opus",
    "mid": "mid",
}

LOSSY: frozenset[str] = frozenset({"mp3", "ogg", "m4a", "opus"})

# MPEG audio: bitrates (kbps) by [version is MPEG-1][bitrate index], layer III only.
_MP3_BITRATES = {
    True: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    False: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_HEAD = 4096


def sniff(path: Path | str) -> str | None:
    """The container of ``path`` from its magic bytes, or ``None`` if it is none we know."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEAD)
            if head[:3] == b"ID3" and len(head) >= 10:
                # An ID3v2 tag may front an MP3 (usual) or a FLAC (seen in the wild): skip it.
                skip = id3_size(head[:10])
                fh.seek(skip)
                return _after_id3(fh.read(_HEAD))
    except OSError:
        return None
    return _sniff_head(head)


def id3_size(header: bytes) -> int:
    """Total length of an ID3v2 tag from its 10-byte header (the size is 'syncsafe', 7 bits a byte)."""
    size = 0
    for byte in header[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if header[5] & 0x10 else 0
    return 10 + size + footer


def _after_id3(data: bytes) -> str | None:
    if data[:4] == b"fLaC":
        return "flac"
    if mp3_frame_at(data, 0) is not None:
        return "mp3"
    return None


def _sniff_head(head: bytes) -> str | None:
    if len(head) < 4:
        return None
    four = head[:4]
    if four in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "wav"
    if four == b"RIFF" and head[8:12] == b"RMID":
        return "mid"
    if four == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if four == b"fLaC":
        return "flac"
    if four == b"MThd":
        return "mid"
    if four == b"OggS":
        return _ogg_codec(head)
    if head[4:8] == b"ftyp":
        return "m4a"
    if mp3_frame_at(head, 0) is not None:
        # One sync word is a 1-in-65536 accident in random bytes: demand the next frame too,
        # when the file is long enough to hold it.
        length = mp3_frame_at(head, 0) or 0
        if len(head) >= length + 4 and mp3_frame_at(head, length) is None:
            return None
        return "mp3"
    return None


def _ogg_codec(head: bytes) -> str | None:
    """Vorbis or Opus, from the first packet of the first Ogg page."""
    if len(head) < 27:
        return None
    segments = head[26]
    start = 27 + segments
    packet = head[start : start + 8]
    if packet.startswith(b"\x01vorbis"):
        return "ogg"
    if packet.startswith(b"OpusHead"):
        return "opus"
    return None


def mp3_frame_at(data: bytes, pos: int) -> int | None:
    """Length in bytes of the MPEG layer III frame whose header starts at ``pos``, or ``None``."""
    if pos + 4 > len(data):
        return None
    b0, b1, b2 = data[pos], data[pos + 1], data[pos + 2]
    if b0 != 0xFF or (b1 & 0xE0) != 0xE0:
        return None
    version = (b1 >> 3) & 0x03  # 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5, 1 = reserved
    layer = (b1 >> 1) & 0x03  # 1 = layer III
    bitrate_index = b2 >> 4
    rate_index = (b2 >> 2) & 0x03
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    mpeg1 = version == 3
    bitrate = _MP3_BITRATES[mpeg1][bitrate_index] * 1000
    rate = _MP3_RATES[version][rate_index]
    padding = (b2 >> 1) & 0x01
    return (144 if mpeg1 else 72) * bitrate // rate + padding
