"""``python -m bench [name ...]``: run every benchmark module (or the named ones) in turn.

A benchmark is a module ``bench/<name>.py`` with a ``main()`` that prints its figures and the
baseline it was measured against. They never pass or fail.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    root = Path(__file__).parent
    names = argv or sorted(m.name for m in pkgutil.iter_modules([str(root)]) if not m.name.startswith("_"))
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"--- bench.{name} took {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
