"""DataLoaders shared across domains: ``info.context.loader(UserByIdLoader).load(id)``."""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader

from backend.accounts import services as accounts


async def _users_by_id(ids: list[int]) -> list[dict[str, Any] | None]:
    rows = {row["id"]: row for row in await accounts.get_users(list(set(ids)))}
    return [rows.get(i) for i in ids]


class UserByIdLoader(DataLoader[int, dict[str, Any] | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=_users_by_id)


async def _orgs_by_id(ids: list[int]) -> list[dict[str, Any] | None]:
    rows = {row["id"]: row for row in await accounts.organizations_by_ids(list(set(ids)))}
    return [rows.get(i) for i in ids]


class OrganizationByIdLoader(DataLoader[int, dict[str, Any] | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=_orgs_by_id)
