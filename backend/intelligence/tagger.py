"""Suggest a genre for a melody: which genre model finds it most likely, per note.

The melody is read under each genre's metre (its position in the bar counts in that genre's bar
length), so a jig scored by the reel model looks as unlikely as it sounds. Models are read at order
≥ 2 for this: on the held-out works that classified better than the order chosen for generation
(see the model cards). The confidence is a softmax of the per-note log-likelihoods with a
temperature fitted on held-out works when the models were trained, so "0.9" means right about nine
times in ten on data the models never saw, not a raw likelihood ratio.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from backend.intelligence.markov import MarkovModel, mean_loss
from backend.intelligence.piece import Piece

TAG_ORDER = 2
TEMPERATURES = (1, 2, 3, 5, 8, 12, 20, 30, 50, 80)


@dataclasses.dataclass(frozen=True, slots=True)
class Candidate:
    code: str
    model: MarkovModel
    bar: int


def scores(piece: Piece, candidates: Sequence[Candidate]) -> dict[str, float]:
    """Mean log-likelihood per note of ``piece`` under each candidate."""
    out: dict[str, float] = {}
    for c in candidates:
        shifted = dataclasses.replace(piece, bar=c.bar)
        loss, _ = mean_loss(c.model.with_order(max(TAG_ORDER, c.model.order)), [shifted])
        out[c.code] = -loss
    return out


def posterior(per_note: Mapping[str, float], temperature: float) -> dict[str, float]:
    codes = list(per_note)
    values = np.array([per_note[c] for c in codes]) * temperature
    values -= values.max()
    probs = np.exp(values)
    probs /= probs.sum()
    return {c: float(p) for c, p in zip(codes, probs, strict=True)}


def fit_temperature(examples: Sequence[tuple[str, Mapping[str, float]]]) -> float:
    """The temperature that makes the confidences honest on held-out works (lowest log loss)."""
    if not examples:
        return 10.0
    best = (math.inf, 10.0)
    for temperature in TEMPERATURES:
        loss = 0.0
        for truth, per_note in examples:
            loss -= math.log(max(1e-12, posterior(per_note, temperature).get(truth, 0.0)))
        if loss < best[0]:
            best = (loss, float(temperature))
    return best[1]


def suggest(
    piece: Piece, candidates: Sequence[Candidate], temperature: float
) -> tuple[str, float, dict[str, float]]:
    probs = posterior(scores(piece, candidates), temperature)
    best = max(probs, key=lambda c: probs[c])
    return best, probs[best], probs
