"""Migrations, run through Piccolo's own command."""

from __future__ import annotations

from piccolo.apps.migrations.commands.forwards import run_forwards


async def migrate() -> None:
    response = await run_forwards(app_name="all")
    if not response.success:
        raise SystemExit(f"migrations failed: {response.message}")
