"""Genre models are trained once per test session from the committed CI subset (≈2 s), then
re-registered after each table wipe: the artifacts stay in the run's media folder."""

from __future__ import annotations

from typing import Any

import pytest_asyncio

from backend.intelligence import services
from backend.intelligence.tables import GenreModel

_ROWS: list[dict[str, Any]] = []


@pytest_asyncio.fixture(loop_scope="session")
async def genre_models() -> list[dict[str, Any]]:
    if not _ROWS:
        await services.ensure_genre_models()
        _ROWS.extend(await GenreModel.select().where(GenreModel.status == "ready"))
    elif not await GenreModel.count():
        await GenreModel.insert(*[GenreModel(**{k: v for k, v in r.items() if k != "id"}) for r in _ROWS])
    return await services.genre_models()
