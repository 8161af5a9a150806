"""Personal models: a creator's own style, blended with the base model by cross-validation.

A model trained on ten or twenty pieces alone is sure of little; the base model knows music in
general but not this creator. The blend ``w·own + (1-w)·base`` is chosen (weight and the own
model's order) by k-fold cross-validation on the creator's pieces, and the same folds measure what
the creator is shown: the base model's loss on their held-out pieces, the own model's alone, and
the blend's. Adding the creator's counts into the base tables was measured worse in prototypes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from backend.intelligence.markov import MarkovModel, Mixture, TokenModel, mean_loss
from backend.intelligence.piece import Piece

MIN_PIECES = 10
WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))
ORDERS = (1, 2, 3, 5)
FOLDS = 5


@dataclass
class PersonalFit:
    own: MarkovModel
    weight: float
    figures: dict[str, Any]


def folds(n: int, k: int = FOLDS) -> list[list[int]]:
    """Deterministic folds: piece i goes to fold i mod k."""
    return [[i for i in range(n) if i % k == f] for f in range(k)]


def fit(pieces: Sequence[Piece], base: TokenModel) -> PersonalFit:
    started = time.perf_counter()
    k = min(FOLDS, len(pieces))
    # losses[(order, weight)] = total nats, tokens
    totals: dict[tuple[int, float], float] = {}
    base_total, count = 0.0, 0
    for fold in folds(len(pieces), k):
        held = [pieces[i] for i in fold]
        train = [p for i, p in enumerate(pieces) if i not in fold]
        trained = MarkovModel.train(train, max(ORDERS))
        b_loss, n = mean_loss(base, held)
        base_total += b_loss * n
        count += n
        for order in ORDERS:
            own = trained.with_order(order)
            for weight in WEIGHTS:
                loss, _ = mean_loss(Mixture(own, base, weight) if weight < 1 else own, held)
                totals[(order, weight)] = totals.get((order, weight), 0.0) + loss * n
    best_order, best_weight = min(totals, key=lambda key: (totals[key], -key[1]))
    blended = totals[(best_order, best_weight)] / count
    own_only = min(totals[(o, 1.0)] for o in ORDERS) / count
    base_only = base_total / count
    final = MarkovModel.train(pieces, max(ORDERS)).with_order(best_order)
    figures = {
        "folds": k,
        "heldout_tokens": count,
        "base_loss": round(base_only, 4),
        "own_loss": round(own_only, 4),
        "blend_loss": round(blended, 4),
        "improvement": round(base_only - blended, 4),
        "improvement_percent": round(100 * (base_only - blended) / base_only, 1) if base_only else 0.0,
        "weight": best_weight,
        "order": best_order,
        "loss_by_weight": {str(w): round(totals[(best_order, w)] / count, 4) for w in WEIGHTS},
        "seconds": round(time.perf_counter() - started, 2),
    }
    return PersonalFit(own=final, weight=best_weight, figures=figures)
