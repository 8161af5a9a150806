"""Train a genre model: split held-out works, count once, choose the order on held-out loss.

The model that ships is the one trained on the training split, so the held-out loss on its card is
the loss of that very model on music it never saw. The manifest records every figure a model card
shows: data sources and licences, pieces and notes, parameters, held-out loss by order, the date.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from backend.core import clock
from backend.intelligence.catalogue import COMMERCIAL_LICENCES, SOURCES
from backend.intelligence.markov import MarkovModel, mean_loss, tokens_of
from backend.intelligence.piece import GRID, Piece, pc_weights

MAX_ORDER = 8
HELDOUT_SHARE = 0.2


def split(works: Sequence[dict[str, Any]], share: float = HELDOUT_SHARE) -> tuple[list[Any], list[Any]]:
    """A fixed split: the works whose id hashes lowest are held out (same split on every machine)."""
    ranked = sorted(works, key=lambda w: hashlib.sha256(w["id"].encode()).hexdigest())
    n_held = max(1, round(len(ranked) * share)) if len(ranked) > 2 else 0
    held = {w["id"] for w in ranked[:n_held]}
    return [w for w in works if w["id"] not in held], [w for w in works if w["id"] in held]


@dataclass
class Trained:
    model: MarkovModel
    manifest: dict[str, Any]


def profile(pieces: Sequence[Piece]) -> dict[str, Any]:
    """What generation and the checks hold a genre to: its pitch classes (relative to the tonic),
    range, note density, final notes and modes."""
    rel_pcs = np.zeros(12)
    by_mode = {"major": np.zeros(12), "minor": np.zeros(12)}
    rels: list[int] = []
    medians: list[int] = []
    notes = 0
    quarters = 0.0
    finals: Counter[int] = Counter()
    modes: Counter[str] = Counter()
    for p in pieces:
        ref = p.reference
        rolled = np.roll(pc_weights(p.notes), -p.tonic)
        rel_pcs += rolled
        by_mode[p.mode] += rolled
        sounding = p.sounding
        rels.extend(n.pitch - ref for n in sounding if n.pitch is not None)
        medians.append(ref)
        notes += len(sounding)
        quarters += p.length / GRID
        if sounding:
            finals[sounding[-1].duration] += 1
        modes[p.mode] += 1
    lo, hi = (int(np.percentile(rels, 1)), int(np.percentile(rels, 99))) if rels else (-12, 12)
    return {
        "pitch_class_histogram": _normalised(rel_pcs),
        # Major and minor tunes weigh scale degrees differently: compare like with like.
        "pitch_class_histogram_by_mode": {m: _normalised(h) for m, h in by_mode.items() if h.sum()},
        "range": [lo, hi],
        # MIDI note of relative pitch 0 in the genre's typical register (a tonic near it is used)
        "register": int(np.median(medians)) if medians else 60,
        "notes_per_quarter": round(notes / quarters, 4) if quarters else 0.0,
        "final_durations": {str(k): v for k, v in finals.most_common()},
        "modes": dict(modes),
    }


def _normalised(counts: np.ndarray) -> list[float]:
    total = counts.sum()
    return [round(float(x / total), 5) if total else 0.0 for x in counts]


def sources_of(works: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    by_source: dict[str, dict[str, Any]] = {}
    for w in works:
        entry = by_source.setdefault(
            w["source"],
            {
                "source": w["source"],
                "name": SOURCES[w["source"]].name,
                "licence": w["licence"],
                "licence_note": SOURCES[w["source"]].licence_note,
                "works": 0,
                "notes": 0,
            },
        )
        entry["works"] += 1
        entry["notes"] += len(w["notes"]) // 2 if "notes" in w and isinstance(w["notes"], list) else 0
    return sorted(by_source.values(), key=lambda e: e["source"])


def commercial_use(licences: set[str]) -> bool:
    """Licence hygiene: one non-commercial source makes the whole model non-commercial."""
    return bool(licences) and licences <= COMMERCIAL_LICENCES


def train_pieces(
    train: Sequence[Piece],
    held: Sequence[Piece],
    *,
    orders: Sequence[int] = tuple(range(1, MAX_ORDER + 1)),
) -> tuple[MarkovModel, dict[int, float], int]:
    """Count once at the largest order, then pick the order with the lowest held-out loss."""
    model = MarkovModel.train(train, max(orders))
    losses: dict[int, float] = {}
    tokens = 0
    for k in orders:
        losses[k], tokens = mean_loss(model.with_order(k), held)
    best = min(losses, key=lambda k: (losses[k], k))
    return model.with_order(best), losses, tokens


def train_genre(
    genre: str, metre: str, works: Sequence[dict[str, Any]], pieces_of: Any, dataset: dict[str, str]
) -> Trained:
    started = time.perf_counter()
    train_works, held_works = split(works)
    train = [pieces_of(w) for w in train_works]
    held = [pieces_of(w) for w in held_works]
    model, losses, held_tokens = train_pieces(train, held)
    licences = {w["licence"] for w in works}
    manifest = {
        "kind": "genre",
        "genre": genre,
        "metre": metre,
        "bar": train[0].bar if train else 0,
        "dataset": dataset,
        "sources": sources_of(train_works),
        "licences": sorted(licences),
        "commercial_use": commercial_use(licences),
        "pieces": len(train),
        "notes": sum(len(p.sounding) for p in train),
        "tokens": sum(len(tokens_of(p)) for p in train),
        "heldout_pieces": len(held),
        "heldout_tokens": held_tokens,
        "heldout_ids": [w["id"] for w in held_works],
        "heldout_loss": round(losses[model.order], 4),
        "loss_by_order": {str(k): round(v, 4) for k, v in losses.items()},
        "parameters": {
            "model": "variable-order Markov chain, Witten-Bell back-off",
            "order": model.order,
            "max_order": model.max_order,
            "vocabulary": len(model.vocab),
            "contexts": len(model.tables),
            "conditioning": ["position in bar", "mode"],
            "duration_grid": f"1/{GRID} quarter",
        },
        "profile": profile(train),
        "trained_at": clock.now().isoformat(),
        "training_seconds": round(time.perf_counter() - started, 3),
    }
    return Trained(model=model, manifest=manifest)
