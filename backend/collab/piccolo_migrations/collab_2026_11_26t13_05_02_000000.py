"""Composite unique indexes (SQLite cannot add constraints to an existing table)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.core.migrations import add_index, add_unique_index

ID = "2026-11-26T13:05:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "one membership per person and project; one submission per client batch"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="collab", description=DESCRIPTION)
    add_unique_index(manager, "collab_member", ["project_id", "user_id"])
    add_unique_index(manager, "collab_submission", ["project_id", "author_id", "client_batch_id"])
    add_index(manager, "collab_comment", ["project_id", "id DESC"], name="collab_comment_project_recent_idx")
    return manager
