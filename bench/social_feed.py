"""The home feed and play counting at scale.

Data: 100,000 releases (10 each, with 200-point waveforms) from 10,000 creators, a listener following
2,000 of them — 5 of which are "large" accounts read at request time — and 200 other listeners'
stored feeds as neighbours in the table. The listener's stored feed is trimmed to its 1,000 newest
items, as the daily job leaves it, so a deep page continues read-time.

Figures:
- feed p50/p95 and SQL statements per page, for the first page, page 25 and a page past the trimmed
  horizon: in-process GraphQL execution, and over HTTP (/graphql with an API key, one uvicorn process
  pinned to core 0, the client on core 1); baseline: the same rows fetched with raw asyncpg.
- play reports per second on one core (POST /plays and the reportPlay mutation; wrk with unique,
  valid tokens on core 1), and how fast the aggregator drains them into PostgreSQL.

Run: ``python -m bench social_feed`` (needs wrk and taskset; creates and drops its own database).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

REPO = Path(__file__).resolve().parents[1]
ADMIN_DSN = os.environ.get("BENCH_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
CREATORS, PER_CREATOR, FOLLOWING, LARGE, NEIGHBOURS = 10_000, 10, 2_000, 5, 200
PAGE = 20
RUNS = 200
PORT = 8931

FEED = """
query Feed($after: String) {
  feed(first: 20, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      kind at
      actor { handle displayName verified avatarUrl }
      release {
        id title path duration peaks status visibility publishedAt artworkUrl isOwner viewerLiked
        genre { id name }
        creator { id handle displayName verified avatarUrl }
        stats { plays likes reposts comments }
        stream { url playToken threshold }
      }
    }
  }
}
"""


def create_bench_app() -> Any:
    """The app as deployed, with the per-IP play limits lifted: wrk sends everything from 127.0.0.1,
    and the point here is what one core can count, not the limiter refusing a flood."""
    from backend.social import plays
    from web.app import create_app

    plays.REPORTS_PER_MINUTE_PER_IP = 10**9
    plays.ANON_PLAYS_PER_IP_PER_WINDOW = 10**9
    return create_app()


# ----------------------------------------------------------------------------- data


async def _seed(dsn: str) -> dict[str, Any]:
    rng = random.Random(7)
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    try:
        users = [
            (
                f"usr_b{i:019d}",
                f"u{i}@bench.example",
                now,
                "x",
                f"Creator {i}" if i else "Listener",
                f"c{i:05d}" if i else "listener",
                "eu",
                "en",
                "UTC",
                "creator",
                True,
                now,
                now,
            )
            for i in range(CREATORS + NEIGHBOURS + 1)
        ]
        await conn.copy_records_to_table(
            "app_user",
            records=users,
            columns=[
                "public_id",
                "email",
                "email_confirmed_at",
                "password_hash",
                "display_name",
                "handle",
                "region",
                "locale",
                "time_zone",
                "platform_role",
                "is_active",
                "created_at",
                "updated_at",
            ],
        )
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM app_user ORDER BY id")]
        listener, creators, neighbours = ids[0], ids[1 : CREATORS + 1], ids[CREATORS + 1 :]
        followed = rng.sample(creators, FOLLOWING)
        large = set(followed[:LARGE])
        peaks = json.dumps([round(rng.random(), 3) for _ in range(200)])
        releases = []
        for n, owner in enumerate(creators):
            for k in range(PER_CREATOR):
                at = now - timedelta(seconds=rng.randint(0, 365 * 24 * 3600))
                visibility = "public" if rng.random() > 0.05 else rng.choice(["unlisted", "private"])
                releases.append(
                    (
                        f"trk_b{n:08d}{k:02d}xxxxxxxxx",
                        owner,
                        f"Track {n}-{k}",
                        "",
                        "reel",
                        "[]",
                        "",
                        "upload",
                        "",
                        "",
                        f"releases/bench/{n}.mp3",
                        180.0,
                        peaks,
                        visibility,
                        secrets.token_urlsafe(12),
                        "published",
                        "",
                        at,
                        at,
                        at,
                        at,
                        None,
                    )
                )
        await conn.copy_records_to_table(
            "social_release",
            records=releases,
            columns=[
                "public_id",
                "owner_id",
                "title",
                "description",
                "genre",
                "tags",
                "artwork_key",
                "source_kind",
                "source_id",
                "asset_id",
                "stream_key",
                "duration",
                "peaks",
                "visibility",
                "secret_token",
                "status",
                "error_key",
                "published_at",
                "announced_at",
                "created_at",
                "updated_at",
                "deleted_at",
            ],
        )
        await conn.execute(
            "INSERT INTO social_release_stats (release_id, plays, likes, reposts, comments) "
            "SELECT id, (random() * 5000)::int, (random() * 200)::int, (random() * 40)::int, (random() * 30)::int FROM social_release"
        )
        profiles = [
            (uid, 50_000 if uid in large else rng.randint(0, 300), 0, now, now) for uid in creators
        ] + [(listener, 0, FOLLOWING, now, now)]
        await conn.copy_records_to_table(
            "social_profile",
            records=profiles,
            columns=["user_id", "follower_count", "following_count", "created_at", "updated_at"],
        )
        await conn.copy_records_to_table(
            "social_follow",
            records=[(listener, c, now) for c in followed],
            columns=["follower_id", "followee_id", "created_at"],
        )
        # What fan-out on write left: every public release of the (not large) followed creators…
        await conn.execute(
            "INSERT INTO social_feed_item (user_id, release_id, actor_id, kind, created_at) "
            "SELECT $1, r.id, r.owner_id, 'release', r.published_at FROM social_release r "
            "WHERE r.owner_id = ANY($2::bigint[]) AND r.visibility = 'public'",
            listener,
            [c for c in followed if c not in large],
        )
        # …and the neighbours' feeds, so the index is not the listener's alone.
        await conn.execute(
            "INSERT INTO social_feed_item (user_id, release_id, actor_id, kind, created_at) "
            "SELECT u, r.id, r.owner_id, 'release', r.published_at FROM unnest($1::bigint[]) AS u "
            "CROSS JOIN LATERAL (SELECT id, owner_id, published_at FROM social_release "
            "WHERE id % 97 = u % 97 ORDER BY published_at DESC LIMIT 1000) r",
            neighbours,
        )
        await conn.execute("ANALYZE")
        counts = {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")  # noqa: S608 - fixed table names
            for t in ("social_release", "social_follow", "social_feed_item")
        }
    finally:
        await conn.close()
    return {"listener": listener, "counts": counts}


# ----------------------------------------------------------------------------- measuring


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class _Counter:
    """Counts the SQL statements Piccolo sends (the same way the tests do)."""

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> _Counter:
        from backend.core import db

        engine_class = type(db.engine())
        self._cls, self._orig = engine_class, engine_class.run_querystring
        counter = self

        async def run_querystring(self_: Any, querystring: Any, in_pool: bool = True) -> Any:
            counter.count += 1
            return await counter._orig(self_, querystring, in_pool=in_pool)

        engine_class.run_querystring = run_querystring  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self._cls.run_querystring = self._orig  # type: ignore[method-assign]


async def _in_process(actor: Any, after: str | None) -> tuple[dict[str, Any], float]:
    from backend.graphql.context import build_context
    from backend.graphql.schema import get_schema

    started = time.perf_counter()
    result = await get_schema().execute(
        FEED, variable_values={"after": after}, context_value=build_context(actor=actor, locale="en")
    )
    elapsed = (time.perf_counter() - started) * 1000
    assert not result.errors, result.errors
    return result.data["feed"], elapsed


async def _baseline(pool: asyncpg.Pool, listener: int, cursor: tuple[datetime, int, int] | None) -> float:
    """The same page's rows with raw asyncpg: items joined to releases, then users, profiles, stats, likes."""
    started = time.perf_counter()
    async with pool.acquire() as conn:
        where = "" if cursor is None else " AND (f.created_at, f.release_id, f.actor_id) < ($2, $3, $4)"
        args: list[Any] = [listener] + (list(cursor) if cursor else [])
        rows = await conn.fetch(
            "SELECT f.created_at, f.actor_id, f.kind, r.* FROM social_feed_item f JOIN social_release r ON r.id = f.release_id "  # noqa: S608 - constant SQL
            "WHERE f.user_id = $1 AND r.status = 'published' AND r.visibility = 'public' AND r.deleted_at IS NULL"
            + where
            + " ORDER BY f.created_at DESC, f.release_id DESC, f.actor_id DESC LIMIT 21",
            *args,
        )
        owners = list({r["owner_id"] for r in rows} | {r["actor_id"] for r in rows})
        release_ids = [r["id"] for r in rows]
        await conn.fetch("SELECT * FROM app_user WHERE id = ANY($1::bigint[])", owners)
        await conn.fetch("SELECT * FROM social_profile WHERE user_id = ANY($1::bigint[])", owners)
        await conn.fetch(
            "SELECT * FROM social_release_stats WHERE release_id = ANY($1::bigint[])", release_ids
        )
        await conn.fetch(
            "SELECT release FROM social_like WHERE user_id = $1 AND release = ANY($2::bigint[])",
            listener,
            release_ids,
        )
        for row in rows:
            json.loads(row["peaks"])
    return (time.perf_counter() - started) * 1000


