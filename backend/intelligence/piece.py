"""A monophonic melody as the models see it: notes on a 1/12-quarter grid, a metre and a key.

Every source (music21 parses of the corpus, MIDI uploads, generated output) becomes a ``Piece``.
Times are integers of 1/12 quarter note, which holds sixteenths (3), eighth triplets (4) and
dotted values exactly. A rest is a note with ``pitch`` ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

GRID = 12  # steps per quarter note
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_NAME_TO_PC = {
    **{n: i for i, n in enumerate(PITCH_NAMES)},
    "Db": 1,
    "D#": 3,
    "Gb": 6,
    "G#": 8,
    "A#": 10,
    "Cb": 11,
    "B#": 0,
    "E#": 5,
    "Fb": 4,
}
MODES = ("major", "minor")

# Krumhansl-Kessler key profiles: how strongly each scale degree implies a key.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclass(frozen=True, slots=True)
class Note:
    start: int  # in GRID steps from the piece's first downbeat (may be negative in a pickup)
    duration: int
    pitch: int | None  # MIDI note number; None is a rest


@dataclass(slots=True)
class Piece:
    notes: list[Note]
    bar: int  # bar length in GRID steps (2/4 = 24, 6/8 = 36, 4/4 = 48)
    metre: str  # "2/4", "6/8" …
    tonic: int  # pitch class 0-11
    mode: str = "major"
    meta: dict[str, object] = field(default_factory=dict)
    # The MIDI note that relative pitch 0 stands for; by default the tonic at or below the
    # melody's median pitch, so a tune in G and a tune in F are read in the same register.
    ref: int | None = None

    @property
    def reference(self) -> int:
        if self.ref is not None:
            return self.ref
        pitches = sorted(n.pitch for n in self.notes if n.pitch is not None)
        if not pitches:
            return tonic_reference(self.tonic)
        return register_reference(self.tonic, pitches[len(pitches) // 2])

    @property
    def sounding(self) -> list[Note]:
        return [n for n in self.notes if n.pitch is not None]

    @property
    def length(self) -> int:
        """From the first onset to the last release, in GRID steps."""
        if not self.notes:
            return 0
        return self.notes[-1].start + self.notes[-1].duration - self.notes[0].start

    def quarters(self) -> float:
        return self.length / GRID


def bar_length(metre: str) -> int:
    num, den = (int(x) for x in metre.split("/"))
    return num * GRID * 4 // den


def beat_length(metre: str) -> int:
    """Compound metres (6/8, 9/8, 12/8) beat in dotted quarters; the rest in 1/den notes."""
    num, den = (int(x) for x in metre.split("/"))
    if den == 8 and num % 3 == 0 and num > 3:
        return GRID * 3 // 2
    return GRID * 4 // den


_KEY = re.compile(r"^\s*([A-Ga-g])\s*([#b]?)\s*(m|min|minor|maj|major)?\s*$")


def pitch_class(name: str) -> int | None:
    match = _KEY.match(name)
    if match is None or match.group(3):
        return None
    return _NAME_TO_PC.get(match.group(1).upper() + match.group(2))


def parse_key(value: str) -> tuple[int, str] | None:
    """``"D"`` → (2, major); ``"A minor"``, ``"Am"``, ``"f# min"`` → (pc, minor); else ``None``."""
    match = _KEY.match(value.replace("♯", "#").replace("♭", "b"))
    if match is None:
        return None
    pc = _NAME_TO_PC.get(match.group(1).upper() + match.group(2))
    if pc is None:
        return None
    return pc, "minor" if (match.group(3) or "").startswith("m") and match.group(3) not in (
        "maj",
        "major",
    ) else "major"


def key_name(tonic: int, mode: str) -> str:
    return f"{PITCH_NAMES[tonic % 12]} {mode}"


def register_reference(tonic: int, median_pitch: int) -> int:
    """The tonic's MIDI note at or below ``median_pitch``."""
    return median_pitch - ((median_pitch - tonic) % 12)


def tonic_reference(tonic: int) -> int:
    """The tonic's MIDI note nearest middle C (F#3 … F4): relative pitches count from here."""
    pc = tonic % 12
    return 60 + pc if pc <= 5 else 48 + pc


def pc_weights(notes: Iterable[Note]) -> np.ndarray:
    weights = np.zeros(12)
    for n in notes:
        if n.pitch is not None:
            weights[n.pitch % 12] += n.duration
    return weights


def mode_for(notes: Sequence[Note], tonic: int) -> str:
    """Minor when the minor third above the tonic sounds longer than the major third."""
    w = pc_weights(notes)
    return "minor" if w[(tonic + 3) % 12] > w[(tonic + 4) % 12] else "major"


def estimate_key(notes: Sequence[Note]) -> tuple[int, str]:
    """Krumhansl-Schmuckler over duration-weighted pitch classes, nudged toward the final note
    (melodies in these traditions almost always end on their tonic)."""
    sounding = [n for n in notes if n.pitch is not None]
    if not sounding:
        return 0, "major"
    w = pc_weights(sounding)
    final = sounding[-1].pitch % 12  # type: ignore[operator]
    best: tuple[float, int, str] = (-2.0, 0, "major")
    for tonic in range(12):
        rolled = np.roll(w, -tonic)
        for mode, profile in (("major", _MAJOR_PROFILE), ("minor", _MINOR_PROFILE)):
            score = 0.0 if rolled.std() == 0 else float(np.corrcoef(rolled, profile)[0, 1])
            if tonic == final:
                score += 0.15
            if score > best[0]:
                best = (score, tonic, mode)
    return best[1], best[2]


def rests_filled(notes: Sequence[Note]) -> list[Note]:
    """Make gaps between notes explicit rests and trim overlaps (the models read a single line)."""
    out: list[Note] = []
    for n in sorted(notes, key=lambda x: (x.start, -(x.pitch or 0))):
        if out:
            prev = out[-1]
            end = prev.start + prev.duration
            if n.start < end:
                if n.start == prev.start:
                    continue  # a chord: keep the top note, which sorted first
                out[-1] = Note(prev.start, n.start - prev.start, prev.pitch)
            elif n.start > end:
                out.append(Note(end, n.start - end, None))
        if n.duration > 0:
            out.append(n)
    return out
