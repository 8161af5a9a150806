"""Decoded sources kept in memory while several clips play them (loops, repeated samples).

Decoding a 24-bit FLAC costs about a sixth of a render's CPU (measured on the benchmark's
project). A project built from loops plays the same file dozens of times: ``SourceCache`` decodes
such a file once, as float32, and every clip then reads its frames from memory. Only files that
more than one clip uses, at the render's own rate (a resampled read starting at a clip's offset
is not the same as a slice of the whole file resampled), and within ``budget_bytes`` in all are
kept; each is dropped as soon as the last clip using it has been read. Everything else streams
from the file as before, so memory stays bounded by the budget whatever the project.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from pedalboard.io import AudioFile

BUDGET_BYTES = 256 * 1024 * 1024


class ArrayReader:
    """Reads a decoded source like a ``ReadableAudioFile``: ``read``, ``seek``, ``frames``,
    ``samplerate``, ``close``."""

    def __init__(self, audio: np.ndarray, samplerate: int, on_close: Any) -> None:
        self._audio = audio
        self.samplerate = samplerate
        self._pos = 0
        self._on_close = on_close
        self.frames = audio.shape[1]

    def seek(self, position: int) -> None:
        self._pos = max(0, min(position, self.frames))

    def read(self, n: int) -> np.ndarray:
        # A copy: the mixer scales and sums the blocks it gets in place.
        block = self._audio[:, self._pos : self._pos + n].copy()
        self._pos += block.shape[1]
        return block

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()
            self._on_close = None


class SourceCache:
    """Which sources to decode once, and their decoded audio while clips still need it."""

    def __init__(self, paths: Iterable[Path], rate: int, budget_bytes: int | None = None) -> None:
        self._uses = Counter(paths)  # clips still to be opened, per path kept in memory
        self._audio: dict[Path, np.ndarray] = {}
        self._rate = rate
        kept: set[Path] = set()
        left = BUDGET_BYTES if budget_bytes is None else budget_bytes
        for path, uses in self._uses.most_common():
            if uses < 2:
                break
            size = _decoded_bytes(path, rate)
            if size is not None and size <= left:
                kept.add(path)
                left -= size
        self._uses = Counter({p: n for p, n in self._uses.items() if p in kept})

    def open(self, path: Path) -> ArrayReader | None:
        """A reader of ``path`` from memory, or ``None`` when it is to be read from the file."""
        if path not in self._uses:
            return None
        audio = self._audio.get(path)
        if audio is None:
            try:
                with AudioFile(str(path)) as f:
                    audio = f.read(f.frames)
            except MemoryError:  # the render's memory limit is near: stream this file instead
                del self._uses[path]
                return None
            if audio.shape[0] > 2:
                audio = np.ascontiguousarray(audio[:2])  # the mixer uses front left and right only
            self._audio[path] = audio
        return ArrayReader(audio, self._rate, lambda: self._release(path))

    def _release(self, path: Path) -> None:
        self._uses[path] -= 1
        if self._uses[path] <= 0:
            del self._uses[path]
            self._audio.pop(path, None)

    @property
    def held_bytes(self) -> int:
        return sum(a.nbytes for a in self._audio.values())


def _decoded_bytes(path: Path, rate: int) -> int | None:
    """Size of ``path`` decoded as float32 (at most two channels), or ``None`` if it is not to be kept."""
    try:
        with AudioFile(str(path)) as f:
            if f.samplerate != rate:
                return None
            return int(f.frames) * min(int(f.num_channels), 2) * 4
    except Exception:  # unreadable: the clip's own open reports it, at the time it always has
        return None
