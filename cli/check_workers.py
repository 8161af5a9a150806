"""``cadenza check-workers``: prove every queue is served, end to end."""

from __future__ import annotations

import asyncio
import time

from backend.core import db, jobs
from backend.core.redis import close_redis
from backend.ops.jobs import PROBES


async def check_workers(within: float = 30.0) -> int:
    await db.start_pool()
    failures = 0
    try:
        rows = {queue: await jobs.enqueue(kind, {"seconds": 0, "steps": 1}) for queue, kind in PROBES.items()}
        deadline = time.monotonic() + within
        for queue, row in rows.items():
            while True:
                current = await jobs.get_job(row["public_id"])
                if current and current["status"] in jobs.TERMINAL:
                    break
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            status = current["status"] if current else "missing"
            failures += status != "done"
            print(f"{queue:<11} {status}")
    finally:
        await jobs.close_arq_pool()
        await close_redis()
        await db.close_pool()
    return 1 if failures else 0
