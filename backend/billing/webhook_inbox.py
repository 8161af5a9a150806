"""Group commit for Stripe's webhooks: many concurrent deliveries, one transaction.

Stored one by one, each delivery held a pooled connection for four round trips (BEGIN, insert the
event, insert the job, COMMIT) and then spent three more enqueueing its job: under a burst the
requests queued for connections and the latency was the queue. Here a request hands its verified
delivery to the inbox and waits; one flusher task stores everything that arrived while the previous
batch was being written, in one transaction, answers those requests, and enqueues their jobs in one
Redis round trip. A lone delivery is written at once (there is no timer), so it waits for nobody.

A request is answered only after its batch committed; if the batch fails, its deliveries are stored
one at a time, so a bad one fails alone (its request gets an error and Stripe retries it).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from dataclasses import dataclass
from typing import Any

from backend.billing import webhooks
from backend.core import jobs

log = logging.getLogger(__name__)

# Deliveries per transaction: keeps each short, and SQLite's multi-row insert (a bind parameter per
# value) far below its limit of 32,766.
MAX_BATCH = 100


@dataclass(frozen=True, slots=True)
class _Waiting:
    delivery: webhooks.Delivery
    answer: asyncio.Future[webhooks.Received]


class WebhookInbox:
    """Belongs to the event loop it was created in; ``close`` stores what is left, then stops."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._waiting: list[_Waiting] = []
        self._storing: list[_Waiting] = []
        self._arrived = asyncio.Event()
        self._closing = False
        self._dispatches: set[asyncio.Task[None]] = set()
        # A context of its own: the flusher must not run inside the first caller's transaction.
        self._flusher = self.loop.create_task(
            self._run(), name="webhook-inbox", context=contextvars.Context()
        )

    @property
    def open(self) -> bool:
        return not self._closing and not self._flusher.done()

    @property
    def waiting(self) -> int:
        """Deliveries handed in and not answered yet."""
        return len(self._storing) + len(self._waiting)

    async def store(self, delivery: webhooks.Delivery) -> webhooks.Received:
        """Returns once the delivery is committed; raises if it could not be stored."""
        if not self.open:
            raise RuntimeError("webhook inbox closed")
        answer: asyncio.Future[webhooks.Received] = self.loop.create_future()
        self._waiting.append(_Waiting(delivery, answer))
        self._arrived.set()
        return await answer

    async def close(self) -> None:
        self._closing = True
        self._arrived.set()
        # asyncio.wait, unlike gather, neither cancels them if we are cancelled nor raises their errors.
        await asyncio.wait([self._flusher])
        if self._dispatches:  # the last batches' jobs, to Redis before its connections close
            await asyncio.wait(list(self._dispatches))

    async def _run(self) -> None:
        try:
            while self._waiting or not self._closing:
                await self._arrived.wait()
                self._arrived.clear()
                while self._waiting:
                    self._storing, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                    await self._store(self._storing)
                    self._storing = []
        finally:
            # Cancelled (the loop is going away): nobody waits forever, nothing unstored is acknowledged.
            for waiting in self._storing + self._waiting:
                if not waiting.answer.done():
                    waiting.answer.set_exception(RuntimeError("webhook inbox stopped"))

    async def _store(self, batch: list[_Waiting]) -> None:
        try:
            outcomes: list[webhooks.Received | BaseException] = list(
                await webhooks.store([w.delivery for w in batch])
            )
        except Exception:
            log.warning(
                "storing %d webhook events together failed; storing them one by one",
                len(batch),
                exc_info=True,
            )
            outcomes = [await self._store_one(w.delivery) for w in batch]
        new_jobs = []
        for waiting, outcome in zip(batch, outcomes, strict=True):
            if waiting.answer.done():  # its request was cancelled; the event is stored all the same
                pass
            elif isinstance(outcome, BaseException):
                waiting.answer.set_exception(outcome)
            else:
                waiting.answer.set_result(outcome)
            if isinstance(outcome, webhooks.Received) and outcome.job is not None:
                new_jobs.append(outcome.job)
        if new_jobs:
            # Not awaited here: Redis must not hold up the next batch. The job rows are committed,
            # so if this fails the jobs sweep enqueues them later.
            task = self.loop.create_task(self._dispatch(new_jobs))
            self._dispatches.add(task)
            task.add_done_callback(self._dispatches.discard)

    @staticmethod
    async def _store_one(delivery: webhooks.Delivery) -> webhooks.Received | BaseException:
        try:
            return (await webhooks.store([delivery]))[0]
        except Exception as exc:
            log.exception("webhook event %s could not be stored", delivery.stripe_id)
            return exc

    @staticmethod
    async def _dispatch(job_rows: list[dict[str, Any]]) -> None:
        try:
            await jobs.dispatch_many(job_rows)
        except Exception:
            log.warning("enqueueing %d webhook jobs failed; the sweep will", len(job_rows), exc_info=True)


_inbox: WebhookInbox | None = None


def inbox() -> WebhookInbox:
    """The running loop's inbox, started on first use (the tests serve the app without a lifespan)."""
    global _inbox
    if _inbox is None or not _inbox.open or _inbox.loop is not asyncio.get_running_loop():
        _inbox = WebhookInbox()
    return _inbox


async def close() -> None:
    """Store every delivery already handed in, then stop (the app's lifespan calls this)."""
    global _inbox
    if _inbox is not None:
        closing, _inbox = _inbox, None
        if closing.loop is asyncio.get_running_loop():
            await closing.close()
