"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio

from litestar import MediaType, Response, get
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from backend.core import db, events
from backend.core.redis import redis_client

SUBSCRIBERS = Gauge("cadenza_event_subscribers", "Live event subscribers in this process")


@get("/healthz", name="healthz", media_type=MediaType.JSON, cache=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", name="readyz", media_type=MediaType.JSON, cache=False)
async def readyz() -> Response[dict[str, str]]:
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(db.ping(), 2)
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        await asyncio.wait_for(redis_client().ping(), 2)
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return Response({"status": "ok" if ok else "unavailable", **checks}, status_code=200 if ok else 503)


@get("/metrics", name="metrics", cache=False)
async def metrics() -> Response[bytes]:
    SUBSCRIBERS.set(events.hub().subscriber_count())
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


route_handlers = [healthz, readyz, metrics]
