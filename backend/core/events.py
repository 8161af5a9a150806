"""Events between processes on Redis pub/sub.

``publish(channel, payload)`` sends a JSON event; ``subscribe(channel)`` yields them.
Each process keeps *one* pub/sub connection and fans events out to in-process queues, so a
thousand subscribers cost a thousand small queues, not a thousand Redis connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from backend.core.redis import key, redis_client

log = logging.getLogger(__name__)

QUEUE_SIZE = 256


async def publish(channel: str, payload: dict[str, Any]) -> None:
    await redis_client().publish(key("ev", channel), json.dumps(payload, separators=(",", ":")))


class EventHub:
    """Multiplexes one Redis pub/sub connection over many local subscribers."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._ready = asyncio.Event()

    async def _ensure_reader(self) -> None:
        if self._reader is not None and not self._reader.done():
            return
        self._pubsub = redis_client().pubsub(ignore_subscribe_messages=True)
        # A placeholder channel keeps the connection in subscribed mode while idle.
        await self._pubsub.subscribe(key("ev", "__hub__"))
        self._reader = asyncio.create_task(self._read(), name="event-hub-reader")

    async def _read(self) -> None:
        pubsub = self._pubsub
        while True:
            try:
                message = await pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # pragma: no cover - reconnect on Redis hiccups
                log.exception("event hub lost its Redis connection; reconnecting")
                await asyncio.sleep(0.5)
                with contextlib.suppress(Exception):
                    channels = list(self._subscribers)
                    pubsub = self._pubsub = redis_client().pubsub(ignore_subscribe_messages=True)
                    await pubsub.subscribe(key("ev", "__hub__"), *(key("ev", c) for c in channels))
                continue
            if message is None or message.get("type") != "message":
                continue
            raw_channel = message["channel"].decode()
            channel = raw_channel.split(":ev:", 1)[-1]
            try:
                payload = json.loads(message["data"])
            except ValueError:
                continue
            for queue in list(self._subscribers.get(channel, ())):
                if queue.full():
                    # A slow consumer loses its oldest event rather than stalling everyone.
                    with contextlib.suppress(asyncio.QueueEmpty):
                        queue.get_nowait()
                queue.put_nowait(payload)

    @contextlib.asynccontextmanager
    async def listen(self, *channels: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """Register for ``channels`` *before* the caller reads current state, then yield a queue.

        Reading state after registering means no event can slip between the two.
        """
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        async with self._lock:
            await self._ensure_reader()
            for channel in channels:
                first = not self._subscribers[channel]
                self._subscribers[channel].add(queue)
                if first:
                    await self._pubsub.subscribe(key("ev", channel))
        try:
            yield queue
        finally:
            async with self._lock:
                for channel in channels:
                    subs = self._subscribers.get(channel)
                    if subs is None:
                        continue
                    subs.discard(queue)
                    if not subs:
                        del self._subscribers[channel]
                        with contextlib.suppress(Exception):
                            await self._pubsub.unsubscribe(key("ev", channel))

    async def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        async with self.listen(channel) as queue:
            while True:
                yield await queue.get()

    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
            self._reader = None
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None


_hub: EventHub | None = None


def hub() -> EventHub:
    global _hub
    if _hub is None:
        _hub = EventHub()
    return _hub


def subscribe(channel: str) -> AsyncIterator[dict[str, Any]]:
    return hub().subscribe(channel)


def listen(*channels: str) -> contextlib.AbstractAsyncContextManager[asyncio.Queue[dict[str, Any]]]:
    return hub().listen(*channels)


async def close_hub() -> None:
    global _hub
    if _hub is not None:
        await _hub.close()
        _hub = None
