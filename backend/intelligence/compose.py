"""The whole composition step, pure and deterministic: model + settings + seed → notes and MIDI.

Melody (with the originality guard: a melody copying more than ``MAX_COPY`` notes is thrown away
and the next one drawn from the same seeded generator), chords, the four parts and the MIDI file.
Restyling is the same step with a skeleton of beat pitches from the source melody.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from backend.core.errors import DomainError
from backend.intelligence import arrange, harmony, midi
from backend.intelligence.generate import Constraints, nearest_tonic, sample_tokens, to_piece
from backend.intelligence.markov import Token, TokenModel, tokens_of
from backend.intelligence.originality import MAX_COPY, CopyIndex
from backend.intelligence.piece import Piece, beat_length

MAX_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class Settings:
    bars: int
    tempo: int
    tonic: int
    mode: str
    preset: str
    seed: int
    style: str  # accompaniment habit (arrange)
    drum_pattern: str
    chain: str  # effect chain (effects.CHAINS)


@dataclass
class Composition:
    melody: Piece
    chords: list[harmony.Chord]
    parts: dict[str, list[Any]]
    midi: bytes
    tokens: list[Token]
    longest_copy: int
    copy_source: str
    attempts: int
    total_steps: int


def skeleton_of(
    source: Piece, target_bar: int, target_metre: str, max_bars: int
) -> tuple[dict[int, int], int]:
    """The source's pitch class (relative to its tonic) sounding on each beat, laid onto the target
    metre's beats one for one; returns it and the number of target bars it needs."""
    src_beat = beat_length(source.metre)
    tgt_beat = beat_length(target_metre)
    first = source.notes[0].start
    end = source.notes[-1].start + source.notes[-1].duration
    pcs: list[int | None] = []
    t = first - (first % src_beat) + (src_beat if first % src_beat else 0)
    while t < end:
        sounding = next((n for n in source.notes if n.start <= t < n.start + n.duration), None)
        pcs.append(
            None if sounding is None or sounding.pitch is None else (sounding.pitch - source.tonic) % 12
        )
        t += src_beat
    beats_per_bar = max(1, target_bar // tgt_beat)
    bars = max(1, min(max_bars, -(-len(pcs) // beats_per_bar)))
    skeleton = {i * tgt_beat: pc for i, pc in enumerate(pcs[: bars * beats_per_bar]) if pc is not None}
    return skeleton, bars


def beat_agreement(skeleton: dict[int, int], piece: Piece) -> float:
    """Share of skeleton beats where the new melody sounds the same pitch class."""
    if not skeleton:
        return 0.0
    hits = 0
    for t, pc in skeleton.items():
        sounding = next((n for n in piece.notes if n.start <= t < n.start + n.duration), None)
        if sounding is not None and sounding.pitch is not None and (sounding.pitch - piece.tonic) % 12 == pc:
            hits += 1
    return hits / len(skeleton)


def compose(
    model: TokenModel,
    profile: dict[str, Any],
    *,
    bar: int,
    metre: str,
    settings: Settings,
    guard: CopyIndex | None,
    skeleton: dict[int, int] | None = None,
    boost: float = 16.0,
    title: str = "",
) -> Composition:
    low, high = profile["range"]
    c = Constraints(
        bars=settings.bars,
        bar=bar,
        metre=metre,
        mode=settings.mode,
        low=low,
        high=high,
        skeleton=skeleton,
        boost=boost,
    )
    rng = np.random.default_rng(settings.seed)
    best: tuple[int, str] = (0, "")
    attempt = 0
    for attempt in range(1, MAX_ATTEMPTS + 1):  # noqa: B007 - the count is reported
        tokens_at = sample_tokens(model, c, rng)
        tokens = [tok for tok, _ in tokens_at]
        best = guard.longest_copy(tokens) if guard is not None else (0, "")
        if best[0] <= MAX_COPY:
            break
    else:
        raise DomainError("intelligence.errors.not_original", limit=MAX_COPY)
    melody = to_piece(tokens_at, c, settings.tonic, int(profile.get("register", 60)))
    chords = harmony.harmonise(melody)
    parts = arrange.arrange(melody, chords, settings.style, settings.drum_pattern)
    preset = arrange.PRESETS[settings.preset]
    data = midi.write(
        parts,
        tempo=settings.tempo,
        metre=metre,
        tonic=settings.tonic,
        mode=settings.mode,
        programs=preset.programs,
        velocities=preset.velocities,
        title=title,
    )
    return Composition(
        melody=melody,
        chords=chords,
        parts=parts,
        midi=data,
        tokens=[tok for tok, _ in tokens_of(melody)],
        longest_copy=best[0],
        copy_source=best[1],
        attempts=attempt,
        total_steps=settings.bars * bar,
    )


def register_of(profile: dict[str, Any], tonic: int) -> int:
    return nearest_tonic(tonic, int(profile.get("register", 60)))
