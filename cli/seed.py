"""Demo data: each domain may offer ``backend/<domain>/demo.py`` with ``async def seed()``.

Seeds are idempotent, so ``cadenza dev`` runs them at every start.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import backend
from backend.core import db, i18n, jobs
from backend.core.redis import close_redis

# Domains whose demo data others build on go first.
FIRST = ("accounts",)


async def seed_demo() -> None:
    i18n.load_catalogues()
    await db.start_pool()
    try:
        root = Path(backend.__file__).parent
        names = [
            m.name
            for m in pkgutil.iter_modules([str(root)])
            if m.ispkg and (root / m.name / "demo.py").exists()
        ]
        ordered = [n for n in FIRST if n in names] + sorted(n for n in names if n not in FIRST)
        for name in ordered:
            module = importlib.import_module(f"backend.{name}.demo")
            await module.seed()
            print(f"seeded {name}")
    finally:
        await jobs.close_arq_pool()
        await close_redis()
        await db.close_pool()
