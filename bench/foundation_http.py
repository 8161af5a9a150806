"""Requests per second and p95 latency for ``{ viewer { id } }`` over ``/graphql``, the home page,
and the baseline: the same JSON from a bare Litestar handler with a raw asyncpg query.

Each server runs in one uvicorn process pinned to core 0; wrk (50 connections) is pinned to core 1.
PostgreSQL and Redis are the machine's own. Needs `wrk` and `taskset`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

REPO = Path(__file__).resolve().parents[1]
ADMIN_DSN = os.environ.get("BENCH_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = 50

LUA_DONE = """
done = function(summary, latency, requests)
  io.write(string.format("P95_US=%d\\nP50_US=%d\\nP99_US=%d\\n", latency:percentile(95), latency:percentile(50), latency:percentile(99)))
end
"""


def _wrk(url: str, *, body: str | None = None, headers: dict[str, str] | None = None) -> dict[str, float]:
    script = LUA_DONE
    if body is not None:
        script = f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n' + script
    for name, value in (headers or {}).items():
        script = f'wrk.headers["{name}"] = "{value}"\n' + script
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    # Warm up, then measure.
    subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{CONNECTIONS}", "-d2s", "-s", handle.name, url],
        capture_output=True,
    )
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}s", "-s", handle.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50_ms": int(re.search(r"P50_US=(\d+)", out).group(1)) / 1000,
        "p95_ms": int(re.search(r"P95_US=(\d+)", out).group(1)) / 1000,
        "p99_ms": int(re.search(r"P99_US=(\d+)", out).group(1)) / 1000,
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def _serve(app: str, port: int, env: dict[str, str], factory: bool) -> subprocess.Popen[bytes]:
    cmd = [
        "taskset",
        "-c",
        "0",
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if factory:
        cmd.append("--factory")
    # Logs go to a file: a pipe nobody reads would fill up and stall the server.
    log = open(Path(tempfile.gettempdir()) / f"bench-{port}.log", "wb")  # noqa: SIM115
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=log)


def _wait(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    if not shutil.which("wrk") or not shutil.which("taskset"):
        print("wrk and taskset are needed (apt install wrk util-linux)")
        return
    database = f"cadenza_bench_{secrets.token_hex(3)}"
    asyncio.run(_admin(f'CREATE DATABASE "{database}"'))
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{database}"
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "REDIS_PREFIX": f"bench{secrets.token_hex(3)}",
        "MEDIA_ROOT": tempfile.mkdtemp(),
        "SECRET_KEY": "bench",
        "API_REQUESTS_PER_MINUTE": "100000000",
        "API_REQUESTS_PER_MINUTE_PER_IP": "100000000",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO"),
        "PICCOLO_CONF": "backend.piccolo_conf",
        "PYTHONPATH": str(REPO),
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run(
            [sys.executable, "-m", "cli.main", "migrate"], cwd=REPO, env=env, check=True, capture_output=True
        )
        secret = (
            subprocess.run(
                [sys.executable, "-c", _MAKE_KEY],
                cwd=REPO,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        body = json.dumps({"query": "{ viewer { id } }"})
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

        results = {}
        processes.append(_serve("bench.bare_viewer_app:app", 8901, env, factory=False))
        _wait("http://127.0.0.1:8901/graphql")
        check = httpx.post("http://127.0.0.1:8901/graphql", content=body, headers=headers).json()
        results["baseline: bare Litestar + asyncpg, viewer JSON"] = _wrk(
            "http://127.0.0.1:8901/graphql", body=body, headers=headers
        )
        processes.pop().terminate()

        processes.append(_serve("web.app:create_app", 8902, env, factory=True))
        _wait("http://127.0.0.1:8902/healthz")
        answer = httpx.post("http://127.0.0.1:8902/graphql", content=body, headers=headers).json()
        assert answer == check, (answer, check)
        results["Cadenza /graphql { viewer { id } } (API key)"] = _wrk(
            "http://127.0.0.1:8902/graphql", body=body, headers=headers
        )
        results["Cadenza home page (anonymous)"] = _wrk("http://127.0.0.1:8902/")
        processes.pop().terminate()

        print(f"{'':52} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
        for name, figures in results.items():
            print(
                f"{name:52} {figures['rps']:9.0f} {figures['p50_ms']:8.1f} {figures['p95_ms']:8.1f} {figures['p99_ms']:8.1f} {figures['non_2xx']:8d}"
            )
        base = results["baseline: bare Litestar + asyncpg, viewer JSON"]["rps"]
        ratio = results["Cadenza /graphql { viewer { id } } (API key)"]["rps"] / base
        print(
            f"GraphQL / baseline throughput: {ratio:.2f}x (aim ≥ 0.30x); "
            f"home p95 {results['Cadenza home page (anonymous)']['p95_ms']:.1f} ms at {CONNECTIONS} connections (aim < 50 ms)"
        )
        print(
            f"machine: {os.cpu_count()} cores; server pinned to core 0, wrk to core 1; {DURATION} s per run; "
            f"log level {env['LOG_LEVEL']}"
        )
    finally:
        for process in processes:
            process.terminate()
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


_MAKE_KEY = """
import asyncio
from backend.core import db, i18n
from backend.accounts import services as accounts
from backend.accounts.tables import User
from backend.core.actor import Actor
from backend.core import clock

async def main():
    i18n.load_catalogues()
    await db.start_pool()
    user = await accounts.sign_up(accounts.SignUp(email="bench@example.com", password="bench passphrase 1", display_name="Bench"))
    await User.update({User.email_confirmed_at: clock.now()}).where(User.id == user["id"])
    user = await accounts.get_user(user["id"])
    _, secret = await accounts.create_api_key(Actor.from_user_row(user), "bench", ["read"])
    # An Enterprise subscription (as billing mirrors it from Stripe), so the monthly API allowance
    # never runs out during the run: the allowance is still counted on every request.
    from backend.billing.tables import Customer, Subscription
    from backend.core.ids import new_id
    customer = await Customer.insert(
        Customer(public_id=new_id("cus"), user_id=user["id"], email=user["email"])
    ).returning(Customer.id)
    await Subscription.insert(
        Subscription(public_id=new_id("sub"), customer=customer[0]["id"], user_id=user["id"], stripe_id="sub_bench",
                     status="active", plan="enterprise", interval="month", currency="USD")
    )
    print(secret)

asyncio.run(main())
"""
