"""Composite unique indexes (SQLite cannot add constraints to an existing table)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.core.migrations import add_index, add_unique_index

ID = "2026-11-26T11:40:23:000000"
VERSION = "1.38.0"
DESCRIPTION = "operation log, render cache and project assets are unique per project"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audio", description=DESCRIPTION)
    # Two batches committed on the same base revision would collide here: the log can't fork.
    add_unique_index(manager, "audio_project_operation", ["project", "revision"])
    add_unique_index(manager, "audio_render", ["project", "cache_key"])
    add_unique_index(manager, "audio_project_asset", ["project", "asset"])
    add_index(manager, "audio_asset", ["owner_id", "id DESC"], name="audio_asset_owner_recent_idx")
    return manager
