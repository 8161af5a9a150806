"""The database engine, chosen from ``DATABASE_URL``: PostgreSQL in production, SQLite embedded."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from backend.core.settings import DatabaseSettings, get_settings


def make_engine(settings: DatabaseSettings | None = None) -> Engine:
    settings = settings or get_settings().database
    if settings.is_sqlite:
        path = Path(settings.sqlite_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # WAL plus a busy timeout lets readers and one writer share the file.
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
        return SQLiteEngine(path=str(path), timeout=30)
    return _Postgres(config={"dsn": settings.url}, extensions=())


class _ReleasingTransaction(PostgresTransaction):
    """Piccolo's transaction, except that its connection always goes back to the pool.

    Piccolo releases the connection only after a commit or rollback that succeeded: a commit refused
    by the server (a deferred constraint, a serialization failure) or a task cancelled while it
    commits would keep the connection out of the pool for good, and enough of those starve it.
    """

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            self.transaction = self.connection.transaction()
            await self.begin()
        except BaseException:
            await self._give_back()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._give_back()
        return exception is None

    async def _give_back(self) -> None:
        if self.engine.pool:
            # Shielded: a second cancellation must not strand the connection half-released
            # (asyncpg rolls back whatever is still open, or closes the connection).
            await asyncio.shield(self.engine.pool.release(self.connection))
        else:
            await self.connection.close()


class _Postgres(PostgresEngine):
    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _ReleasingTransaction(engine=self, allow_nested=allow_nested)


def engine() -> Engine:
    """The engine Piccolo's tables are bound to (from ``backend.piccolo_conf``)."""
    from piccolo.engine.finder import engine_finder

    found = engine_finder()
    if found is None:  # pragma: no cover - misconfiguration
        raise RuntimeError("no Piccolo engine configured")
    return found


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


class _NoResetConnection(asyncpg.Connection):  # type: ignore[misc]
    """asyncpg resets a connection each time it returns to the pool (UNLISTEN, RESET ALL, …): a
    second round trip per query. Cadenza keeps no session state on pooled connections (no LISTEN,
    SET or advisory locks), so the reset is skipped; transactions are still ended by asyncpg."""

    def get_reset_query(self) -> str:
        return ""


async def start_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is None:
        settings = get_settings().database
        await db.start_connection_pool(
            min_size=settings.pool_min, max_size=settings.pool_max, connection_class=_NoResetConnection
        )


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()


def transaction() -> Any:
    """A transaction that joins the caller's, if there is one."""
    return engine().transaction(allow_nested=True)


async def fetch_one(sql: str, *args: Any) -> dict[str, Any] | None:
    """One row from hand-written SQL with ``$1``-style parameters, for hot paths where building
    the query with Piccolo costs more than running it (measured: ~10× on the API-key lookup)."""
    rows = await fetch_all(sql, *args)
    return rows[0] if rows else None


async def fetch_all(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows from hand-written SQL with ``$1``-style parameters; inside the caller's transaction, if
    any. Each ``$n`` must appear once and in order (they become Piccolo's positional ``{}``)."""
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is not None and db.current_transaction.get() is None:
        return [dict(row) for row in await db.pool.fetch(sql, *args)]
    return [dict(row) for row in await db.run_querystring(QueryString(re.sub(r"\$\d+", "{}", sql), *args))]


async def ping() -> bool:
    rows = await engine().run_ddl("SELECT 1 AS ok")
    return bool(rows)


def is_unique_violation(exc: BaseException) -> bool:
    """True for a unique-constraint failure on either engine."""
    name = type(exc).__name__
    if name in ("UniqueViolationError",):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc).upper()