async def _http_latency(secret: str, after: str | None, runs: int) -> list[float]:
    import httpx

    body = {"query": FEED, "variables": {"after": after}}
    times = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=30) as http:
        for _ in range(runs + 10):
            started = time.perf_counter()
            response = await http.post("/graphql", json=body, headers={"Authorization": f"Bearer {secret}"})
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
    return times[10:]


def _wrk(lua: str, url: str, connections: int = 50) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(lua)
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{DURATION}s", "-s", handle.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p95_ms": int(re.search(r"P95_US=(\d+)", out).group(1)) / 1000,
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


_PLAYS_LUA = """
local lines = {}
local i = 0
for line in io.lines("%(tokens)s") do lines[#lines + 1] = line end
request = function()
  i = i + 1
  local token, anon = lines[((i - 1) %% #lines) + 1]:match("([^\\t]+)\\t([^\\t]+)")
  local body = %(body)s
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/json", ["Cookie"] = "cdz_listener=" .. anon}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("P95_US=%%d\\n", latency:percentile(95)))
end
"""


def _tokens(release: dict[str, Any], count: int) -> str:
    from backend.social import plays

    issued = time.time() - 31
    path = Path(tempfile.mkstemp(suffix=".tokens")[1])
    with path.open("w") as out:
        for _ in range(count):
            anon = secrets.token_urlsafe(12)
            out.write(f"{plays.issue_token(release, plays.listener_of(None, anon), now=issued)}\t{anon}\n")
    return str(path)


