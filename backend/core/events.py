"""Events between processes on Redis pub/sub.

``publish(channel, payload)`` sends a JSON event; ``subscribe(channel)`` yields them.
Each process keeps *one* pub/sub connection and fans events out to in-process inboxes, so a
thousand subscribers cost a thousand small inboxes, not a thousand Redis connections. Every
inbox of a channel receives the same payload object: readers must not change it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from typing import Any

from backend.core.redis import key, redis_client

log = logging.getLogger(__name__)

QUEUE_SIZE = 256
# How long a listener waits for Redis to confirm a new subscription before going on regardless.
SUBSCRIBE_TIMEOUT = 5.0


async def publish(channel: str, payload: dict[str, Any]) -> None:
    await redis_client().publish(key("ev", channel), json.dumps(payload, separators=(",", ":")))


class Inbox:
    """One subscriber's pending events, oldest first, for one reader.

    Bounded: a slow reader loses its oldest event rather than stalling everyone. Lighter than an
    ``asyncio.Queue`` (one deque and at most one waiting future, no locks or events), which counts
    with a thousand subscribers per process.
    """

    __slots__ = ("_items", "_waiter")

    def __init__(self, size: int = QUEUE_SIZE) -> None:
        self._items: deque[dict[str, Any]] = deque(maxlen=size)
        self._waiter: asyncio.Future[None] | None = None

    def put(self, item: dict[str, Any]) -> None:
        self._items.append(item)  # when full, the deque drops the oldest
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> dict[str, Any]:
        while not self._items:
            if self._waiter is not None:
                raise RuntimeError("an inbox has one reader")
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        return self._items.popleft()

    def qsize(self) -> int:
        return len(self._items)


class EventHub:
    """Multiplexes one Redis pub/sub connection over many local subscribers."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Inbox]] = defaultdict(set)
        # Redis confirms SUBSCRIBEs in the order they were sent: one future per unconfirmed one, and
        # per channel the one its listeners wait for (until it is done, a publish can pass them by).
        self._unconfirmed: dict[str, deque[asyncio.Future[None]]] = defaultdict(deque)
        self._subscribed: dict[str, asyncio.Future[None]] = {}
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._ready = asyncio.Event()

    async def _ensure_reader(self) -> None:
        if self._reader is not None and not self._reader.done():
            return
        self._pubsub = redis_client().pubsub()
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
                self._confirm_all()  # what was sent on the lost connection is never confirmed
                with contextlib.suppress(Exception):
                    channels = list(self._subscribers)
                    pubsub = self._pubsub = redis_client().pubsub()
                    await pubsub.subscribe(key("ev", "__hub__"), *(key("ev", c) for c in channels))
                continue
            if message is None:
                continue
            kind = message.get("type")
            if kind not in ("message", "subscribe"):
                continue
            raw_channel = message["channel"].decode()
            channel = raw_channel.split(":ev:", 1)[-1]
            if kind == "subscribe":
                self._confirm(channel)
                continue
            try:
                payload = json.loads(message["data"])
            except ValueError:
                continue
            for inbox in list(self._subscribers.get(channel, ())):
                inbox.put(payload)

    def _confirm(self, channel: str) -> None:
        waiting = self._unconfirmed.get(channel)
        if not waiting:
            return
        future = waiting.popleft()
        if not waiting:
            del self._unconfirmed[channel]
        if not future.done():
            future.set_result(None)

    def _confirm_all(self) -> None:
        for waiting in self._unconfirmed.values():
            for future in waiting:
                if not future.done():
                    future.set_result(None)
        self._unconfirmed.clear()

    @contextlib.asynccontextmanager
    async def listen(self, *channels: str) -> AsyncIterator[Inbox]:
        """Register for ``channels`` *before* the caller reads current state, then yield an inbox.

        Returns once Redis has confirmed the subscriptions, so reading state afterwards means no
        event can slip between the two.
        """
        queue = Inbox(QUEUE_SIZE)
        async with self._lock:
            await self._ensure_reader()
            for channel in channels:
                first = not self._subscribers[channel]
                self._subscribers[channel].add(queue)
                if first:
                    confirmed = asyncio.get_running_loop().create_future()
                    self._unconfirmed[channel].append(confirmed)
                    self._subscribed[channel] = confirmed
                    await self._pubsub.subscribe(key("ev", channel))
            waits = [self._subscribed[c] for c in channels if not self._subscribed[c].done()]
        try:
            if waits:
                try:
                    async with asyncio.timeout(SUBSCRIBE_TIMEOUT):
                        for confirmed in waits:
                            await asyncio.shield(confirmed)  # shared by every listener of the channel
                except TimeoutError:  # pragma: no cover - Redis trouble: the reader resubscribes
                    log.warning("Redis did not confirm a subscription in %.0f s", SUBSCRIBE_TIMEOUT)
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
                        self._subscribed.pop(channel, None)
                        with contextlib.suppress(Exception):
                            await self._pubsub.unsubscribe(key("ev", channel))

    async def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        async with self.listen(channel) as queue:
            while True:
                yield await queue.get()

    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    async def close(self) -> None:
        self._confirm_all()
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


def listen(*channels: str) -> contextlib.AbstractAsyncContextManager[Inbox]:
    return hub().listen(*channels)


async def close_hub() -> None:
    global _hub
    if _hub is not None:
        await _hub.close()
        _hub = None
