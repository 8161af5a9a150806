"""Arrange a melody and its chords into four parts: melody, harmony, bass and drums.

Each genre has its accompaniment habits (a reel's off-beat vamp, a chorale's held chords, a jig's
oom-pah in dotted quarters); each instrumentation preset picks General MIDI programs for the parts.
Everything here is deterministic: the same melody and chords give the same parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from backend.intelligence.harmony import Chord
from backend.intelligence.piece import GRID, Note, Piece, beat_length

PARTS = ("melody", "harmony", "bass", "drums")


@dataclass(frozen=True, slots=True)
class Preset:
    code: str
    programs: MappingProxyType[str, int]  # part → General MIDI program (0-based)
    velocities: MappingProxyType[str, int]


def _preset(code: str, melody: int, harmony: int, bass: int, vel: tuple[int, int, int, int]) -> Preset:
    return Preset(
        code,
        MappingProxyType({"melody": melody, "harmony": harmony, "bass": bass, "drums": 0}),
        MappingProxyType(dict(zip(PARTS, vel, strict=True))),
    )


PRESETS = MappingProxyType(
    {
        p.code: p
        for p in (
            _preset("folk_band", 40, 25, 32, (100, 70, 88, 80)),  # fiddle, steel guitar, acoustic bass
            _preset("organ", 19, 19, 19, (92, 70, 80, 50)),  # church organ throughout
            _preset("chamber", 73, 48, 42, (96, 62, 80, 56)),  # flute, strings, cello
            _preset("piano", 0, 0, 0, (96, 66, 84, 70)),  # piano
            _preset("electronic", 80, 89, 38, (92, 64, 96, 96)),  # square lead, warm pad, synth bass
        )
    }
)

# GM percussion: kick 36, snare 38, closed hat 42, low floor tom 41, tambourine 54
_DRUMS = {
    "reel": ((0, 36, 1.0), (6, 42, 0.6), (12, 38, 0.8), (18, 42, 0.6)),  # per 24 steps (a 2/4 bar)
    "jig": ((0, 36, 1.0), (12, 42, 0.5), (18, 38, 0.8), (30, 42, 0.5)),  # per 36 steps (6/8)
    "march": ((0, 36, 1.0), (12, 54, 0.5), (24, 38, 0.7), (36, 54, 0.5)),  # per 48 steps
    "none": ((0, 41, 0.6),),  # a soft timpani-like tom on each downbeat
}


def _chord_pitches(chord: Chord, tonic: int, around: int) -> list[int]:
    root = tonic + chord.root
    base = around - ((around - root) % 12)
    return [base + i for i in chord.intervals]


def harmony_part(chords: list[Chord], piece: Piece, style: str) -> list[Note]:
    notes: list[Note] = []
    beat = beat_length(piece.metre)
    for chord in chords:
        voicing = _chord_pitches(chord, piece.tonic, 60)
        if style in ("reel", "march"):
            # Vamp: chords on the off-beats.
            t = chord.start + beat // 2
            while t < chord.start + chord.duration:
                notes.extend(Note(t, beat // 2, p) for p in voicing)
                t += beat
        elif style == "jig":
            t = chord.start + GRID  # the second and third eighths of each dotted quarter
            while t < chord.start + chord.duration:
                notes.extend(Note(t, GRID // 2, p) for p in voicing)
                t += beat
        else:
            notes.extend(Note(chord.start, chord.duration, p) for p in voicing)
    return notes


def bass_part(chords: list[Chord], piece: Piece, style: str) -> list[Note]:
    notes: list[Note] = []
    beat = beat_length(piece.metre)
    for i, chord in enumerate(chords):
        root = _chord_pitches(chord, piece.tonic, 43)[0]
        fifth = root + 7 if root + 7 <= 50 else root - 5
        if style == "none":
            notes.append(Note(chord.start, chord.duration, root))
            continue
        t, k = chord.start, 0
        while t < chord.start + chord.duration:
            notes.append(Note(t, max(1, beat - 1), root if (k + i) % 2 == 0 else fifth))
            t += beat
            k += 1
    return notes


def drum_part(piece: Piece, pattern: str, total: int) -> list[Note]:
    steps = _DRUMS.get(pattern, _DRUMS["none"])
    span = {"reel": 24, "jig": 36, "march": 48}.get(pattern, piece.bar)
    notes: list[Note] = []
    start = 0
    while start < total:
        for offset, drum, _accent in steps:
            t = start + offset
            if t < total:
                notes.append(Note(t, GRID // 4, drum))
        start += span
    return notes


def drum_accents(pattern: str) -> dict[int, float]:
    return {offset: accent for offset, _, accent in _DRUMS.get(pattern, _DRUMS["none"])}


def arrange(piece: Piece, chords: list[Chord], style: str, drum_pattern: str) -> dict[str, list[Note]]:
    total = piece.notes[-1].start + piece.notes[-1].duration if piece.notes else piece.bar
    return {
        "melody": [n for n in piece.notes if n.pitch is not None],
        "harmony": harmony_part(chords, piece, style),
        "bass": bass_part(chords, piece, style),
        "drums": drum_part(piece, drum_pattern, total),
    }
