"""A transaction gives its connection back to the pool however it ends."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from backend.core import db
from backend.core.settings import get_settings


def _in_use() -> int:
    pool = db.engine().pool
    return pool.get_size() - pool.get_idle_size()


async def _refused_commit() -> None:
    """A transaction whose COMMIT the server refuses (a deferred unique constraint)."""
    async with db.transaction():
        await db.engine().run_ddl(
            "CREATE TEMP TABLE refused (n int UNIQUE DEFERRABLE INITIALLY DEFERRED) ON COMMIT DROP"
        )
        await db.engine().run_ddl("INSERT INTO refused VALUES (1), (1)")


async def test_commits_the_server_refuses_do_not_starve_the_pool():
    for _ in range(get_settings().database.pool_max + 5):
        with pytest.raises(asyncpg.UniqueViolationError):
            await _refused_commit()
    assert _in_use() == 0
    # The pool still answers at once.
    assert await asyncio.wait_for(db.ping(), 5)


async def test_a_task_cancelled_inside_a_transaction_gives_its_connection_back():
    started = asyncio.Event()

    async def slow() -> None:
        async with db.transaction():
            started.set()
            await db.engine().run_ddl("SELECT pg_sleep(10)")

    task = asyncio.create_task(slow())
    await started.wait()
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _in_use() == 0
    assert db.engine().current_transaction.get() is None
