"""Shared fixtures: the app, a client, real workers, users and GraphQL helpers."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from backend.accounts import services as accounts
from backend.accounts.tables import User
from backend.core import db, events, i18n, jobs
from backend.core.actor import Actor
from backend.core.redis import close_redis, key, redis_client
from backend.core.settings import get_settings

PASSWORD = "correct horse battery staple"

_TABLES: list[str] | None = None


async def _table_names() -> list[str]:
    global _TABLES
    if _TABLES is None:
        rows = await db.engine().run_ddl(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration'"
        )
        _TABLES = [r["tablename"] for r in rows]
    return _TABLES


@pytest_asyncio.fixture(scope="session", loop_scope="session", autouse=True)
async def services_ready() -> AsyncIterator[None]:
    i18n.load_catalogues()
    jobs.discover_jobs()
    await db.start_pool()
    yield
    await events.close_hub()
    await jobs.close_arq_pool()
    await close_redis()
    # A connection never given back (a leak) fails the run here instead of hanging it.
    await asyncio.wait_for(db.close_pool(), 30)


@pytest_asyncio.fixture(loop_scope="session", autouse=True)
async def clean_slate(services_ready: None) -> AsyncIterator[None]:
    """Every test starts with empty tables and no Redis keys of this run."""
    # A test cancelled inside a transaction would leave Piccolo's "current transaction" set in the
    # context the tests share, and every later query would run inside it: start clean.
    db.engine().current_transaction.set(None)
    tables = await _table_names()
    if tables:
        names = ", ".join(f'"{t}"' for t in tables)
        await db.engine().run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    client = redis_client()
    async for name in client.scan_iter(match=key("*"), count=1000):
        await client.delete(name)
    from web.graphql_http import forget_plans
    from web.render import forget_cached_pages

    forget_plans()
    forget_cached_pages()
    from backend.accounts import key_cache

    key_cache.clear()
    yield


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def app(services_ready: None) -> Any:
    from web.app import create_app

    return create_app()


@pytest_asyncio.fixture(loop_scope="session")
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh client (its own cookie jar) per test, calling the one app in this event loop.

    (Litestar's own test client runs the app on another loop; the pools here belong to this one.)
    """
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest_asyncio.fixture(loop_scope="session")
async def workers(services_ready: None) -> AsyncIterator[Any]:
    """Real arq workers for every queue, polling this run's queues in this event loop."""
    from workers.embedded import EmbeddedWorkers

    running = EmbeddedWorkers()
    await running.start()
    yield running
    await running.stop()


async def create_user(
    email: str = "ada@example.com",
    *,
    display_name: str = "Ada Lovelace",
    password: str = PASSWORD,
    confirmed: bool = True,
    locale: str = "en",
    role: str = "creator",
) -> dict[str, Any]:
    """A user made through the real sign-up service (so its confirmation mail exists too)."""
    user = await accounts.sign_up(
        accounts.SignUp(email=email, password=password, display_name=display_name, locale=locale)
    )
    values: dict[Any, Any] = {}
    if confirmed:
        from backend.core import clock

        values[User.email_confirmed_at] = clock.now()
    if role != "creator":
        values[User.platform_role] = role
    if values:
        await User.update(values).where(User.id == user["id"])
    found = await accounts.get_user(user["id"])
    assert found is not None
    return found


def actor_of(user: dict[str, Any]) -> Actor:
    return Actor.from_user_row(user)


@pytest.fixture
def make_user() -> Any:
    return create_user


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { errors { message } } }",  # noqa: E501
            "variables": {"e": email, "p": password},
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["logIn"]["errors"] == [], response.text


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    expect_status: int = 200,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    all_headers = dict(headers or {})
    if key:
        all_headers["Authorization"] = f"Bearer {key}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
    )
    assert response.status_code == expect_status, response.text
    return response.json()


async def csrf_token(client: httpx.AsyncClient, path: str = "/") -> str:
    """Visit a page so the CSRF cookie is set, and return the token for form posts."""
    response = await client.get(path)
    match = re.search(r'name="_csrf_token" value="([^"]+)"', response.text)
    if match:
        return match.group(1)
    return client.cookies.get("csrftoken", "")


async def wait_for_job(job_id: str, within: float = 10.0) -> dict[str, Any]:
    import asyncio

    deadline = asyncio.get_running_loop().time() + within
    while True:
        row = await jobs.get_job(job_id)
        if row is not None and row["status"] in jobs.TERMINAL:
            return row
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"job {job_id} did not finish: {row}")
        await asyncio.sleep(0.02)


@contextlib.contextmanager
def settings_override(**changes: Any) -> Any:
    """Replace fields of the frozen settings for one test."""
    import dataclasses

    from backend.core import settings as settings_module

    original = get_settings()
    updated = original
    for path, value in changes.items():
        section, _, field = path.partition("__")
        if field:
            updated = dataclasses.replace(
                updated, **{section: dataclasses.replace(getattr(updated, section), **{field: value})}
            )
        else:
            updated = dataclasses.replace(updated, **{section: value})
    settings_module.get_settings.cache_clear()
    settings_module._override = updated  # type: ignore[attr-defined]
    try:
        yield updated
    finally:
        settings_module._override = None  # type: ignore[attr-defined]
        settings_module.get_settings.cache_clear()


@pytest_asyncio.fixture(loop_scope="session")
async def live_url(app: Any) -> AsyncIterator[str]:
    """The app served by a real uvicorn on a free port, in this event loop (for websockets/SSE),
    with the websocket options ``cadenza serve`` runs."""
    import asyncio
    import socket

    import uvicorn

    from cli.main import SERVER_OPTIONS

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = {name: value for name, value in SERVER_OPTIONS.items() if name != "loop"}  # this loop
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    await task


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextlib.contextmanager
def count_queries() -> Any:
    """Count the SQL statements Piccolo sends while the block runs (``with count_queries() as q``)."""
    engine_class = type(db.engine())
    counter = QueryCounter()
    original_qs, original_ddl = engine_class.run_querystring, engine_class.run_ddl

    async def run_querystring(self: Any, querystring: Any, in_pool: bool = True) -> Any:
        counter.statements.append(str(querystring))
        return await original_qs(self, querystring, in_pool=in_pool)

    async def run_ddl(self: Any, ddl: str, in_pool: bool = True) -> Any:
        counter.statements.append(ddl)
        return await original_ddl(self, ddl, in_pool=in_pool)

    engine_class.run_querystring, engine_class.run_ddl = run_querystring, run_ddl  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        engine_class.run_querystring, engine_class.run_ddl = original_qs, original_ddl  # type: ignore[method-assign]
