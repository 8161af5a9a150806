"""Real-time collaboration: how fast a commit reaches the other collaborators, and how many live
subscribers one web process holds.

1. Latency: 20 simulated collaborators on one project, split over two web processes (uvicorn, each
   its own Python process), each with one websocket (``graphql-transport-ws``) carrying its
   ``projectEvents`` subscription and its ``submitProjectOperations`` mutations, each sending one
   operation a second (at most one batch in flight). For every commit: the time from sending the
   mutation to each *other* collaborator receiving the commit event (p50/p95/p99), and to its
   author's own copy of it. Baseline: a raw Redis pub/sub round trip from this process.
2. Capacity: one web process, N websocket subscribers (default 1,000) on one project; the process's
   extra resident memory, split into the authenticated connection and the subscription on it, how
   many fit in 100 MB, then one commit's fan-out time to all of them. Measured with the server
   options ``cadenza serve`` uses (``cli.main.SERVER_OPTIONS``), then, as the baseline, with the ones
   it had before (uvicorn's legacy ``websockets`` implementation, permessage-deflate on).

PostgreSQL and Redis are the machine's own. ``BENCH_SECONDS`` (default 30), ``BENCH_SUBSCRIBERS``.

Measured (2 cores, 24 GiB, shared with other engineers' work; load average 2.4 / 3.2 / 2.7), 1,000
subscribers on one process:

- ``cadenza serve`` (``websockets-sansio``, no permessage-deflate): 54.7 MB extra, 56 KB each (33 KB
  the authenticated connection, 23 KB the subscription) → about 1,820 in 100 MB.
- Before issue 4's memory work, same machine: 173.5 MB, 179 KB each (140 KB + 39 KB) → about 573
  (legacy ``websockets``, what ``cadenza serve`` ran); 112 KB (74 KB + 38 KB) → about 915 with
  ``websockets-sansio``. The baseline row (old options, current code) gives 164 KB (140 KB + 24 KB).
- Where it went (tracemalloc diffs in the server): permessage-deflate's zlib state, about 300 KB
  allocated and 100 KB resident per connection; the first ``ProjectSynced`` document, kept by every
  stream until its next event (11 KB here, more for a real project); an ``asyncio.Queue`` per
  subscriber (3 KB). What is left is spread over many small objects: per connection uvicorn's
  protocol, headers, Litestar's ``WebSocket``, Strawberry's handler and its tasks; per subscription
  mostly Strawberry's operation (its task, extension contexts, graphql-core's executor).
- Latency, 27 Nov 2026, load average 1.9 (the bench's own clients and both web processes on the same
  2 cores), 20 s: to every other collaborator p50 30.0 ms, p95 43.6 ms, p99 81.0 ms (n=7,600); to
  its author p50 29.9 / p95 43.6 ms; raw Redis pub/sub round trip p50 0.4 ms. On a quieter machine
  before this work: p50 17.1 / p95 22.0 ms. One commit's fan-out to all 1,000: 782 ms (legacy
  options: 980 ms).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

from cli.main import SERVER_OPTIONS

REPO = Path(__file__).resolve().parents[1]
ADMIN_DSN = os.environ.get("BENCH_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
COLLABORATORS = 20
SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "1000"))
PROTOCOL = "graphql-transport-ws"
EVENTS = (
    "subscription($p: ID!) { projectEvents(projectId: $p) { __typename "
    "... on ProjectSynced { revision } ... on OperationsCommitted { revision batchId authorId } } }"
)
SUBMIT = (
    "mutation($p: ID!, $b: Int!, $o: [ProjectOperationInput!]!, $c: String!) { submitProjectOperations("
    "projectId: $p, baseRevision: $b, operations: $o, clientBatchId: $c) { revision errors { code } } }"
)

# Run in a child with the bench's environment: users, keys, a 16-track project shared with
# everyone as editor (memberships written directly: the plan gate is not what is measured).
_SEED = """
import asyncio, json
from backend.accounts import services as accounts
from backend.accounts.tables import User
from backend.audio import services as audio
from backend.collab.tables import Member
from backend.core import clock, db, i18n
from backend.core.actor import Actor

async def main(count):
    i18n.load_catalogues()
    await db.start_pool()
    people = []
    for i in range(count + 1):
        user = await accounts.sign_up(accounts.SignUp(email=f"bench{i}@example.com", password="bench password 1234", display_name=f"Bench {i}"))
        await User.update({User.email_confirmed_at: clock.now()}).where(User.id == user["id"])
        actor = Actor.from_user_row(await accounts.get_user(user["id"]))
        _, key = await accounts.create_api_key(actor, "bench", ["read", "write"])
        people.append((actor, key))
    owner = people[0][0]
    project = await audio.create_project(owner, "Bench jam")
    await audio.apply_operations(owner, project["public_id"], 0, [
        {"kind": "add_track", "track": {"id": f"trk_bench{i:04d}", "name": f"Part {i}"}} for i in range(16)
    ])
    for actor, _ in people[1:]:
        await Member.insert(Member(project_id=project["public_id"], user_id=actor.user_id, role="editor", created_at=clock.now(), updated_at=clock.now()))
    await db.close_pool()
    print(json.dumps({"project": project["public_id"], "keys": [k for _, k in people], "ids": [a.public_id for a, _ in people]}))

