"""Variable-order Markov models with back-off over melody tokens.

A token is ``(pitch relative to the tonic or None for a rest, duration in 1/12 quarters)``. The next
token is predicted from the last *k* tokens, the position in the bar where it starts and the mode.
Probabilities are interpolated Witten-Bell style down a chain of ever shorter contexts:

    unigram → position → (mode, position) → (mode, position, t-1) → … → (mode, position, t-k…t-1)

so an unseen long context falls back on what shorter ones know, and every token keeps some
probability (an unknown token gets the unigram's share for "unknown"). Counting is done once for
the largest order; any smaller order uses a prefix of the same chain, which is what makes choosing
the order on held-out data cheap.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from backend.intelligence.piece import Piece

Token = tuple[int | None, int]
BOS = -1  # index of the "before the piece" token in contexts
OOV = -2  # index of a token the model never saw, in contexts
UNIGRAM_PRIOR = 0.5


def tokens_of(piece: Piece) -> list[tuple[Token, int]]:
    """(token, position in bar) for every note of ``piece``."""
    ref = piece.reference
    return [
        ((None if n.pitch is None else n.pitch - ref, n.duration), n.start % piece.bar) for n in piece.notes
    ]


class TokenModel(Protocol):
    @property
    def order(self) -> int: ...

    def logprob(self, token: Token, mode: str, pos: int, history: Sequence[Token]) -> float: ...

    def distribution(
        self, mode: str, pos: int, history: Sequence[Token]
    ) -> tuple[list[Token], np.ndarray]: ...


@dataclass
class MarkovModel:
    max_order: int
    vocab: list[Token]
    unigram: np.ndarray
    # context key → (total count, distinct next tokens, {token index: count})
    tables: dict[tuple[Any, ...], tuple[int, int, dict[int, int]]]
    order: int = 0
    _index: dict[Token, int] = field(default_factory=dict, repr=False)
    _dense: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    _base: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._index = {tok: i for i, tok in enumerate(self.vocab)}
        self.order = self.order or self.max_order

    # ------------------------------------------------------------------ training

    @classmethod
    def train(cls, pieces: Iterable[Piece], max_order: int) -> MarkovModel:
        sequences = [(p.mode, tokens_of(p)) for p in pieces]
        vocab = sorted({tok for _, seq in sequences for tok, _ in seq}, key=_token_sort_key)
        index = {tok: i for i, tok in enumerate(vocab)}
        unigram = np.zeros(len(vocab))
        raw: dict[tuple[Any, ...], dict[int, int]] = {}
        for mode, seq in sequences:
            history = [BOS] * max_order
            for tok, pos in seq:
                x = index[tok]
                unigram[x] += 1
                for key in _chain(mode, pos, history, max_order):
                    counts = raw.setdefault(key, {})
                    counts[x] = counts.get(x, 0) + 1
                history.append(x)
                history.pop(0)
        tables = {k: (sum(c.values()), len(c), c) for k, c in raw.items()}
        return cls(max_order=max_order, vocab=vocab, unigram=unigram, tables=tables, order=max_order)

    def with_order(self, order: int) -> MarkovModel:
        """The same counts read with a shorter chain (no retraining)."""
        clone = MarkovModel(self.max_order, self.vocab, self.unigram, self.tables, order=order)
        return clone

    # ------------------------------------------------------------------ probabilities

    def _indices(self, history: Sequence[Token]) -> list[int]:
        hist = [self._index.get(t, OOV) for t in history[-self.order :]] if self.order else []
        return [BOS] * (self.order - len(hist)) + hist

    def _unigram_p(self, x: int | None) -> float:
        total = float(self.unigram.sum())
        count = self.unigram[x] if x is not None else 0.0
        return (count + UNIGRAM_PRIOR) / (total + UNIGRAM_PRIOR * (len(self.vocab) + 1))

    def logprob(self, token: Token, mode: str, pos: int, history: Sequence[Token]) -> float:
        x = self._index.get(token)
        p = self._unigram_p(x)
        for key in _chain(mode, pos, self._indices(history), self.order):
            entry = self.tables.get(key)
            if entry is None:
                break
            total, types, counts = entry
            p = ((counts.get(x, 0) if x is not None else 0) + types * p) / (total + types)
        return math.log(p)

    def distribution(self, mode: str, pos: int, history: Sequence[Token]) -> tuple[list[Token], np.ndarray]:
        if self._base is None:
            total = float(self.unigram.sum())
            self._base = (self.unigram + UNIGRAM_PRIOR) / (total + UNIGRAM_PRIOR * (len(self.vocab) + 1))
        p = self._base.copy()
        for key in _chain(mode, pos, self._indices(history), self.order):
            entry = self.tables.get(key)
            if entry is None:
                break
            total, types, counts = entry
            dense = self._dense.get(key)
            if dense is None:
                dense = self._dense[key] = (
                    np.fromiter(counts.keys(), dtype=np.int64, count=len(counts)),
                    np.fromiter(counts.values(), dtype=np.float64, count=len(counts)),
                )
            p *= types
            p[dense[0]] += dense[1]
            p /= total + types
        return self.vocab, p / p.sum()

    # ------------------------------------------------------------------ storage

    def to_bytes(self) -> bytes:
        document = {
            "max_order": self.max_order,
            "order": self.order,
            "vocab": [list(t) for t in self.vocab],
            "unigram": self.unigram.astype(int).tolist(),
            "tables": [[list(k), list(c.keys()), list(c.values())] for k, (_, _, c) in self.tables.items()],
        }
        return gzip.compress(json.dumps(document, separators=(",", ":")).encode(), mtime=0)

    @classmethod
    def from_bytes(cls, data: bytes) -> MarkovModel:
        document = json.loads(gzip.decompress(data))
        tables = {}
        for key, idx, cnt in document["tables"]:
            counts = dict(zip(idx, cnt, strict=True))
            tables[tuple(key)] = (sum(cnt), len(cnt), counts)
        return cls(
            max_order=document["max_order"],
            vocab=[(t[0], t[1]) for t in document["vocab"]],
            unigram=np.array(document["unigram"], dtype=np.float64),
            tables=tables,
            order=document["order"],
        )


def _token_sort_key(tok: Token) -> tuple[int, int]:
    return (-1000 if tok[0] is None else tok[0], tok[1])


def _chain(mode: str, pos: int, history: Sequence[int], order: int) -> list[tuple[Any, ...]]:
    keys: list[tuple[Any, ...]] = [("p", pos), ("m", mode, pos)]
    for k in range(1, order + 1):
        keys.append(("m", mode, pos, *history[len(history) - k :]))
    return keys


def mean_loss(model: TokenModel, pieces: Iterable[Piece]) -> tuple[float, int]:
    """Mean negative log-likelihood in nats per token, and the number of tokens."""
    total, count = 0.0, 0
    for piece in pieces:
        history: list[Token] = []
        for tok, pos in tokens_of(piece):
            total -= model.logprob(tok, piece.mode, pos, history)
            history.append(tok)
            count += 1
    return (total / count if count else float("inf")), count


@dataclass
class Mixture:
    """``weight`` × a creator's own model + (1 - ``weight``) × a base model, token by token."""

    own: TokenModel
    base: TokenModel
    weight: float

    @property
    def order(self) -> int:
        return max(self.own.order, self.base.order)

    def logprob(self, token: Token, mode: str, pos: int, history: Sequence[Token]) -> float:
        a = math.exp(self.own.logprob(token, mode, pos, history))
        b = math.exp(self.base.logprob(token, mode, pos, history))
        return math.log(self.weight * a + (1 - self.weight) * b)

    def distribution(self, mode: str, pos: int, history: Sequence[Token]) -> tuple[list[Token], np.ndarray]:
        own_vocab, own_p = self.own.distribution(mode, pos, history)
        base_vocab, base_p = self.base.distribution(mode, pos, history)
        merged: dict[Token, float] = {}
        for tok, p in zip(base_vocab, base_p, strict=True):
            merged[tok] = (1 - self.weight) * float(p)
        for tok, p in zip(own_vocab, own_p, strict=True):
            merged[tok] = merged.get(tok, 0.0) + self.weight * float(p)
        vocab = list(merged)
        probs = np.fromiter(merged.values(), dtype=np.float64, count=len(merged))
        return vocab, probs / probs.sum()
