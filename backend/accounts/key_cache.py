"""Verified API keys, remembered for a few seconds in each web process.

Every API request authenticates its key; remembering the answer briefly saves a database round trip
on the hot path. Anything that changes what a key stands for (revocation, a profile or role change)
evicts it here and announces it on Redis, and every web process's ``watch()`` evicts it too, so a
revoked key stops working everywhere within milliseconds, not after the TTL.
"""

from __future__ import annotations

import time

from backend.core import events
from backend.core.actor import Actor

TTL_SECONDS = 5.0
CHANNEL = "accounts:api-keys"
_MAX = 50_000

# prefix -> (expires at, SHA-256 of the whole key, actor)
_verified: dict[str, tuple[float, str, Actor]] = {}


def get(prefix: str, key_hash: str) -> Actor | None:
    found = _verified.get(prefix)
    if found is None:
        return None
    expires, known_hash, actor = found
    if expires < time.monotonic() or known_hash != key_hash:
        _verified.pop(prefix, None)
        return None
    return actor


def put(prefix: str, key_hash: str, actor: Actor) -> None:
    if len(_verified) >= _MAX:
        _verified.clear()
    _verified[prefix] = (time.monotonic() + TTL_SECONDS, key_hash, actor)


def evict(*, prefix: str | None = None, user_id: int | None = None) -> None:
    if prefix is not None:
        _verified.pop(prefix, None)
    if user_id is not None:
        for name in [p for p, (_, _, actor) in _verified.items() if actor.user_id == user_id]:
            _verified.pop(name, None)


def clear() -> None:
    _verified.clear()


async def announce(*, prefix: str | None = None, user_id: int | None = None) -> None:
    """Evict here, and tell every other web process to."""
    evict(prefix=prefix, user_id=user_id)
    await events.publish(CHANNEL, {"prefix": prefix, "user_id": user_id})


async def watch() -> None:
    """Run for the life of a web process: evict what other processes announce."""
    async with events.listen(CHANNEL) as queue:
        while True:
            message = await queue.get()
            evict(prefix=message.get("prefix"), user_id=message.get("user_id"))
