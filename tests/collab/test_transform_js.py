"""The browser's port (web/static/collab-ot.js) answers exactly like transform.py: the same random
pairs, batches and documents go through both (Node runs the script file the page loads)."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from backend.audio import operations as ops
from backend.collab import transform as ot
from tests.collab import docgen

SCRIPT = Path(__file__).resolve().parents[2] / "web" / "static" / "collab-ot.js"
RUNNER = """
const ot = require(process.argv[1]);
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const cases = JSON.parse(input);
  const out = cases.map((c) => ({
    pair: ot.transform(c.a, c.b),
    batches: ot.transformBatches(c.A, c.B),
    applied: ot.apply(c.doc, c.a),
  }));
  process.stdout.write(JSON.stringify(out));
});
"""


@pytest.fixture(autouse=True)
def clean_slate() -> None:
    """Pure functions: nothing to wipe (overrides the suite's autouse fixture)."""


def _cases(count: int) -> list[dict]:
    rng = random.Random(20261126)
    cases = []
    while len(cases) < count:
        doc = docgen.document(rng)
        a, b = docgen.operation(rng, doc), docgen.operation(rng, doc)
        if a is None or b is None:
            continue
        # Two short concurrent sequences, each made on its own evolving copy of the document.
        sequences = []
        for _ in range(2):
            current, seq = doc, []
            for _ in range(rng.randint(1, 4)):
                op = docgen.operation(rng, current)
                if op is None:
                    break
                seq.append(ot.annotate(op, current))
                current = ops.apply(current, op)
            sequences.append(seq)
        cases.append(
            {
                "doc": doc,
                "a": ot.annotate(a, doc),
                "b": ot.annotate(b, doc),
                "A": sequences[0],
                "B": sequences[1],
            }
        )
    return cases


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is needed to run the browser's script")
def test_the_browser_port_transforms_and_applies_exactly_like_the_server() -> None:
    cases = _cases(600)
    done = subprocess.run(
        ["node", "-e", RUNNER, str(SCRIPT)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answers = json.loads(done.stdout)
    for case, answer in zip(cases, answers, strict=True):
        assert list(ot.transform(case["a"], case["b"])) == answer["pair"], case
        assert list(ot.transform_batches(case["A"], case["B"])) == answer["batches"], case
        assert ops.apply(case["doc"], case["a"]) == answer["applied"], case
