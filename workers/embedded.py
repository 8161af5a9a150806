"""Workers for every queue inside the current event loop (``cadenza dev`` and the tests).

In the embedded default the database is SQLite, which allows one writer: running the workers in the
web process's own loop means they never fight it for the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from arq.worker import Worker

from backend.core.jobs import QUEUES
from workers.settings import worker_options


class EmbeddedWorkers:
    def __init__(self, queues: tuple[str, ...] = tuple(QUEUES)) -> None:
        self.queues = queues
        self.workers: list[Worker] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        for queue in self.queues:
            options = worker_options(queue)
            if not options["functions"]:
                continue
            worker = Worker(handle_signals=False, **options)
            self.workers.append(worker)
            self.tasks.append(asyncio.create_task(worker.async_run(), name=f"worker-{queue}"))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(BaseException):
                await task
        for worker in self.workers:
            # Jobs still running (a cron tick, say) are cancelled; arq's close() would re-raise their
            # CancelledError into whoever stops us, so collect them first.
            for job_task in worker.tasks.values():
                job_task.cancel()
            await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
            worker.tasks.clear()
            with contextlib.suppress(Exception):
                await worker.close()
        self.workers.clear()
        self.tasks.clear()


@contextlib.asynccontextmanager
async def embedded_workers(_app: object) -> AsyncIterator[None]:
    """A Litestar lifespan that runs every queue's worker beside the web app."""
    running = EmbeddedWorkers()
    await running.start()
    try:
        yield
    finally:
        await running.stop()
