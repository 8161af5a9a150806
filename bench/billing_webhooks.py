"""Stripe webhooks under a burst, and how soon a paid Checkout shows in the API.

1. ``POST /webhooks/stripe`` latency for a burst of 500 distinct, signed events (50 in flight): the
   endpoint verifies the signature, stores the event and its job in one transaction and enqueues it;
   a separate money worker process re-fetches each subscription from Stripe and mirrors it.
   Baseline: the raw asyncpg insert of the same event row, at the same concurrency.
2. From the moment ``checkout.session.completed`` is delivered to the moment ``entitlements`` in the
   API (over HTTP, as the paying user) shows the new plan — without the return page's shortcut.

Everything is real and separate: uvicorn (one process), one ``money`` worker process, the Stripe
sandbox process (webhooks held, delivered on cue), PostgreSQL and Redis of the machine.
Aim: p95 under 50 ms; entitlements within 1 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

REPO = Path(__file__).resolve().parents[1]
ADMIN_DSN = os.environ.get("BENCH_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
BURST = int(os.environ.get("BENCH_WEBHOOK_BURST", "500"))
IN_FLIGHT = 50
CHECKOUTS = int(os.environ.get("BENCH_CHECKOUTS", "10"))
PASSWORD = "a bench passphrase"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _row(label: str, values: list[float]) -> str:
    return (
        f"{label:<52} p50 {statistics.median(values):7.1f} ms   p95 {_pct(values, 95):7.1f} ms"
        f"   p99 {_pct(values, 99):7.1f} ms   max {max(values):7.1f} ms"
    )


class Stack:
    """Database, sandbox, web and money worker as processes of their own."""

    def __init__(self) -> None:
        run = secrets.token_hex(4)
        self.database = f"cadenza_bench_{run}"
        self.web_port, self.stripe_port = _port(), _port()
        self.url = f"http://127.0.0.1:{self.web_port}"
        self.stripe = f"http://127.0.0.1:{self.stripe_port}"
        self.secret = f"whsec_bench_{run}"
        self.dir = Path(tempfile.mkdtemp(prefix="cadenza-bench-billing-"))
        base = ADMIN_DSN.rsplit("/", 1)[0]
        self.dsn = f"{base}/{self.database}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "STRIPE_"))},
            "DATABASE_URL": self.dsn,
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "REDIS_PREFIX": f"b{run}",
            "MEDIA_ROOT": str(self.dir / "media"),
            "CADENZA_DATA_DIR": str(self.dir),
            "SECRET_KEY": f"bench-{run}",
            "BASE_URL": self.url,
            "LOG_LEVEL": "WARNING",
            "LOG_JSON": "false",
            "WORKER_POLL_DELAY": "0.01",
            "API_REQUESTS_PER_MINUTE": "1000000",
            "API_REQUESTS_PER_MINUTE_PER_IP": "1000000",
            "SIGNUPS_PER_HOUR_PER_IP": "1000000",
            "STRIPE_SECRET_KEY": "sk_test_bench",
            "STRIPE_API_BASE": self.stripe,
            "STRIPE_WEBHOOK_SECRET": self.secret,
            "PICCOLO_CONF": "backend.piccolo_conf",
            "PYTHONPATH": str(REPO),
            # PostgreSQL's 100 connections are shared with everyone's tests on this machine: the web
            # process gets 20 (the size STACK-NOTES found right for 50 concurrent requests), the
            # worker 8.
            "DATABASE_POOL_MAX": "20",
        }
        self.processes: list[subprocess.Popen[bytes]] = []

    def _start(self, name: str, command: list[str], **env: str) -> None:
        log = open(self.dir / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
        self.processes.append(
            subprocess.Popen(
                command,
                cwd=REPO,
                env={**self.env, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    async def up(self) -> None:
        admin = await asyncpg.connect(ADMIN_DSN)
        await admin.execute(f'CREATE DATABASE "{self.database}"')
        await admin.close()
        py = sys.executable
        self._start(
            "stripe",
            [
                py,
                "-m",
                "stripe_sandbox",
                "--port",
                str(self.stripe_port),
                "--hold",
                "--no-auto-renew",
                "--webhook-url",
                f"{self.url}/webhooks/stripe",
                "--webhook-secret",
                self.secret,
            ],
        )
        subprocess.run(
            [py, "-m", "cli.main", "migrate"], cwd=REPO, env=self.env, capture_output=True, check=True
        )
        self._start(
            "web",
            [
                py,
                "-m",
                "uvicorn",
                "web.app:create_app",
                "--factory",
                "--port",
                str(self.web_port),
                "--log-level",
                "warning",
            ],
        )
        self._start("money", [py, "-m", "cli.main", "worker", "--queue", "money"], DATABASE_POOL_MAX="8")
        async with httpx.AsyncClient() as probe:
            for target in (f"{self.stripe}/_sandbox/webhooks", f"{self.url}/readyz"):
                for _ in range(300):
                    try:
                        if (await probe.get(target, timeout=2)).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError(f"{target} did not start; logs in {self.dir}")

    async def down(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        admin = await asyncpg.connect(ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        await admin.close()


async def _gql(http: httpx.AsyncClient, query: str, variables: dict | None = None) -> dict:
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}})
    return response.json()


async def _paid_checkout(stack: Stack, email: str) -> tuple[httpx.AsyncClient, str]:
    """A signed-in user whose Checkout is paid at the sandbox; its events are held back."""
    user = httpx.AsyncClient(base_url=stack.url, timeout=30)
    signed = await _gql(
        user,
        "mutation($i: SignUpInput!) { signUp(input: $i) { errors { message } } }",
        {"i": {"email": email, "password": PASSWORD, "displayName": "Bench"}},
    )
    assert signed["data"]["signUp"]["errors"] == [], signed
    started = await _gql(
        user, 'mutation { startCheckout(input: {plan: "creator"}) { url errors { message } } }'
    )
    url = started["data"]["startCheckout"]["url"]
    async with httpx.AsyncClient(timeout=30) as browser:
        paid = await browser.post(url, data={"payment_method": "card", "outcome": "pay"})
    assert paid.status_code == 303, paid.text[:300]
    return user, url.rsplit("/", 1)[-1]


async def _held(stack: Stack, http: httpx.AsyncClient) -> list[dict]:
    return (await http.get(f"{stack.stripe}/_sandbox/events", params={"held": 1})).json()["data"]


async def checkout_to_entitlements(stack: Stack) -> list[float]:
    timings = []
    async with httpx.AsyncClient(timeout=30) as control:
        for n in range(CHECKOUTS):
            user, session = await _paid_checkout(stack, f"visible{n}@example.com")
            held = await _held(stack, control)
            completed = next(
                e["id"] for e in held if e["type"] == "checkout.session.completed" and e["object"] == session
            )
            started = time.perf_counter()
            delivered = await control.post(
                f"{stack.stripe}/_sandbox/events/deliver", json={"ids": [completed]}
            )
            assert delivered.json()["statuses"] == [200], delivered.text
            while True:
                body = await _gql(user, "{ entitlements { plan { code } } }")
                if body["data"]["entitlements"]["plan"]["code"] == "creator":
                    break
                if time.perf_counter() - started > 30:
                    raise RuntimeError("entitlements never showed the plan")
                await asyncio.sleep(0.005)
            timings.append((time.perf_counter() - started) * 1000)
            await user.aclose()
        # Deliver the rest too, so the burst below starts from a settled system.
        rest = [e["id"] for e in await _held(stack, control)]
        await control.post(f"{stack.stripe}/_sandbox/events/deliver", json={"ids": rest})
    return timings


def _signed(payload: bytes, secret: str) -> str:
    import hashlib
    import hmac

    stamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


async def _template(stack: Stack) -> dict:
    async with httpx.AsyncClient(timeout=30) as control:
        events = (
            await control.get(
                f"{stack.stripe}/_sandbox/events", params={"type": "customer.subscription.updated"}
            )
        ).json()["data"]
        return (
            await control.get(
                f"{stack.stripe}/v1/events/{events[0]['id']}",
                headers={"Authorization": "Bearer sk_test_bench"},
            )
        ).json()


def _bodies(template: dict, n: int, tag: str) -> list[bytes]:
    return [
        json.dumps(
            {**template, "id": f"evt_{tag}_{i:05d}_{secrets.token_hex(4)}"}, separators=(",", ":")
        ).encode()
        for i in range(n)
    ]


async def _send_all(stack: Stack, bodies: list[bytes], in_flight: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    gate = asyncio.Semaphore(in_flight)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(base_url=stack.url, timeout=60, limits=limits) as http:

        async def send(body: bytes, record: bool = True) -> None:
            async with gate:
                started = time.perf_counter()
                response = await http.post(
                    "/webhooks/stripe",
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        "Stripe-Signature": _signed(body, stack.secret),
                    },
                )
                if record:
                    latencies.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text

        # Warm the connections and caches with twenty events, then measure the fresh ones.
        await asyncio.gather(*(send(body, record=False) for body in bodies[:20]))
        started = time.perf_counter()
        await asyncio.gather(*(send(body) for body in bodies[20:]))
        return latencies, time.perf_counter() - started


async def _drained(stack: Stack) -> float:
    started = time.perf_counter()
    conn = await asyncpg.connect(stack.dsn)
    try:
        while await conn.fetchval("SELECT count(*) FROM billing_webhook_event WHERE status = 'received'"):
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    return time.perf_counter() - started


async def burst(
    stack: Stack, template: dict, *, worker_paused: bool, in_flight: int = IN_FLIGHT
) -> tuple[list[float], float, float]:
    """A burst of distinct subscription events; latencies, acknowledgement time, then drain time."""
    worker = stack.processes[-1]
    if worker_paused:
        os.killpg(worker.pid, signal.SIGSTOP)
    try:
        latencies, wall = await _send_all(
            stack, _bodies(template, BURST + 20, "paused" if worker_paused else "live"), IN_FLIGHT
        )
    finally:
        if worker_paused:
            os.killpg(worker.pid, signal.SIGCONT)
    return latencies, wall, wall + await _drained(stack)


async def baseline(stack: Stack) -> list[float]:
    """The floor: the same event row inserted with asyncpg, 50 at a time, no HTTP, no checks."""
    payload = json.dumps({"id": "evt_x", "type": "customer.subscription.updated", "data": {"object": {}}})
    pool = await asyncpg.create_pool(stack.dsn, min_size=10, max_size=10)
    latencies: list[float] = []
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def insert(i: int) -> None:
        async with gate:
            started = time.perf_counter()
            async with pool.acquire() as conn:
                await conn.execute(
                    "INSERT INTO billing_webhook_event (stripe_id, type, stripe_created, object_id, payload, status,"
                    " attempts, error, received_at) VALUES ($1, $2, $3, $4, $5, 'ignored', 0, '', now())"
                    " ON CONFLICT (stripe_id) DO NOTHING",
                    f"evt_base_{i}_{secrets.token_hex(4)}",
                    "customer.subscription.updated",
                    int(time.time()),
                    "sub_x",
                    payload,
                )
            latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(insert(i) for i in range(BURST)))
    await pool.close()
    return latencies


async def run() -> None:
    stack = Stack()
    await stack.up()
    try:
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
        visible = await checkout_to_entitlements(stack)
        template = await _template(stack)
        single, _ = await _send_all(stack, _bodies(template, 120, "single"), 1)
        await _drained(stack)
        paused, paused_wall, paused_drain = await burst(stack, template, worker_paused=True)
        live, live_wall, live_drain = await burst(stack, template, worker_paused=False)
        calm, _, _ = await burst(stack, template, worker_paused=False, in_flight=10)
        floor = await baseline(stack)
        print(_row("webhook endpoint, one at a time (service time)", single))
        print(_row(f"webhook endpoint, burst of {BURST}, {IN_FLIGHT} in flight, worker paused", paused))
        print(_row(f"webhook endpoint, burst of {BURST}, {IN_FLIGHT} in flight, worker running", live))
        print(_row(f"webhook endpoint, burst of {BURST}, 10 in flight, worker running", calm))
        print(_row(f"baseline: raw asyncpg insert of the event row, {IN_FLIGHT} in flight", floor))
        print(
            f"{'acknowledged (paused / running)':<52} {paused_wall:6.2f} s ({BURST / paused_wall:.0f}/s)"
            f" / {live_wall:6.2f} s ({BURST / live_wall:.0f}/s)"
        )
        print(
            f"{'all processed by the money worker (paused / running)':<52} {paused_drain:6.2f} s / {live_drain:6.2f} s"
        )
        print(_row(f"checkout.session.completed → entitlements in API (n={CHECKOUTS})", visible))
        print(
            f"machine load average at end: {os.getloadavg()[0]:.2f} (2 cores shared with other engineers' work)"
        )
    finally:
        await stack.down()


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
