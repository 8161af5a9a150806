"""A short Redis lock, so two workers syncing the same Stripe object apply in the order they fetched.

Fetch and write happen under the lock: whoever fetched later also writes later, so an older
snapshot of a subscription can never overwrite a newer one.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator

from backend.core.redis import key, redis_client

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""


class LockTimeout(Exception):
    pass


@contextlib.asynccontextmanager
async def locked(name: str, *, wait: float = 15.0, hold_ms: int = 30_000) -> AsyncIterator[None]:
    client = redis_client()
    lock_key = key("lock", name)
    token = secrets.token_hex(8)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    delay = 0.005
    while not await client.set(lock_key, token, nx=True, px=hold_ms):
        if loop.time() > deadline:
            raise LockTimeout(name)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.1)
    try:
        yield
    finally:
        await client.eval(_RELEASE, 1, lock_key, token)  # type: ignore[misc]
