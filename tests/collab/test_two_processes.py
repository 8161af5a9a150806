"""Two web processes (real uvicorn servers, separate Python processes) serving two collaborators:
commits, presence and removals cross between them on Redis pub/sub."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio

from backend.collab import services as collab
from tests.collab.helpers import Stream, document, op, shared_project

REPO = Path(__file__).resolve().parents[2]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest_asyncio.fixture(loop_scope="session")
async def two_servers() -> AsyncIterator[list[str]]:
    """Two uvicorn processes on this run's database and Redis prefix."""
    ports = [_port(), _port()]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
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
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        async with httpx.AsyncClient() as probe:
            for port in ports:
                for _ in range(600):
                    with contextlib.suppress(httpx.HTTPError):
                        if (
                            await probe.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                        ).status_code == 200:
                            break
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError(f"server on {port} did not start")
        yield [f"127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


async def test_collaborators_on_two_processes_see_each_other(client, make_user, monkeypatch, two_servers):
    first, second = two_servers
    shared = await shared_project(client, make_user, monkeypatch)
    owner, editor = shared.owner, shared["editor"]
    async with (
        Stream.open(first, owner, shared.project, client_id="owner-on-one") as on_first,
        Stream.open(second, editor, shared.project, client_id="editor-on-two") as on_second,
    ):
        assert (await on_first.next())["__typename"] == "ProjectSynced"
        assert (await on_second.next())["__typename"] == "ProjectSynced"
        base = (await document(client, owner, shared.project))["revision"]
        # The editor submits through the second process: the owner's stream on the first gets it.
        async with httpx.AsyncClient(base_url=f"http://{second}") as http:
            body = await http.post(
                "/graphql",
                json={
                    "query": "mutation($p: ID!, $b: Int!, $o: [ProjectOperationInput!]!) { submitProjectOperations("
                    'projectId: $p, baseRevision: $b, operations: $o, clientBatchId: "from-process-2") { revision errors { code } } }',
                    "variables": {
                        "p": shared.project,
                        "b": base,
                        "o": [op("set_track", track_id="trk_keys00002", field="pan", value=-0.4)],
                    },
                },
                headers={"Authorization": f"Bearer {editor.key}"},
            )
        assert body.json()["data"]["submitProjectOperations"]["errors"] == []
        seen = await on_first.until("OperationsCommitted")
        assert seen["batchId"] == "from-process-2" and seen["authorId"] == editor.id
        assert seen["author"]["displayName"] == "Editor Person"
        # ...and the other way round, with presence too.
        async with httpx.AsyncClient(base_url=f"http://{first}") as http:
            await http.post(
                "/graphql",
                json={
                    "query": 'mutation($p: ID!) { updatePresence(projectId: $p, clientId: "owner-on-one", trackId: "trk_drums0001") { errors { code } } }',
                    "variables": {"p": shared.project},
                },
                headers={"Authorization": f"Bearer {owner.key}"},
            )
        here = await on_second.until("PresenceChanged", left=False)
        assert here["presence"]["trackId"] == "trk_drums0001"
        # A removal made on the in-test process ends the stream held by the second one.
        await collab.remove(owner.actor, shared.project, editor.id)
        await on_second.until("AccessRevoked")
