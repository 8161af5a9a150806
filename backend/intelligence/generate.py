"""Sample a melody from a token model under the constraints a listener hears.

- exactly ``bars`` bars of the model's metre: no token may cross the final barline;
- every pitch inside the genre's range (relative to the tonic);
- the last note is the tonic and ends on the final barline (near the end, tonic notes that close
  the piece are favoured so the cadence does not come as a clipped sixteenth);
- for restyling, a skeleton of pitch classes on beats: tokens that sound the skeleton's pitch on a
  beat are boosted, the rest of the rhythm and the line come from the model.

Everything random comes from one ``numpy`` generator seeded by the caller, so the same seed and
settings give the same notes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from backend.intelligence.markov import Token, TokenModel
from backend.intelligence.piece import Note, Piece

CADENCE_BOOST = 6.0


@dataclass(frozen=True, slots=True)
class Constraints:
    bars: int
    bar: int
    metre: str
    mode: str
    low: int  # lowest relative pitch
    high: int  # highest relative pitch
    # beat time (in grid steps from the start) → pitch class relative to the tonic
    skeleton: Mapping[int, int] | None = None
    boost: float = 16.0


def sample_tokens(model: TokenModel, c: Constraints, rng: np.random.Generator) -> list[tuple[Token, int]]:
    total = c.bars * c.bar
    t = 0
    history: list[Token] = []
    out: list[tuple[Token, int]] = []
    beats = sorted(c.skeleton) if c.skeleton else []
    while t < total:
        vocab, probs = model.distribution(c.mode, t % c.bar, history)
        pitches = np.array([np.nan if tok[0] is None else tok[0] for tok in vocab], dtype=float)
        durs = np.array([tok[1] for tok in vocab])
        remaining = total - t
        is_rest = np.isnan(pitches)
        in_range = is_rest | ((pitches >= c.low) & (pitches <= c.high))
        closes = durs == remaining
        tonic = ~is_rest & (np.mod(np.nan_to_num(pitches), 12) == 0)
        allowed = in_range & (durs <= remaining) & (~closes | tonic)
        # Never leave a gap shorter than any note could fill.
        allowed &= closes | (remaining - durs >= durs.min())
        if not history:
            allowed &= ~is_rest
        weights = np.where(allowed, probs, 0.0)
        if remaining <= c.bar:
            weights = np.where(closes & tonic, weights * CADENCE_BOOST, weights)
        if beats:
            weights = weights * _skeleton_boost(c, t, pitches, durs, beats)
        if weights.sum() <= 0:
            # Nothing the model knows fits: close on the tonic (in range, octave of the range's middle).
            octave = int(round(((c.low + c.high) / 2) / 12)) * 12
            tok: Token = (octave, remaining)
        else:
            choice = int(rng.choice(len(vocab), p=weights / weights.sum()))
            tok = vocab[choice]
        out.append((tok, t))
        history.append(tok)
        t += tok[1]
    return out


def _skeleton_boost(
    c: Constraints, t: int, pitches: np.ndarray, durs: np.ndarray, beats: Sequence[int]
) -> np.ndarray:
    assert c.skeleton is not None
    factor = np.ones(len(pitches))
    pcs = np.mod(np.nan_to_num(pitches, nan=-1), 12)
    sounding = ~np.isnan(pitches)
    if t in c.skeleton:
        factor *= np.where(sounding & (pcs == c.skeleton[t]), c.boost, 1.0)
    following = next((b for b in beats if b > t), None)
    if following is not None and following in c.skeleton:
        spans = t + durs > following
        factor *= np.where(spans & sounding & (pcs == c.skeleton[following]), c.boost, 1.0)
    return factor


def to_piece(tokens: Sequence[tuple[Token, int]], c: Constraints, tonic: int, register: int) -> Piece:
    """Absolute pitches in ``tonic``'s key, with relative pitch 0 on the tonic nearest ``register``."""
    ref = nearest_tonic(tonic, register)
    notes = [Note(start, tok[1], None if tok[0] is None else ref + tok[0]) for tok, start in tokens]
    return Piece(notes=notes, bar=c.bar, metre=c.metre, tonic=tonic, mode=c.mode, ref=ref)


def nearest_tonic(tonic: int, around: int) -> int:
    return around - ((around - tonic + 6) % 12) + 6
