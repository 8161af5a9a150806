"""Background jobs: a ``job`` row is the truth, arq on Redis only delivers the wake-up call.

A domain declares a job with ``@job(queue=..., timeout=..., retries=...)``. A service creates the
row inside its own transaction with ``create_job`` and, after commit, calls ``dispatch``. The worker
runs ``run_job``: it checks the row first (so a job delivered twice runs once), reports progress as
events, and writes the result. ``sweep`` re-enqueues jobs whose Redis entry was lost.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import pkgutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from arq import ArqRedis, Retry, create_pool
from arq.connections import RedisSettings as ArqRedisSettings
from arq.constants import job_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms

from backend.core import clock, db, events
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.core.redis import key, redis_client
from backend.core.settings import get_settings
from backend.core.tables import Job

log = logging.getLogger(__name__)

QUEUES: dict[str, int] = {
    # queue: default timeout (seconds) of its jobs. A job whose worker was killed is picked up again
    # after the largest timeout among that worker's jobs plus 10 s, so queues keep timeouts short.
    "default": 30,
    "audio": 1800,
    "moderation": 600,
    "money": 30,
}
TERMINAL = frozenset({"done", "failed", "cancelled"})


class JobCancelled(Exception):
    """Raised inside a job when its owner asked to cancel it."""


@dataclass(frozen=True, slots=True)
class JobSpec:
    name: str
    fn: Callable[..., Awaitable[Any]]
    queue: str
    timeout: int
    retries: int


REGISTRY: dict[str, JobSpec] = {}
# Per queue, coroutines a worker runs once at start-up (e.g. preloading heavy libraries), so the
# first job doesn't pay for them.
WARM_UPS: dict[str, list[Callable[[], Awaitable[None]]]] = {}


def warm_up_on(queue: str) -> Callable[[Callable[[], Awaitable[None]]], Callable[[], Awaitable[None]]]:
    def register(fn: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        WARM_UPS.setdefault(queue, []).append(fn)
        return fn

    return register


def job(*, queue: str = "default", timeout: int | None = None, retries: int = 3) -> Callable[..., Any]:
    """Declare a job function ``async def fn(ctx: JobContext, **args) -> dict | None``."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")

    def register(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        name = f"{fn.__module__.split('.')[1]}.{fn.__name__}"
        REGISTRY[name] = JobSpec(name, fn, queue, timeout or QUEUES[queue], retries)
        fn.job_name = name  # type: ignore[attr-defined]
        return fn

    return register


def discover_jobs() -> dict[str, JobSpec]:
    """Import every ``backend.<domain>.jobs`` module so its jobs register."""
    root = Path(__file__).resolve().parents[1]
    for module in pkgutil.iter_modules([str(root)]):
        if module.ispkg and (root / module.name / "jobs.py").exists():
            importlib.import_module(f"backend.{module.name}.jobs")
    return REGISTRY


def queue_name(queue: str) -> str:
    return key("queue", queue)


def channel(job_public_id: str) -> str:
    return f"job:{job_public_id}"


_pool: ArqRedis | None = None
_pool_lock: asyncio.Lock | None = None


async def arq_pool() -> ArqRedis:
    global _pool, _pool_lock
    if _pool is None:
        # Concurrent first callers (a burst right after start-up) would each open a pool and all
        # but one would leak: one creates it, the others wait for it.
        _pool_lock = _pool_lock or asyncio.Lock()
        async with _pool_lock:
            if _pool is None:
                _pool = await create_pool(ArqRedisSettings.from_dsn(get_settings().redis.url))
    return _pool


async def close_arq_pool() -> None:
    global _pool, _pool_lock
    if _pool is not None:
        await _pool.aclose()
        _pool = None
    _pool_lock = None  # an asyncio.Lock belongs to one event loop


def new_job_row(
    kind: str, args: dict[str, Any] | None = None, *, owner_id: int | None = None, subject: str = ""
) -> dict[str, Any]:
    """The row ``create_job`` would insert, not yet stored (for ``create_jobs``)."""
    spec = REGISTRY.get(kind) or discover_jobs().get(kind)
    if spec is None:
        raise ValueError(f"unknown job kind {kind!r}")
    now = clock.now()
    return {
        "public_id": new_id("job"),
        "kind": kind,
        "queue": spec.queue,
        "status": "queued",
        "args": args or {},
        "owner_id": owner_id,
        "subject": subject,
        "max_attempts": spec.retries,
        "created_at": now,
        "updated_at": now,
    }


async def create_job(
    kind: str, args: dict[str, Any] | None = None, *, owner_id: int | None = None, subject: str = ""
) -> dict[str, Any]:
    """Insert the job row (inside the caller's transaction, if any). Call ``dispatch`` after commit."""
    row = new_job_row(kind, args, owner_id=owner_id, subject=subject)
    await Job.insert(Job(**row))
    return row


# A column per array, so the statement is the same whatever the number of rows (PostgreSQL prepares
# it once) and no Piccolo object is built per row (~0.3 ms of CPU each, more than the insert).
_JOB_COLUMNS = {
    "public_id": "varchar",
    "kind": "varchar",
    "queue": "varchar",
    "status": "varchar",
    "args": "jsonb",
    "owner_id": "bigint",
    "subject": "varchar",
    "max_attempts": "integer",
    "created_at": "timestamptz",
    "updated_at": "timestamptz",
}
_INSERT_JOBS = "INSERT INTO job ({}) SELECT * FROM unnest({})".format(  # noqa: S608 - our own names
    ", ".join(_JOB_COLUMNS), ", ".join(f"${n}::{kind}[]" for n, kind in enumerate(_JOB_COLUMNS.values(), 1))
)


async def create_jobs(rows: list[dict[str, Any]]) -> None:
    """Insert many ``new_job_row`` rows in one statement. Call ``dispatch_many`` after commit."""
    if not rows:
        return
    if not db.is_postgres():
        await Job.insert(*(Job(**row) for row in rows))
        return
    await db.fetch_all(
        _INSERT_JOBS,
        *([json.dumps(row[c]) if c == "args" else row[c] for row in rows] for c in _JOB_COLUMNS),
    )


async def dispatch(job_row: dict[str, Any], *, defer_seconds: float | None = None) -> None:
    """Hand the job to arq; safe to call twice (arq refuses a duplicate job id)."""
    pool = await arq_pool()
    await pool.enqueue_job(
        job_row["kind"],
        job_row["public_id"],
        _job_id=job_row["public_id"],
        _queue_name=queue_name(job_row["queue"]),
        _defer_by=timedelta(seconds=defer_seconds) if defer_seconds else None,
    )


async def dispatch_many(job_rows: list[dict[str, Any]]) -> None:
    """Hand many just-created jobs to arq in one round trip.

    ``dispatch`` costs three round trips a job (arq's WATCH, EXISTS, MULTI/EXEC guard against a
    duplicate id). Rows fresh from ``create_jobs`` have new ids, so the same two writes arq makes
    are pipelined instead; ``nx`` still leaves an already-enqueued job alone.
    """
    if not job_rows:
        return
    pool = await arq_pool()
    now = timestamp_ms()
    async with pool.pipeline(transaction=False) as pipe:
        for row in job_rows:
            data = serialize_job(
                row["kind"], (row["public_id"],), {}, None, now, serializer=pool.job_serializer
            )
            pipe.set(job_key_prefix + row["public_id"], data, px=pool.expires_extra_ms, nx=True)
            pipe.zadd(queue_name(row["queue"]), {row["public_id"]: now})
        await pipe.execute()


async def enqueue(
    kind: str, args: dict[str, Any] | None = None, *, owner_id: int | None = None, subject: str = ""
) -> dict[str, Any]:
    """Create and dispatch in one step, for callers with no transaction of their own."""
    row = await create_job(kind, args, owner_id=owner_id, subject=subject)
    await dispatch(row)
    return row


async def get_job(public_id: str) -> dict[str, Any] | None:
    # JSON columns come back as text unless asked for as data.
    return await Job.select().where(Job.public_id == public_id).output(load_json=True).first()


def _event(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["public_id"],
        "kind": row["kind"],
        "status": row["status"],
        "progress": float(row["progress"] or 0),
        "message": row["message"] or "",
        "error": row.get("error") or "",
        "result": row.get("result"),
    }


async def _update(public_id: str, **fields: Any) -> dict[str, Any] | None:
    values: dict[Any, Any] = {**fields, "updated_at": clock.now()}
    await Job.update(values).where(Job.public_id == public_id)
    row = await get_job(public_id)
    if row is not None:
        await events.publish(channel(public_id), _event(row))
    return row


async def request_cancel(public_id: str) -> dict[str, Any] | None:
    row = await get_job(public_id)
    if row is None or row["status"] in TERMINAL:
        return row
    await redis_client().set(key("job-cancel", public_id), b"1", ex=24 * 3600)
    if row["status"] == "queued":
        return await _update(public_id, status="cancelled", cancel_requested=True, finished_at=clock.now())
    return await _update(public_id, cancel_requested=True)


class JobContext:
    """What a running job sees: its id and arguments, and ways to report progress."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.id: str = row["public_id"]
        self.owner_id: int | None = row["owner_id"]
        self._last_progress = -1.0
        self._last_time = 0.0

    async def progress(self, fraction: float, message: str = "") -> None:
        """Report progress in [0, 1]; stored and published at most every 2% or 0.25 s."""
        fraction = max(0.0, min(1.0, fraction))
        now = time.monotonic()
        if fraction < 1.0 and fraction - self._last_progress < 0.02 and now - self._last_time < 0.25:
            return
        self._last_progress, self._last_time = fraction, now
        await _update(self.id, progress=fraction, message=message[:200])
        await self.raise_if_cancelled()

    async def cancelled(self) -> bool:
        return bool(await redis_client().exists(key("job-cancel", self.id)))

    async def raise_if_cancelled(self) -> None:
        if await self.cancelled():
            raise JobCancelled(self.id)


def _retry_delay(attempt: int) -> float:
    return min(60.0, 0.5 * (2 ** (attempt - 1)))


async def run_job(spec: JobSpec, public_id: str) -> str:
    """Run one delivery of a job; idempotent against duplicate deliveries."""
    row = await get_job(public_id)
    if row is None:
        log.warning("job %s has no row; dropping", public_id)
        return "missing"
    if row["status"] in TERMINAL:
        return row["status"]
    attempts = int(row["attempts"]) + 1
    row = await _update(public_id, status="running", attempts=attempts, started_at=clock.now(), error="")
    assert row is not None
    ctx = JobContext(row)
    try:
        await ctx.raise_if_cancelled()
        result = await spec.fn(ctx, **(row["args"] or {}))
    except JobCancelled:
        await _update(public_id, status="cancelled", finished_at=clock.now(), message="")
        return "cancelled"
    except DomainError as exc:
        # A refusal is final: retrying will not change the answer.
        await _update(public_id, status="failed", error=exc.key, finished_at=clock.now())
        return "failed"
    except asyncio.CancelledError:
        # arq timed the job out, or the worker is shutting down: leave it for another delivery.
        await asyncio.shield(_update(public_id, status="queued", message=""))
        raise
    except Exception as exc:
        log.exception("job %s (%s) attempt %s failed", public_id, spec.name, attempts)
        if attempts >= int(row["max_attempts"]):
            await _update(
                public_id,
                status="failed",
                error=f"{type(exc).__name__}: {exc}"[:2000],
                finished_at=clock.now(),
            )
            return "failed"
        await _update(public_id, status="queued", error=f"{type(exc).__name__}: {exc}"[:2000])
        raise Retry(defer=_retry_delay(attempts)) from exc
    await _update(
        public_id,
        status="done",
        progress=1.0,
        result=result if result is not None else {},
        finished_at=clock.now(),
    )
    return "done"


async def sweep(older_than_seconds: float = 10.0) -> list[str]:
    """Re-enqueue queued or running jobs that arq no longer knows (e.g. Redis was flushed)."""
    pool = await arq_pool()
    cutoff = clock.now() - timedelta(seconds=older_than_seconds)
    rows = await Job.select(Job.public_id, Job.kind, Job.queue, Job.status).where(
        Job.status.is_in(["queued", "running"]), Job.updated_at < cutoff
    )
    requeued = []
    for row in rows:
        if await pool.exists(f"arq:job:{row['public_id']}", f"arq:in-progress:{row['public_id']}"):
            continue
        if await pool.exists(f"arq:result:{row['public_id']}"):
            continue
        await dispatch(row)
        requeued.append(row["public_id"])
    if requeued:
        log.info("job sweep re-enqueued %d jobs", len(requeued))
    return requeued
