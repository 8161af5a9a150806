"""``WorkerSettings`` per queue: ``arq workers.settings.AudioWorker`` or ``cadenza worker --queue audio``."""

from __future__ import annotations

import sys
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Function, func

from backend.core import db, i18n, jobs
from backend.core.jobs import JobSpec
from backend.core.logs import configure_logging
from backend.core.redis import close_redis
from backend.core.settings import get_settings

# Concurrent jobs per worker process: audio work is CPU-bound, money work must stay snappy.
MAX_JOBS = {"default": 20, "audio": 2, "moderation": 4, "money": 20}


def _runner(spec: JobSpec) -> Function:
    async def run(ctx: dict[str, Any], job_id: str) -> str:
        return await jobs.run_job(spec, job_id)

    run.__qualname__ = run.__name__ = spec.name.replace(".", "_")
    # arq's own try count sits above ours: the job row decides when to give up.
    return func(run, name=spec.name, timeout=spec.timeout, max_tries=spec.retries + 2)


def functions_for(queue: str) -> list[Function]:
    return [_runner(spec) for spec in jobs.discover_jobs().values() if spec.queue == queue]


async def _sweep(ctx: dict[str, Any]) -> int:
    return len(await jobs.sweep())


def startup_for(queue: str) -> Any:
    async def startup(ctx: dict[str, Any]) -> None:
        settings = get_settings()
        configure_logging(settings.log_level, settings.log_json)
        i18n.load_catalogues()
        await db.start_pool()
        jobs.discover_jobs()
        for warm_up in jobs.WARM_UPS.get(queue, []):
            await warm_up()

    return startup


async def shutdown(ctx: dict[str, Any]) -> None:
    await jobs.close_arq_pool()
    await close_redis()
    await db.close_pool()


def worker_options(queue: str) -> dict[str, Any]:
    """Everything an arq ``Worker`` needs for ``queue`` (used by settings classes and embedded runs)."""
    settings = get_settings()
    interval = max(5, settings.workers.sweep_interval_seconds)
    options: dict[str, Any] = {
        "functions": functions_for(queue),
        "queue_name": jobs.queue_name(queue),
        "redis_settings": RedisSettings.from_dsn(settings.redis.url),
        "poll_delay": settings.workers.poll_delay,
        "job_timeout": jobs.QUEUES[queue],
        "max_jobs": MAX_JOBS[queue],
        "keep_result": 3600,
        "health_check_key": f"{jobs.queue_name(queue)}:health",
    }
    if queue == "default":
        options["cron_jobs"] = [
            cron(
                _sweep,
                name="jobs.sweep",
                second=set(range(0, 60, interval)) if interval < 60 else {0},
                run_at_startup=True,
                timeout=20,
            ),
            *domain_crons(),
        ]
    return options


def domain_crons() -> list[Any]:
    """Periodic tasks a domain declares as ``CRON_JOBS`` in its ``jobs.py``: a list of arq ``cron``
    keyword arguments (``coroutine``, ``name``, ``hour``/``minute``/``second``, ``timeout``)."""
    jobs.discover_jobs()
    found = []
    for name in sorted(sys.modules):
        if name.startswith("backend.") and name.endswith(".jobs"):
            found.extend(cron(**spec) for spec in getattr(sys.modules[name], "CRON_JOBS", ()))
    return found


def settings_class(queue: str) -> type:
    attrs = {**worker_options(queue), "on_startup": startup_for(queue), "on_shutdown": shutdown}
    return type(f"{queue.title()}Worker", (), attrs)


DefaultWorker = settings_class("default")
AudioWorker = settings_class("audio")
ModerationWorker = settings_class("moderation")
MoneyWorker = settings_class("money")

BY_QUEUE = {
    "default": DefaultWorker,
    "audio": AudioWorker,
    "moderation": ModerationWorker,
    "money": MoneyWorker,
}
