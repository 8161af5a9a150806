"""Helpers for hand-written migration steps that must run on PostgreSQL and SQLite alike.

SQLite has no ``ALTER TABLE … ADD CONSTRAINT``, so composite uniqueness is a unique index.
"""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.core.db import engine


def add_unique_index(
    manager: MigrationManager, table: str, columns: list[str], name: str | None = None
) -> None:
    index = name or f"{table}_{'_'.join(columns)}_uniq"
    cols = ", ".join(f'"{c}"' for c in columns)

    async def create() -> None:
        await engine().run_ddl(f'CREATE UNIQUE INDEX IF NOT EXISTS "{index}" ON "{table}" ({cols})')

    async def drop() -> None:
        await engine().run_ddl(f'DROP INDEX IF EXISTS "{index}"')

    manager.add_raw(create)
    manager.add_raw_backwards(drop)


def add_index(manager: MigrationManager, table: str, columns: list[str], name: str | None = None) -> None:
    index = name or f"{table}_{'_'.join(columns)}_idx"
    cols = ", ".join(f'"{c}"' if not c.endswith((" DESC", " ASC")) else c for c in columns)

    async def create() -> None:
        await engine().run_ddl(f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ({cols})')

    async def drop() -> None:
        await engine().run_ddl(f'DROP INDEX IF EXISTS "{index}"')

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
