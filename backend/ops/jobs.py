"""``ops.probe``: a job that exercises the whole pipeline (row → arq → worker → progress → result).

``cadenza check-workers`` enqueues one per queue and waits, so an operator can see that every queue
is served. It records each completion in Redis, which is how the tests prove a job interrupted by a
killed worker is finished exactly once after the restart.
"""

from __future__ import annotations

import asyncio
from typing import Any

from backend.core import clock
from backend.core.jobs import JobContext, job
from backend.core.redis import key, redis_client


async def _probe(ctx: JobContext, seconds: float = 0.0, steps: int = 10) -> dict[str, Any]:
    steps = max(1, min(int(steps), 100))
    for step in range(steps):
        await asyncio.sleep(max(0.0, min(float(seconds), 60.0)) / steps)
        await ctx.progress((step + 1) / steps, f"{step + 1}/{steps}")
    completions = await redis_client().incr(key("ops", "probe-completions", ctx.id))
    await redis_client().expire(key("ops", "probe-completions", ctx.id), 24 * 3600)
    return {"finished_at": clock.now().isoformat(), "completions": completions}


@job(queue="default", timeout=30, retries=3)
async def probe(ctx: JobContext, seconds: float = 0.0, steps: int = 10) -> dict[str, Any]:
    return await _probe(ctx, seconds, steps)


@job(queue="audio", timeout=30, retries=3)
async def probe_audio(ctx: JobContext, seconds: float = 0.0, steps: int = 10) -> dict[str, Any]:
    return await _probe(ctx, seconds, steps)


@job(queue="moderation", timeout=30, retries=3)
async def probe_moderation(ctx: JobContext, seconds: float = 0.0, steps: int = 10) -> dict[str, Any]:
    return await _probe(ctx, seconds, steps)


@job(queue="money", timeout=30, retries=3)
async def probe_money(ctx: JobContext, seconds: float = 0.0, steps: int = 10) -> dict[str, Any]:
    return await _probe(ctx, seconds, steps)


PROBES = {
    "default": "ops.probe",
    "audio": "ops.probe_audio",
    "moderation": "ops.probe_moderation",
    "money": "ops.probe_money",
}
