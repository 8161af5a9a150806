"""Fixed-window rate limits on Redis counters (one round trip per check)."""

from __future__ import annotations

from backend.core.errors import RateLimited
from backend.core.redis import key, redis_client

# INCR, and set the expiry only when the window opens; returns (count, ttl).
_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('TTL', KEYS[1])}
"""
_sha: str | None = None


async def hit(bucket: str, limit: int, window_seconds: int) -> tuple[bool, int]:
    """Count one hit; returns (allowed, seconds until the window resets)."""
    global _sha
    client = redis_client()
    name = key("rl", bucket)
    if _sha is None:
        _sha = await client.script_load(_SCRIPT)
    try:
        count, ttl = await client.evalsha(_sha, 1, name, str(window_seconds))  # type: ignore[misc]
    except Exception as exc:  # the script cache was flushed
        if "NOSCRIPT" not in str(exc):
            raise
        _sha = await client.script_load(_SCRIPT)
        count, ttl = await client.evalsha(_sha, 1, name, str(window_seconds))  # type: ignore[misc]
    return int(count) <= limit, max(int(ttl), 1)


async def enforce(bucket: str, limit: int, window_seconds: int) -> None:
    allowed, retry_after = await hit(bucket, limit, window_seconds)
    if not allowed:
        raise RateLimited(retry_after)


async def reset(bucket: str) -> None:
    await redis_client().delete(key("rl", bucket))
