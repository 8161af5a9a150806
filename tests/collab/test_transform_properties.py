"""Property-based tests of the transformation functions (hypothesis).

- TP1 for every pair of operation kinds: on a random document, any two valid concurrent operations
  ``a`` and ``b`` transform into ``a2``/``b2`` that are valid where they land and give one document
  whichever order they are applied in.
- Convergence: 2–5 clients editing one random document concurrently, with random interleaving of
  edits and deliveries, all end with the server's document.

CI runs a derandomized profile (the same examples every time, a few seconds); set
``COLLAB_HYPOTHESIS=explore`` to search with fresh random examples and more of them.
"""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.audio import operations as ops
from backend.collab import transform as ot
from tests.collab import docgen, simulation

settings.register_profile(
    "collab-ci",
    derandomize=True,
    deadline=None,
    max_examples=80,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("collab-explore", deadline=None, max_examples=3000)
PROFILE = settings.get_profile(
    "collab-explore" if os.environ.get("COLLAB_HYPOTHESIS") == "explore" else "collab-ci"
)
PAIRS = [(a, b) for a in ops.KINDS for b in ops.KINDS]


def check_tp1(doc: dict, a: dict, b: dict) -> tuple[dict, list, list]:
    a2, b2 = ot.transform(ot.annotate(a, doc), ot.annotate(b, doc))
    left = docgen.apply_all(doc, [b, *a2])
    right = docgen.apply_all(doc, [a, *b2])
    assert left == right, f"TP1 fails for\n a={a}\n b={b}\n a2={a2}\n b2={b2}"
    return left, a2, b2


def _pair(rng: random.Random, kind_a: str, kind_b: str) -> tuple[dict, dict, dict] | None:
    doc = docgen.document(rng)
    a = docgen.operation(rng, doc, kind_a)
    b = docgen.operation(rng, doc, kind_b)
    return (doc, a, b) if a is not None and b is not None else None


@pytest.fixture(autouse=True)
def clean_slate() -> None:
    """Pure functions: no tables or Redis keys to wipe (overrides the suite's autouse fixture)."""


def test_tp1_holds_for_every_pair_of_kinds() -> None:
    """A fixed sweep: 8 random documents and operation pairs for each of the 256 pairs of kinds."""
    for kind_a, kind_b in PAIRS:
        rng = random.Random(f"{kind_a}/{kind_b}")
        checked = 0
        for _ in range(8):
            found = _pair(rng, kind_a, kind_b)
            if found is not None:
                check_tp1(*found)
                checked += 1
        assert checked == 8, (kind_a, kind_b)  # every kind has something to act on


@PROFILE
@given(pair=st.sampled_from(PAIRS), seed=st.integers(0, 2**32 - 1))
def test_tp1_on_random_documents(pair: tuple[str, str], seed: int) -> None:
    found = _pair(random.Random(seed), *pair)
    if found is not None:
        check_tp1(*found)


@PROFILE
@given(seed=st.integers(0, 2**32 - 1), clients=st.integers(2, 5))
def test_every_client_converges_on_the_servers_document(seed: int, clients: int) -> None:
    server, team = simulation.run(seed, clients)
    for client in team:
        assert client.inflight is None and client.buffer == []
        assert client.revision == server.revision
        assert client.view == server.doc
        assert client.doc == server.doc


def test_simulations_exercise_conflicts_and_refusals() -> None:
    """The convergence test is only as good as its traffic: it must see real concurrency."""
    transformed = dropped = refused = 0
    for seed in range(40):
        server, _ = simulation.run(seed, 4, steps=80)
        dropped += server.dropped
        refused += server.refused
        transformed += len(server.log)
    assert transformed > 400
    assert dropped > 0
