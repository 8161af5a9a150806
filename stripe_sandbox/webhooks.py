"""Signed webhook delivery, as Stripe does it — and as unreliably as Stripe is allowed to be.

Each event is POSTed as JSON with ``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret,
"<t>.<payload>")>``. Delivery can duplicate events, delay them randomly and shuffle the events of
one request; failures (non-2xx or no answer) are retried with backoff. In ``hold`` mode nothing
is sent until ``deliver`` is called, so a test can choose the order itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from stripe_sandbox.config import SandboxConfig
from stripe_sandbox.store import Store, public

log = logging.getLogger("stripe_sandbox.webhooks")


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class Attempt:
    at: float
    status: int  # 0 when the endpoint could not be reached
    duration_ms: float


@dataclass
class DeliveryLog:
    attempts: dict[str, list[Attempt]] = field(default_factory=dict)

    def record(self, event_id: str, attempt: Attempt) -> None:
        self.attempts.setdefault(event_id, []).append(attempt)

    def delivered(self, event_id: str) -> bool:
        return any(200 <= a.status < 300 for a in self.attempts.get(event_id, []))


class Deliverer:
    def __init__(self, store: Store, config: SandboxConfig) -> None:
        self.store = store
        self.config = config
        self.log = DeliveryLog()
        self.held: list[str] = []
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def payload(self, event_id: str) -> bytes:
        event = self.store.get(event_id, "event")
        if event is None:
            raise KeyError(event_id)
        return json.dumps(public(event), separators=(",", ":")).encode()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # Idle connections are dropped well before the receiver's own keep-alive timeout
            # (uvicorn's is 5 s, as was httpx's default here): a request sent on a connection the
            # server is closing at that moment is reset, and the delivery fails for nothing.
            self._client = httpx.AsyncClient(timeout=10, limits=httpx.Limits(keepalive_expiry=2.0))
        return self._client

    def submit(self, events: list[dict[str, Any]]) -> None:
        """Hand over the events of one request (called on the event loop)."""
        ids = [e["id"] for e in events]
        if not ids or not self.config.webhook_url:
            return
        if self.config.delivery.mode == "hold":
            self.held.extend(ids)
            return
        settings = self.config.delivery
        copies = [eid for eid in ids for _ in range(1 + max(0, settings.duplicates))]
        if settings.reorder:
            random.shuffle(copies)
        if settings.max_delay_ms <= 0 and not settings.reorder and settings.duplicates <= 0:
            # The orderly default: one task sends the request's events in the order they happened.
            self._spawn(self._send_in_order(ids))
            return
        for eid in copies:
            delay = random.uniform(0, settings.max_delay_ms / 1000) if settings.max_delay_ms else 0.0
            self._spawn(self._send_with_retries(eid, delay))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_in_order(self, ids: list[str]) -> None:
        for eid in ids:
            await self._send_with_retries(eid, 0.0)

    async def _send_with_retries(self, event_id: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        backoff = 0.5
        for _ in range(max(1, self.config.delivery.max_attempts)):
            status = await self.send(event_id)
            if 200 <= status < 300:
                return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
        log.warning("giving up delivering %s", event_id)

    async def send(self, event_id: str, url: str | None = None, *, timestamp: int | None = None) -> int:
        """One signed POST of the event; returns the HTTP status (0 when unreachable)."""
        target = url or self.config.webhook_url
        body = self.payload(event_id)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign(body, self.config.webhook_secret, timestamp),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        started = time.perf_counter()
        try:
            response = await self._http().post(target, content=body, headers=headers)
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        self.log.record(event_id, Attempt(time.time(), status, (time.perf_counter() - started) * 1000))
        event = self.store.get(event_id, "event")
        if event is not None and 200 <= status < 300 and event.get("pending_webhooks"):
            event["pending_webhooks"] = 0
            self.store.put(event)
        return status

    async def deliver(self, ids: list[str], *, url: str | None = None, concurrent: bool = False) -> list[int]:
        """Send these events now, in this order (or all at once), and report each status."""
        for eid in ids:
            with contextlib.suppress(ValueError):
                self.held.remove(eid)
        if concurrent:
            return list(await asyncio.gather(*(self.send(eid, url) for eid in ids)))
        return [await self.send(eid, url) for eid in ids]

    async def idle(self, within: float = 10.0) -> None:
        """Wait until every scheduled delivery has finished (for tests)."""
        deadline = time.monotonic() + within
        while self._tasks and time.monotonic() < deadline:
            await asyncio.wait(set(self._tasks), timeout=max(0.0, deadline - time.monotonic()))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self._client is not None:
            await self._client.aclose()
            self._client = None
