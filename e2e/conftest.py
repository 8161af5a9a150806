"""Browser journeys: Debian's Chromium (never downloaded) against a live Cadenza.

The live server is the real thing: uvicorn serving ``web.app:create_app`` and one ``cadenza worker``
process per queue, on a fresh PostgreSQL database and a private Redis prefix, with media in a
temporary folder. Journeys use only the public surface (pages and ``/graphql``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
ADMIN_DSN = os.environ.get("TEST_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DEMO_PASSWORD = "cadenza-demo-2026"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.e2e)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    log_dir: Path = Path(".")

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(
                f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
            )
        return response.json()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-4000:]}" for p in sorted(self.log_dir.glob("*.log")))


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = open(log, "wb")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def start_stripe_sandbox(env: dict[str, str], cadenza_port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    """Billing's Stripe sandbox as a process of its own, as Stripe is; points ``env`` at it."""
    stripe_port = free_port()
    env.update(
        {
            "STRIPE_SECRET_KEY": "sk_test_e2e",
            "STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}",
            "STRIPE_WEBHOOK_SECRET": f"whsec_e2e_{secrets.token_hex(8)}",
        }
    )
    command = [sys.executable, "-m", "stripe_sandbox", "--port", str(stripe_port)]
    command += ["--webhook-url", f"http://127.0.0.1:{cadenza_port}/webhooks/stripe"]
    command += ["--webhook-secret", env["STRIPE_WEBHOOK_SECRET"]]
    command += ["--database", str(data_dir / "stripe.sqlite")]
    return _start(command, env, data_dir / "stripe-sandbox.log")


async def wait_until_up(url: str, within: float = 30) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient() as probe:
        while True:
            try:
                await probe.get(url, timeout=2)
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not start") from None
                await asyncio.sleep(0.1)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def live_server() -> AsyncIterator[LiveServer]:
    run_id = secrets.token_hex(4)
    database = f"cadenza_e2e_{run_id}"
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="cadenza-e2e-"))
    base = ADMIN_DSN.rsplit("/", 1)[0]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "MEDIA_"))},
        "DATABASE_URL": f"{base}/{database}",
        "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "REDIS_PREFIX": f"e{run_id}",
        "MEDIA_ROOT": str(data_dir / "media"),
        "CADENZA_DATA_DIR": str(data_dir),
        "SECRET_KEY": f"e2e-{run_id}",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "DEV_MAILBOX": "true",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "WORKER_POLL_DELAY": "0.01",
        "API_REQUESTS_PER_MINUTE": "100000",
        "API_REQUESTS_PER_MINUTE_PER_IP": "100000",
        "SIGNUPS_PER_HOUR_PER_IP": "100000",
        "PICCOLO_CONF": "backend.piccolo_conf",
        "PYTHONPATH": str(REPO),
    }
    await _admin(f'CREATE DATABASE "{database}"')
    # Before seeding: the billing seed subscribes the demo creator through the sandbox.
    stripe_sandbox = start_stripe_sandbox(env, port, data_dir)
    await wait_until_up(f"{env['STRIPE_API_BASE']}/_sandbox/webhooks")
    python = sys.executable
    for command in ("migrate", "seed-demo"):
        done = await asyncio.to_thread(
            subprocess.run, [python, "-m", "cli.main", command], cwd=REPO, env=env, capture_output=True
        )
        if done.returncode:
            raise RuntimeError(f"cadenza {command} failed:\n{done.stdout.decode()}{done.stderr.decode()}")
    server = LiveServer(url=f"http://127.0.0.1:{port}", env=env, log_dir=data_dir)
    server.processes.append(stripe_sandbox)
    server.processes.append(
        _start(
            [
                python,
                "-m",
                "uvicorn",
                "web.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env,
            data_dir / "web.log",
        )
    )
    from workers.settings import BY_QUEUE

    for queue, settings in BY_QUEUE.items():
        if settings.functions or getattr(settings, "cron_jobs", None):
            server.processes.append(
                _start(
                    [python, "-m", "cli.main", "worker", "--queue", queue],
                    env,
                    data_dir / f"worker-{queue}.log",
                )
            )
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as probe:
        while True:
            try:
                if (await probe.get(f"{server.url}/readyz", timeout=2)).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("live server did not start:\n" + server.logs())
            await asyncio.sleep(0.2)
    try:
        yield server
    finally:
        for process in server.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in server.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        await _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    """Playwright's async API: the tests share pytest-asyncio's session event loop."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def new_context(browser: Any, live_server: LiveServer) -> AsyncIterator[Any]:
    """Make as many isolated browser contexts (users) as a journey needs."""
    contexts: list[Any] = []

    async def make(locale: str = "en-US", **options: Any) -> Any:
        context = await browser.new_context(base_url=live_server.url, locale=locale, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(new_context: Any) -> Any:
    return await (await new_context()).new_page()


async def log_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    await page.goto("/login")
    await page.get_by_test_id("field-email").fill(email)
    await page.get_by_test_id("field-password").fill(password)
    await page.get_by_test_id("login-submit").click()
    await page.wait_for_selector("[data-testid=nav-logout]")


async def create_project(page: Any, title: str) -> str:
    """A new project from the projects page; the page lands in its studio. Returns its id."""
    await page.goto("/projects")
    await page.get_by_test_id("field-title").fill(title)
    await page.get_by_test_id("project-create").click()
    await page.wait_for_selector("[data-testid=studio]")
    return page.url.rstrip("/").rsplit("/", 1)[-1]