async def _stream_length() -> int:
    from backend.core.redis import redis_client
    from backend.social import plays

    return int(await redis_client().xlen(plays.stream_key()))


async def inside() -> None:
    os.sched_setaffinity(0, {1})  # this process is the client: keep it off the server's core
    from backend.accounts import services as accounts
    from backend.core import db, i18n, jobs
    from backend.core.actor import Actor
    from backend.core.pagination import decode_cursor
    from backend.social import feeds, plays, queries

    i18n.load_catalogues()
    jobs.discover_jobs()
    seeded_at = time.perf_counter()
    data = await _seed(os.environ["DATABASE_URL"])
    await db.start_pool()
    listener = await accounts.get_user(data["listener"])
    actor = Actor.from_user_row(listener)
    trimmed = await feeds.trim_feeds(cap=feeds.FEED_CAP)
    print(
        f"data: {data['counts']['social_release']:,} releases, {data['counts']['social_follow']:,} follows, "
        f"{data['counts']['social_feed_item']:,} stored feed items ({trimmed:,} trimmed); seeded in {time.perf_counter() - seeded_at:.1f} s"
    )

    # Cursors for page 1, page 25 (inside the stored feed) and page 60 (past its 1,000-item horizon).
    cursors: dict[str, str | None] = {"first page": None}
    after = None
    for page in range(2, 61):
        feed, _ = await _in_process(actor, after)
        after = feed["pageInfo"]["endCursor"]
        if page == 25:
            cursors["page 25"] = after
        if page == 60:
            cursors["page 60 (past the trim)"] = after

    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=2)
    rows = []
    for name, cursor in cursors.items():
        with _Counter() as counter:
            feed, _ = await _in_process(actor, cursor)
        assert len(feed["nodes"]) == PAGE, (name, len(feed["nodes"]))
        times = [(await _in_process(actor, cursor))[1] for _ in range(RUNS)]
        values = decode_cursor(cursor)
        raw = tuple([datetime.fromisoformat(values[0]), int(values[1]), int(values[2])]) if values else None
        base = [await _baseline(pool, listener["id"], raw) for _ in range(RUNS)]
        rows.append((name, counter.count, times, base))
    await pool.close()

    _, secret = await accounts.create_api_key(actor, "bench", ["read", "write"])
    env = dict(os.environ)
    log = open(Path(tempfile.gettempdir()) / "bench-social.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [
            "taskset",
            "-c",
            "0",
            sys.executable,
            "-m",
            "uvicorn",
            "bench.social_feed:create_bench_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(PORT),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        import httpx

        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        http = {name: await _http_latency(secret, cursor, RUNS) for name, cursor in cursors.items()}

        print(f"\nfeed, {PAGE} items a page, {RUNS} runs each          p50 ms   p95 ms   SQL/page")
        for name, count, times, base in rows:
            print(
                f"  GraphQL in-process, {name:26}  {statistics.median(times):7.1f}  {_p(times, 0.95):7.1f}   {count}"
            )
            print(
                f"  GraphQL over HTTP,  {name:26}  {statistics.median(http[name]):7.1f}  {_p(http[name], 0.95):7.1f}   {count}"
            )
            print(
                f"  baseline raw asyncpg, {name:24}  {statistics.median(base):7.1f}  {_p(base, 0.95):7.1f}   5"
            )

        release = await queries.release_by_public_id("trk_b0000000000xxxxxxxxx")
        figures = {}
        for name, path, body in (
            ("POST /plays", "/plays", '\'{"token":"\' .. token .. \'","source":"page"}\''),
            (
                "GraphQL reportPlay",
                "/graphql",
                '\'{"query":"mutation($t: String!) { reportPlay(token: $t) { report { counted } } }","variables":{"t":"\' .. token .. \'"}}\'',
            ),
        ):
            before = await _stream_length()
            tokens = _tokens(release, 80_000)
            figures[name] = _wrk(
                _PLAYS_LUA % {"tokens": tokens, "body": body, "path": path}, f"http://127.0.0.1:{PORT}{path}"
            )
            figures[name]["counted"] = await _stream_length() - before
            os.unlink(tokens)
        print(
            f"\nplay reports, one uvicorn process on core 0, wrk -c50 on core 1, {DURATION} s, every token unique and valid"
        )
        for name, f in figures.items():
            print(
                f"  {name:20} {f['rps']:8.0f} req/s   p95 {f['p95_ms']:6.1f} ms   counted {f['counted']:,} of {f['requests']:,}   non-2xx {f['non_2xx']}"
            )
        backlog = await _stream_length()
        started = time.perf_counter()
        moved = 0
        while True:
            step = await plays.flush()
            moved += step
            if step == 0:
                break
        drained = time.perf_counter() - started
        print(
            f"  aggregator: {moved:,} plays into PostgreSQL in {drained:.1f} s ({moved / max(drained, 1e-9):,.0f} plays/s; backlog was {backlog:,})"
        )
        print(
            f"\nmachine: {os.cpu_count()} cores shared with other work; load average {os.getloadavg()[0]:.1f} at the end"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        from backend.core.redis import key, redis_client

        async for name in redis_client().scan_iter(match=key("*"), count=1000):
            await redis_client().delete(name)
        await db.close_pool()


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
    database = f"cadenza_bench_social_{secrets.token_hex(3)}"
    asyncio.run(_admin(f'CREATE DATABASE "{database}"'))
    env = {
        **os.environ,
        "DATABASE_URL": ADMIN_DSN.rsplit("/", 1)[0] + f"/{database}",
        "REDIS_PREFIX": f"bsocial{secrets.token_hex(3)}",
        "MEDIA_ROOT": tempfile.mkdtemp(),
        "SECRET_KEY": f"bench-{secrets.token_hex(8)}",
        "API_REQUESTS_PER_MINUTE": "1000000000",
        "API_REQUESTS_PER_MINUTE_PER_IP": "1000000000",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "PICCOLO_CONF": "backend.piccolo_conf",
        "PYTHONPATH": str(REPO),
    }
    try:
        subprocess.run(
            [sys.executable, "-m", "cli.main", "migrate"], cwd=REPO, env=env, check=True, capture_output=True
        )
        subprocess.run([sys.executable, "-m", "bench.social_feed", "inside"], cwd=REPO, env=env, check=True)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


if __name__ == "__main__":
    if sys.argv[1:] == ["inside"]:
        asyncio.run(inside())
    else:
        main()
