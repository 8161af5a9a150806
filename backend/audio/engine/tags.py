"""Title and artist tags, written into the file itself.

pedalboard writes no metadata, so: WAV gets a RIFF ``LIST/INFO`` chunk (``INAM``, ``IART``, read
by libsndfile, ffmpeg and most players) plus an ``id3 `` chunk (read by others) through mutagen;
FLAC and Ogg Vorbis get Vorbis comments and MP3 an ID3v2 tag, through mutagen.
"""

from __future__ import annotations

import struct
from pathlib import Path

from mutagen.flac import FLAC
from mutagen.id3 import ID3, TIT2, TPE1, TSSE
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

SOFTWARE = "Cadenza"


def write_tags(path: Path, fmt: str, title: str, artist: str) -> None:
    """Tag ``path`` (a file of format ``fmt``) in place. Empty values are left out."""
    if fmt == "wav":
        _wav_id3(path, title, artist)
        _wav_info(path, title, artist)
    elif fmt == "flac":
        _vorbis(FLAC(str(path)), title, artist)
    elif fmt == "ogg":
        _vorbis(OggVorbis(str(path)), title, artist)
    elif fmt == "mp3":
        tags = ID3()
        if title:
            tags.add(TIT2(encoding=3, text=title))
        if artist:
            tags.add(TPE1(encoding=3, text=artist))
        tags.add(TSSE(encoding=3, text=SOFTWARE))
        tags.save(str(path), v2_version=3)


def _vorbis(audio: FLAC | OggVorbis, title: str, artist: str) -> None:
    if title:
        audio["title"] = title
    if artist:
        audio["artist"] = artist
    audio["encoder"] = SOFTWARE
    audio.save()


def _wav_id3(path: Path, title: str, artist: str) -> None:
    audio = WAVE(str(path))
    if audio.tags is None:
        audio.add_tags()
    assert audio.tags is not None
    if title:
        audio.tags.add(TIT2(encoding=3, text=title))
    if artist:
        audio.tags.add(TPE1(encoding=3, text=artist))
    audio.save()


def _info_entry(chunk_id: bytes, text: str) -> bytes:
    data = text.encode("utf-8") + b"\x00"
    pad = b"\x00" if len(data) & 1 else b""
    return chunk_id + struct.pack("<I", len(data)) + data + pad


def _wav_info(path: Path, title: str, artist: str) -> None:
    """Append a LIST/INFO chunk and fix the RIFF size (the file is ours, fresh from the encoder)."""
    body = b"INFO"
    if title:
        body += _info_entry(b"INAM", title)
    if artist:
        body += _info_entry(b"IART", artist)
    body += _info_entry(b"ISFT", SOFTWARE)
    chunk = b"LIST" + struct.pack("<I", len(body)) + body
    with open(path, "r+b") as fh:
        fh.seek(0, 2)
        end = fh.tell()
        if end & 1:  # RIFF chunks start on even offsets
            fh.write(b"\x00")
            end += 1
        fh.write(chunk)
        fh.seek(4)
        fh.write(struct.pack("<I", end + len(chunk) - 8))
