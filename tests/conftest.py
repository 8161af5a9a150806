"""Test set-up: a fresh PostgreSQL database and a private Redis key prefix per run.

Everything is real: PostgreSQL and Redis over TCP, arq workers in the test's event loop, the app
served through Litestar's ASGI test client. Between tests every table is truncated and every Redis
key of this run deleted, so each test starts from nothing.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import tempfile
from pathlib import Path

RUN_ID = f"{os.getpid()}_{secrets.token_hex(3)}"
ADMIN_DSN = os.environ.get("TEST_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
TEST_DB = f"cadenza_test_{RUN_ID}"
_base = ADMIN_DSN.rsplit("/", 1)[0]

# Settings are read once: everything is decided here, before any Cadenza module is imported.
os.environ.update(
    {
        "DATABASE_URL": f"{_base}/{TEST_DB}",
        "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "REDIS_PREFIX": f"t{RUN_ID}",
        "MEDIA_ROOT": tempfile.mkdtemp(prefix="cadenza-media-"),
        "SECRET_KEY": "test-secret-" + RUN_ID,
        "DEV_MAILBOX": "true",
        "DEBUG": "false",
        "LOG_LEVEL": os.environ.get("TEST_LOG_LEVEL", "WARNING"),
        "LOG_JSON": "false",
        "WORKER_POLL_DELAY": "0.01",
        "BASE_URL": "http://testserver.local",
        "API_REQUESTS_PER_MINUTE": "100000",
        "API_REQUESTS_PER_MINUTE_PER_IP": "100000",
        "SIGNUPS_PER_HOUR_PER_IP": "100000",
    }
)
os.environ.setdefault("PICCOLO_CONF", "backend.piccolo_conf")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg  # noqa: E402
import pytest  # noqa: E402


async def _create_database() -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{TEST_DB}"')
    finally:
        await conn.close()


async def _drop_database() -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')
    finally:
        await conn.close()


async def _migrate() -> None:
    import contextlib
    import io

    from cli.database import migrate

    with contextlib.redirect_stdout(io.StringIO()):
        await migrate()


asyncio.run(_create_database())
asyncio.run(_migrate())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    asyncio.run(_drop_database())


from tests.fixtures import *  # noqa: E402,F403 - the shared fixtures
