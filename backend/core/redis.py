"""One Redis connection pool per process, and the key prefix every key carries."""

from __future__ import annotations

import redis.asyncio as aioredis

from backend.core.settings import get_settings

_client: aioredis.Redis | None = None


def redis_client() -> aioredis.Redis:
    global _client
    if _client is None:
        _client = aioredis.Redis.from_url(
            get_settings().redis.url, decode_responses=False, max_connections=256, health_check_interval=30
        )
    return _client


def key(*parts: object) -> str:
    """``key("session", token)`` → ``"cadenza:session:<token>"``."""
    return ":".join([get_settings().redis.prefix, *(str(p) for p in parts)])


async def close_redis() -> None:
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None
