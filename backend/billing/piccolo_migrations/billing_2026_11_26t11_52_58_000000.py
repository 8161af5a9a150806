"""Composite and partial uniqueness (SQLite cannot add constraints to an existing table)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.core.migrations import add_unique_index

ID = "2026-11-26T11:52:58:000000"
VERSION = "1.38.0"
DESCRIPTION = "one customer per user and per organization; one usage counter per subject, metric and period"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="billing", description=DESCRIPTION)
    # NULLs are distinct in both engines, so organization customers (user_id NULL) don't collide.
    add_unique_index(manager, "billing_customer", ["user_id"])
    add_unique_index(manager, "billing_customer", ["organization_id"])
    add_unique_index(manager, "billing_usage", ["subject", "metric", "period"])
    return manager
