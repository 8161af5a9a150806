"""DataLoaders of the studio types: one query per request for all the assets or jobs it names."""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader

from backend.audio import services as audio


async def _assets(ids: list[str]) -> list[dict[str, Any] | None]:
    rows = {row["public_id"]: row for row in await audio.assets_by_public_ids(list(set(ids)))}
    return [rows.get(i) for i in ids]


class AssetByPublicIdLoader(DataLoader[str, dict[str, Any] | None]):
    """Rows as stored: the caller checks the viewer may see them."""

    def __init__(self) -> None:
        super().__init__(load_fn=_assets)


async def _jobs(ids: list[str]) -> list[dict[str, Any] | None]:
    rows = {row["public_id"]: row for row in await audio.jobs_by_public_ids(list(set(ids)))}
    return [rows.get(i) for i in ids]


class JobByPublicIdLoader(DataLoader[str, dict[str, Any] | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=_jobs)
