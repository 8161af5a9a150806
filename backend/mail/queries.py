from __future__ import annotations

from typing import Any

from backend.mail.tables import OutboxEmail


async def by_public_id(public_id: str) -> dict[str, Any] | None:
    return await OutboxEmail.select().where(OutboxEmail.public_id == public_id).first()


async def recent(
    limit: int, before_id: int | None = None, to_address: str | None = None
) -> list[dict[str, Any]]:
    query = OutboxEmail.select().order_by(OutboxEmail.id, ascending=False).limit(limit)
    if before_id is not None:
        query = query.where(OutboxEmail.id < before_id)
    if to_address:
        query = query.where(OutboxEmail.to_address == to_address.lower())
    return await query
