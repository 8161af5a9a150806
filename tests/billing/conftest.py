"""Billing tests talk to Stripe the real way: the official SDK over HTTP to the bundled Stripe
sandbox, served by uvicorn on a local port; the sandbox signs and POSTs webhooks to Cadenza, itself
served by uvicorn on another port. Both run in the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
import uvicorn

from stripe_sandbox import SandboxConfig, create_app
from stripe_sandbox.app import Sandbox
from tests.fixtures import settings_override

WEBHOOK_SECRET = "whsec_test_cadenza_billing"
API_KEY = "sk_test_cadenza_tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def serve(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False
        )
    )
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return server, task


@dataclass
class SandboxHandle:
    url: str
    app: Sandbox
    http: httpx.AsyncClient

    async def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await self.http.post(f"{self.url}/_sandbox/{path}", json=body or {})
        assert response.status_code == 200, response.text
        return response.json()

    async def events(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.http.get(f"{self.url}/_sandbox/events", params=params)
        return response.json()["data"]

    async def hold(self) -> None:
        await self.control("webhooks", {"mode": "hold"})

    async def deliver(self, ids: list[str], *, concurrent: bool = False) -> list[int]:
        return (await self.control("events/deliver", {"ids": ids, "concurrent": concurrent}))["statuses"]

    async def idle(self) -> None:
        await self.control("idle", {"timeout": 10})


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def cadenza_url(app: Any) -> AsyncIterator[str]:
    """The Cadenza app served over real HTTP, for the sandbox's webhooks."""
    port = free_port()
    server, task = await serve(app, port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(task, 5)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sandbox_server(cadenza_url: str) -> AsyncIterator[SandboxHandle]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(
        SandboxConfig(
            public_url=url,
            webhook_url=f"{cadenza_url}/webhooks/stripe",
            webhook_secret=WEBHOOK_SECRET,
            auto_renew=False,
        )
    )
    server, task = await serve(app, port)
    async with httpx.AsyncClient(timeout=30) as http:
        yield SandboxHandle(url, app, http)
    await app.close()
    server.should_exit = True
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(task, 5)


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox(sandbox_server: SandboxHandle) -> AsyncIterator[SandboxHandle]:
    """A fresh sandbox for each test, with Cadenza's settings pointed at it."""
    await sandbox_server.control("reset")
    await sandbox_server.control(
        "webhooks", {"mode": "auto", "duplicates": 0, "max_delay_ms": 0, "reorder": False, "max_attempts": 8}
    )
    with settings_override(
        stripe__secret_key=API_KEY, stripe__api_base=sandbox_server.url, stripe__webhook_secret=WEBHOOK_SECRET
    ):
        yield sandbox_server
        await sandbox_server.idle()