asyncio.run(main(%d))
"""


def _percentiles(values: list[float]) -> str:
    if not values:
        return "no samples"
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return f"p50 {pick(0.50):6.1f} ms  p95 {pick(0.95):6.1f} ms  p99 {pick(0.99):6.1f} ms  (n={len(values)})"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# The configuration `cadenza serve` ran before issue 4's memory work: uvicorn's legacy websockets
# implementation with permessage-deflate (uvicorn's default) on every connection.
BEFORE_OPTIONS: dict[str, object] = {
    "loop": "uvloop",
    "http": "httptools",
    "ws": "websockets",
    "ws_per_message_deflate": True,
}


def _serve(
    port: int, env: dict[str, str], options: dict[str, object] = SERVER_OPTIONS
) -> subprocess.Popen[bytes]:
    log = open(Path(tempfile.gettempdir()) / f"bench-collab-{port}.log", "wb")  # noqa: SIM115
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "web.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        # Server options as `cadenza serve` passes them (cli.main.SERVER_OPTIONS) unless told otherwise.
        "--loop",
        str(options["loop"]),
        "--http",
        str(options["http"]),
        "--ws",
        str(options["ws"]),
        "--ws-per-message-deflate",
        str(options["ws_per_message_deflate"]).lower(),
    ]
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=log)


async def _wait(url: str) -> None:
    async with httpx.AsyncClient() as probe:
        for _ in range(600):
            with contextlib.suppress(httpx.HTTPError):
                if (await probe.get(url, timeout=2)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


class Client:
    """One collaborator: a websocket with the subscription and the mutations."""

    def __init__(self, url: str, key: str, project: str, number: int) -> None:
        self.url, self.key, self.project, self.number = url, key, project, number
        self.ws: Any = None
        self.revision = 0
        self.waiting: dict[str, asyncio.Future[Any]] = {}
        self.synced = asyncio.Event()
        self.inflight: str | None = None
        self.next_id = 0
        self.beats = 0

    async def open(self, on_commit: Any) -> None:
        import websockets

        self.ws = await websockets.connect(
            f"ws://{self.url}/graphql", subprotocols=[PROTOCOL], max_size=2**20
        )
        await self.ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {self.key}"}})
        )
        assert json.loads(await self.ws.recv())["type"] == "connection_ack"
        await self.ws.send(
            json.dumps(
                {
                    "id": "events",
                    "type": "subscribe",
                    "payload": {"query": EVENTS, "variables": {"p": self.project}},
                }
            )
        )
        self.reader = asyncio.create_task(self._read(on_commit))

    async def _read(self, on_commit: Any) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if message["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            if message.get("id") == "events" and message["type"] == "next":
                event = message["payload"]["data"]["projectEvents"]
                now = time.perf_counter()
                if event["__typename"] == "OperationsCommitted":
                    self.revision = max(self.revision, event["revision"])
                    if event["batchId"] == self.inflight:
                        self.inflight = None
                    on_commit(self.number, event["batchId"], now)
                else:
                    self.revision = max(self.revision, event.get("revision") or 0)
                    self.synced.set()
            elif message.get("id") in self.waiting and message["type"] in ("next", "error"):
                self.waiting.pop(message["id"]).set_result(message)

    async def submit(self, batch_id: str, value: float) -> None:
        self.next_id += 1
        request = f"m{self.next_id}"
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting[request] = done
        self.inflight = batch_id
        track = f"trk_bench{self.number % 16:04d}"
        operations = [
            {"kind": "SET_TRACK", "payload": {"track_id": track, "field": "gain_db", "value": value}}
        ]
        await self.ws.send(
            json.dumps(
                {
                    "id": request,
                    "type": "subscribe",
                    "payload": {
                        "query": SUBMIT,
                        "variables": {"p": self.project, "b": self.revision, "o": operations, "c": batch_id},
                    },
                }
            )
        )
        answer = await done
        errors = (
            answer["payload"].get("errors") or answer["payload"]["data"]["submitProjectOperations"]["errors"]
        )
        if errors:
            raise RuntimeError(errors)

    async def close(self) -> None:
        self.reader.cancel()
        await self.ws.close()


async def _latency(urls: list[str], project: str, keys: list[str]) -> dict[str, list[float]]:
    sent: dict[str, tuple[int, float]] = {}
    others: list[float] = []
    own: list[float] = []

    def on_commit(receiver: int, batch_id: str, at: float) -> None:
        origin = sent.get(batch_id)
        if origin is None:
            return
        author, started = origin
        (own if receiver == author else others).append((at - started) * 1000)

    clients = [Client(urls[i % 2], keys[i + 1], project, i) for i in range(COLLABORATORS)]
    for client in clients:
        await client.open(on_commit)
    await asyncio.gather(*(c.synced.wait() for c in clients))

    async def play(client: Client, until: float) -> None:
        await asyncio.sleep(client.number / COLLABORATORS)  # spread over the second
        while time.perf_counter() < until:
            tick = time.perf_counter()
            if client.inflight is None:  # at most one batch in flight
                # A fresh client batch id each time: resending one would get the stored answer.
                client.beats += 1
                batch = f"bench-{client.number:02d}-{client.beats:05d}"
                sent[batch] = (client.number, time.perf_counter())
                await client.submit(batch, -float(client.beats % 24))
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))

    warm = time.perf_counter() + 3
    await asyncio.gather(*(play(c, warm) for c in clients))
    others.clear()
    own.clear()
    await asyncio.gather(*(play(c, time.perf_counter() + SECONDS) for c in clients))
    await asyncio.sleep(1.0)
    for client in clients:
        await client.close()
    return {"others": others, "own": own}


async def _redis_round_trip(env: dict[str, str]) -> list[float]:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(env.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    channel = f"bench:{secrets.token_hex(4)}"
    await pubsub.subscribe(channel)
    samples = []
    for _ in range(500):
        started = time.perf_counter()
        await client.publish(channel, b"x")
        while True:
            message = await pubsub.get_message(timeout=1.0)
            if message is not None:
                break
        samples.append((time.perf_counter() - started) * 1000)
    await pubsub.aclose()
    await client.aclose()
    return samples


async def _capacity(url: str, pid: int, project: str, keys: list[str]) -> dict[str, float]:
    """Open SUBSCRIBERS websockets on one process, then a subscription on each; measure the
    process's extra resident memory after each step, and one commit's fan-out to all."""
    import websockets

    process = psutil.Process(pid)
    sockets: list[Any] = []

    async def connect(key: str) -> Any:
        ws = await websockets.connect(f"ws://{url}/graphql", subprotocols=[PROTOCOL], max_size=2**20)
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}}))
        await ws.recv()
        return ws

    async def subscribe(ws: Any) -> None:
        await ws.send(
            json.dumps(
                {"id": "e", "type": "subscribe", "payload": {"query": EVENTS, "variables": {"p": project}}}
            )
        )
        await ws.recv()  # ProjectSynced

    # Warm the process up (imports, pools, caches) with a few, then measure from there.
    for key in keys[1:6]:
        ws = await connect(key)
        await subscribe(ws)
        sockets.append(ws)
    await asyncio.sleep(1.0)
    start = process.memory_info().rss
    semaphore = asyncio.Semaphore(50)
    fresh: list[Any] = []

    async def one(i: int) -> None:
        async with semaphore:
            fresh.append(await connect(keys[1 + i % COLLABORATORS]))

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(SUBSCRIBERS - 5)))
    await asyncio.sleep(2.0)
    connected = process.memory_info().rss

    async def sub(ws: Any) -> None:
        async with semaphore:
            await subscribe(ws)

    await asyncio.gather(*(sub(ws) for ws in fresh))
    connect_seconds = time.perf_counter() - started
    sockets += fresh
    await asyncio.sleep(2.0)
    subscribed = process.memory_info().rss
    # One commit, fanned out to everyone on this process.
    received = 0
    done = asyncio.Event()

    async def drain(ws: Any) -> None:
        nonlocal received
        while True:
            message = json.loads(await ws.recv())
            if (
                message["type"] == "next"
                and message["payload"]["data"]["projectEvents"]["__typename"] == "OperationsCommitted"
            ):
                received += 1
                if received == len(sockets):
                    done.set()
                return

    readers = [asyncio.create_task(drain(ws)) for ws in sockets]
    async with httpx.AsyncClient(base_url=f"http://{url}") as http:
        current = await http.post(
            "/graphql",
            json={"query": "query($p: ID!) { project(id: $p) { revision } }", "variables": {"p": project}},
            headers={"Authorization": f"Bearer {keys[1]}"},
        )
        base = current.json()["data"]["project"]["revision"]
        fan_start = time.perf_counter()
        await http.post(
            "/graphql",
            json={
                "query": SUBMIT,
                "variables": {
                    "p": project,
                    "b": base,
                    "c": f"fan-out-{secrets.token_hex(4)}",
                    "o": [{"kind": "SET_PROJECT", "payload": {"field": "tempo", "value": 123}}],
                },
            },
            headers={"Authorization": f"Bearer {keys[1]}"},
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 60)
        fan_out = time.perf_counter() - fan_start
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    count = max(1, SUBSCRIBERS - 5)
    total = (subscribed - start) / 2**20
    per = total / count * 1024
    return {
        "subscribers": len(sockets),
        "extra_mb": total,
        "per_kb": per,
        "connection_kb": (connected - start) / 2**10 / count,
        "subscription_kb": (subscribed - connected) / 2**10 / count,
        "fit_100mb": int(100 * 1024 / per) if per > 0 else 0,
        "connect_s": connect_seconds,
        "fan_out_ms": fan_out * 1000,
        "received": received,
    }


def main() -> None:
    database = f"cadenza_bench_{secrets.token_hex(3)}"
    asyncio.run(_admin(f'CREATE DATABASE "{database}"'))
    env = {
        **os.environ,
        "DATABASE_URL": ADMIN_DSN.rsplit("/", 1)[0] + f"/{database}",
        "REDIS_PREFIX": f"bench{secrets.token_hex(3)}",
        "MEDIA_ROOT": tempfile.mkdtemp(),
        "SECRET_KEY": "bench",
        "API_REQUESTS_PER_MINUTE": "100000000",
        "API_REQUESTS_PER_MINUTE_PER_IP": "100000000",
        "SIGNUPS_PER_HOUR_PER_IP": "100000",
        "GRAPHQL_MAX_SUBSCRIPTIONS": "20",
        "LOG_LEVEL": "WARNING",
        "PICCOLO_CONF": "backend.piccolo_conf",
        "PYTHONPATH": str(REPO),
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run(
            [sys.executable, "-m", "cli.main", "migrate"], cwd=REPO, env=env, check=True, capture_output=True
        )
        done = subprocess.run(
            [sys.executable, "-c", _SEED % COLLABORATORS], cwd=REPO, env=env, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"seeding failed:\n{done.stderr[-3000:]}")
        setup = json.loads(done.stdout.strip().splitlines()[-1])
        ports = [_free_port(), _free_port()]
        processes = [_serve(port, env) for port in ports]
        for port in ports:
            asyncio.run(_wait(f"http://127.0.0.1:{port}/healthz"))
        urls = [f"127.0.0.1:{port}" for port in ports]
        load = os.getloadavg()
        redis_rtt = asyncio.run(_redis_round_trip(env))
        latency = asyncio.run(_latency(urls, setup["project"], setup["keys"]))
        print(
            f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
            "(shared with other engineers' work)"
        )
        print(f"{COLLABORATORS} collaborators, 1 operation/s each, {SECONDS} s, over 2 web processes:")
        print(f"  submit → every other collaborator receives it   {_percentiles(latency['others'])}")
        print(f"  submit → its author sees it committed           {_percentiles(latency['own'])}")
        print(f"  baseline: raw Redis pub/sub round trip          {_percentiles(redis_rtt)}")
        for process in processes:
            process.terminate()
            process.wait(timeout=20)
        # Capacity: a fresh process per server configuration: `cadenza serve`'s, then the one it had
        # before as the baseline. The clients offer permessage-deflate, as browsers do.
        configurations = (
            ("cadenza serve (uvicorn --ws websockets-sansio, no permessage-deflate)", SERVER_OPTIONS),
            ("baseline: the previous options (--ws websockets, permessage-deflate)", BEFORE_OPTIONS),
        )
        for label, options in configurations:
            port = _free_port()
            processes = [_serve(port, env, options)]
            asyncio.run(_wait(f"http://127.0.0.1:{port}/healthz"))
            capacity = asyncio.run(
                _capacity(f"127.0.0.1:{port}", processes[0].pid, setup["project"], setup["keys"])
            )
            print(
                f"one web process, {label}, {capacity['subscribers']} websocket subscribers of projectEvents:"
            )
            print(
                f"  extra resident memory {capacity['extra_mb']:.1f} MB ({capacity['per_kb']:.0f} KB each: "
                f"{capacity['connection_kb']:.0f} KB the authenticated connection, "
                f"{capacity['subscription_kb']:.0f} KB the subscription) "
                f"→ about {capacity['fit_100mb']} subscribers in 100 MB"
            )
            print(
                f"  connecting and subscribing took {capacity['connect_s']:.1f} s; one commit reached "
                f"{capacity['received']} of them in {capacity['fan_out_ms']:.0f} ms"
            )
            processes[0].terminate()
            processes[0].wait(timeout=20)
            processes = []
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            with contextlib.suppress(Exception):
                process.wait(timeout=20)
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
