"""Demo data: the genre models (trained here, in a second or two, from the dataset in hand)."""

from __future__ import annotations

from backend.intelligence import services


async def seed() -> None:
    trained = await services.ensure_genre_models()
    if trained:
        print(f"trained {', '.join(trained)}")
