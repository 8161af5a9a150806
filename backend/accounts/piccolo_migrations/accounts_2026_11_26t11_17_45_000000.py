"""Composite unique indexes (SQLite cannot add constraints to an existing table)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.core.migrations import add_unique_index

ID = "2026-11-26T11:17:45:000000"
VERSION = "1.38.0"
DESCRIPTION = "membership (organization, user) is unique"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    add_unique_index(manager, "membership", ["organization", "user"])
    return manager
