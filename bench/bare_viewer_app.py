"""The baseline for ``bench.foundation_http``: a bare Litestar handler answering the same
``{"data": {"viewer": {"id": …}}}`` from one raw asyncpg query, with the same API-key lookup."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import asyncpg
from litestar import Litestar, MediaType, Request, Response, post

_pool: asyncpg.Pool | None = None

QUERY = """
SELECT u.public_id, k.key_hash FROM api_key k JOIN app_user u ON u.id = k."user"
WHERE k.prefix = $1 AND k.revoked_at IS NULL
"""


@post("/graphql", status_code=200)
async def viewer(request: Request[Any, Any, Any]) -> Response[bytes]:
    await request.body()
    secret = request.headers.get("authorization", "").removeprefix("Bearer ")
    prefix = "_".join(secret.split("_")[:2])
    assert _pool is not None
    row = await _pool.fetchrow(QUERY, prefix)
    if row is None or row["key_hash"] != hashlib.sha256(secret.encode()).hexdigest():
        return Response(b'{"errors":[{"message":"bad key"}]}', status_code=401, media_type=MediaType.JSON)
    body = json.dumps({"data": {"viewer": {"id": row["public_id"]}}}).encode()
    return Response(body, media_type=MediaType.JSON)


async def startup() -> None:
    global _pool
    _pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2, max_size=20)


async def shutdown() -> None:
    if _pool is not None:
        await _pool.close()


app = Litestar(route_handlers=[viewer], on_startup=[startup], on_shutdown=[shutdown])
