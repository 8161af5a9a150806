"""Events between processes: one Redis pub/sub connection per process, an inbox per subscriber."""

from __future__ import annotations

import asyncio

import pytest

from backend.core import events
from backend.core.events import QUEUE_SIZE, Inbox


async def test_every_listener_gets_every_event_in_order():
    async with events.listen("t:order") as first, events.listen("t:order") as second:
        for number in range(20):
            await events.publish("t:order", {"n": number})
        for inbox in (first, second):
            assert [(await asyncio.wait_for(inbox.get(), 10))["n"] for _ in range(20)] == list(range(20))


async def test_a_slow_listener_loses_its_oldest_events_and_stalls_nobody():
    async with events.listen("t:slow") as slow, events.listen("t:marker") as marker:
        for number in range(QUEUE_SIZE + 10):
            await events.publish("t:slow", {"n": number})
        # One Redis connection delivers in order: once the marker is here, so is everything before it.
        await events.publish("t:marker", {"done": True})
        assert (await asyncio.wait_for(marker.get(), 10))["done"]
        kept = [(await slow.get())["n"] for _ in range(slow.qsize())]
    assert kept == list(range(10, QUEUE_SIZE + 10))


async def test_a_reader_that_gives_up_waiting_loses_nothing():
    inbox = Inbox(4)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await inbox.get()
    inbox.put({"n": 1})
    inbox.put({"n": 2})
    assert [await inbox.get(), await inbox.get()] == [{"n": 1}, {"n": 2}]


async def test_a_waiting_reader_wakes_up_on_the_next_event():
    inbox = Inbox(4)
    reader = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    assert not reader.done()
    inbox.put({"n": 1})
    assert await asyncio.wait_for(reader, 5) == {"n": 1}


async def test_an_inbox_has_one_reader():
    inbox = Inbox(4)
    reader = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError):
        await inbox.get()
    inbox.put({"n": 1})
    assert await reader == {"n": 1}
