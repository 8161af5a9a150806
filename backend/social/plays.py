"""Play counting that resists repeat plays and bots, without locking a busy track's row.

1. **A signed play token is issued with the stream** (``issue_token``): it names the release, the
   listener (a keyed hash of the user, or of the anonymous ``cdz_listener`` cookie) and the time it
   was issued. Nobody can make one without ``SECRET_KEY``.
2. **The 30-second rule is enforced by the server's clock**: a report is refused as "too early"
   until ``min(30 s, duration)`` has passed since the token was issued — skipping ahead in the
   player does not help, only listening time (or waiting) does.
3. **One count per listener per release per half hour**: ``SET NX EX 1800`` on a key built from the
   user, or for anonymous listeners from cookie + IP (and IP + user agent when an embed in another
   site gets no cookie). Each token counts at most once. Anonymous plays from one IP on one release
   are capped per window, so clearing cookies does not inflate a count.
4. **Bots are rate-limited** per IP (hashed; no raw IPs are stored).
5. **Counts move without row locks**: a counted play is appended to a Redis stream and a per-release
   "pending" counter in the same Lua script (one round trip, no SQL on the hot path). The aggregator
   (``flush``, run every two seconds) reads the stream through a consumer group, appends the plays to
   ``social_play`` (unique on the stream id, so a batch written twice counts once), and adds each
   release's batch total to its counters with one upsert per release — a track with a thousand plays
   a second has its row written once per batch instead of a thousand times. Readers show
   ``stored + pending``, so a play is visible at once.

Why not sharded counters: they still write PostgreSQL on every play (N rows instead of one), and the
charts need per-day rows anyway; the stream batches both.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from backend.core import db, signing
from backend.core.redis import key, redis_client
from backend.core.settings import get_settings
from backend.social.tables import Play, PlayDaily, Release, ReleaseStats

THRESHOLD_SECONDS = 30
WINDOW_SECONDS = 30 * 60
TOKEN_TTL_SECONDS = 6 * 3600
REPORTS_PER_MINUTE_PER_IP = 120
ANON_PLAYS_PER_IP_PER_WINDOW = 3
STREAM_MAXLEN = 2_000_000
SOURCES = ("page", "mini", "embed", "api")
ANON_COOKIE = "cdz_listener"

# KEYS: nonce, seen (listener+release), anonymous-per-IP cap, per-IP rate, stream, pending counts.
# ARGV: release, user, listener hash, source, anonymous ("1"/"0"). The limits are written into the
# script (fewer arguments to encode on every report): %(window)s %(token_ttl)s %(cap)s %(rate)s %(maxlen)s.
_REPORT = """
local n = redis.call('INCR', KEYS[4])
if n == 1 then redis.call('EXPIRE', KEYS[4], 60) end
if n > %(rate)d then return {4, redis.call('TTL', KEYS[4])} end
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', %(token_ttl)d) then return {2, 0} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {0, redis.call('TTL', KEYS[2])} end
if ARGV[5] == '1' then
  local c = redis.call('INCR', KEYS[3])
  if c == 1 then redis.call('EXPIRE', KEYS[3], %(window)d) end
  if c > %(cap)d then return {3, redis.call('TTL', KEYS[3])} end
end
redis.call('SET', KEYS[2], '1', 'EX', %(window)d)
redis.call('XADD', KEYS[5], 'MAXLEN', '~', %(maxlen)d, '*',
  'r', ARGV[1], 'u', ARGV[2], 'l', ARGV[3], 's', ARGV[4])
redis.call('HINCRBY', KEYS[6], ARGV[1], 1)
return {1, 0}
"""
_OUTCOMES = {1: "counted", 0: "duplicate", 2: "token_used", 3: "duplicate", 4: "rate_limited"}
_script: tuple[tuple[int, ...], str] | None = None  # (the limits it was written with, its SHA)


@dataclass(frozen=True, slots=True)
class PlayResult:
    counted: bool
    reason: str  # counted duplicate token_used too_early rate_limited invalid expired wrong_listener
    retry_after: int = 0


def _hash(value: str, purpose: str, length: int = 16) -> str:
    secret = get_settings().security.secret_key
    return hashlib.blake2b(
        value.encode(), key=f"{purpose}:{secret}".encode()[:64], digest_size=16
    ).hexdigest()[:length]


def listener_of(user_id: int | None, anon_id: str | None) -> str:
    """The token's listener: a user, an anonymous cookie, or nobody we can recognise again."""
    if user_id is not None:
        return "u" + _hash(str(user_id), "play-user", 12)
    if anon_id and 8 <= len(anon_id) <= 64 and anon_id.replace("-", "").replace("_", "").isalnum():
        return "a" + _hash(anon_id, "play-anon", 12)
    return "e" + signing.random_token(9).replace("-", "x").replace("_", "y")


def threshold_for(duration: float | None) -> int:
    if duration is None or duration <= 0:
        return THRESHOLD_SECONDS
    return max(1, min(THRESHOLD_SECONDS, int(duration)))


def issue_token(release: dict[str, Any], listener: str, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    nonce = signing.random_token(9).replace("-", "x").replace("_", "y")
    payload = f"{release['public_id']}.{listener}.{issued}.{threshold_for(release.get('duration'))}.{nonce}"
    return f"{payload}.{signing.sign(payload, 'play')}"


def _parse(token: str) -> tuple[str, str, int, int, str] | None:
    parts = token.split(".") if isinstance(token, str) and len(token) < 300 else []
    if len(parts) != 6:
        return None
    payload, signature = ".".join(parts[:5]), parts[5]
    if not signing.verify(payload, signature, "play"):
        return None
    try:
        return parts[0], parts[1], int(parts[2]), int(parts[3]), parts[4]
    except ValueError:
        return None


async def report(
    token: str,
    *,
    user_id: int | None,
    anon_id: str | None,
    ip: str,
    user_agent: str = "",
    source: str = "page",
    now: float | None = None,
) -> PlayResult:
    """Count one play if the token is genuine, old enough, and not a repeat. No SQL runs here."""
    parsed = _parse(token)
    if parsed is None:
        return PlayResult(False, "invalid")
    release_id, listener, issued, threshold, nonce = parsed
    now = now if now is not None else time.time()
    age = now - issued
    if age > TOKEN_TTL_SECONDS or age < -60:
        return PlayResult(False, "expired")
    kind = listener[:1]
    if kind == "u" and (user_id is None or listener_of(user_id, None) != listener):
        return PlayResult(False, "wrong_listener")
    if kind == "a" and (user_id is None and listener_of(None, anon_id) != listener):
        return PlayResult(False, "wrong_listener")
    if age < threshold:
        return PlayResult(False, "too_early", retry_after=max(1, int(threshold - age + 0.999)))
    ip_hash = _hash(ip or "-", "play-ip")
    if kind == "u":
        who = listener
    elif kind == "a":
        who = f"{listener}:{ip_hash}"
    else:
        who = f"e:{ip_hash}:{_hash(user_agent[:300], 'play-ua', 8)}"
    source = source if source in SOURCES else "page"
    client = redis_client()
    keys = [
        key("social", "play-nonce", nonce),
        key("social", "play-seen", release_id, who),
        key("social", "play-ipcap", release_id, ip_hash),
        key("rl", "social", "plays", ip_hash),
        stream_key(),
        pending_key(),
    ]
    args = [release_id, str(user_id or ""), _hash(who, "play-listener"), source, "0" if kind == "u" else "1"]
    sha = await _script_sha(client)
    try:
        code, ttl = await client.evalsha(sha, len(keys), *keys, *args)  # type: ignore[misc,arg-type]
    except Exception as exc:
        if "NOSCRIPT" not in str(exc):
            raise
        _forget_script()
        code, ttl = await client.evalsha(await _script_sha(client), len(keys), *keys, *args)  # type: ignore[misc,arg-type]
    reason = _OUTCOMES[int(code)]
    return PlayResult(
        reason == "counted", reason, retry_after=max(0, int(ttl)) if reason == "rate_limited" else 0
    )


async def _script_sha(client: Any) -> str:
    """Load the report script written with the current limits (tests and benchmarks change them)."""
    global _script
    limits = (
        WINDOW_SECONDS,
        TOKEN_TTL_SECONDS,
        ANON_PLAYS_PER_IP_PER_WINDOW,
        REPORTS_PER_MINUTE_PER_IP,
        STREAM_MAXLEN,
    )
    if _script is None or _script[0] != limits:
        text = _REPORT % dict(zip(("window", "token_ttl", "cap", "rate", "maxlen"), limits, strict=True))
        _script = (limits, await client.script_load(text))
    return _script[1]


def _forget_script() -> None:
    global _script
    _script = None


def stream_key() -> str:
    return key("social", "plays")


def pending_key() -> str:
    return key("social", "plays-pending")


async def pending_counts(release_public_ids: list[str]) -> dict[str, int]:
    """Plays counted but not yet aggregated, per release."""
    if not release_public_ids:
        return {}
    values = await redis_client().hmget(pending_key(), release_public_ids)  # type: ignore[misc]
    found = {rid: int(v) for rid, v in zip(release_public_ids, values, strict=True) if v}
    return {rid: n for rid, n in found.items() if n > 0}


# ----------------------------------------------------------------------------- aggregation

GROUP = "aggregator"


def _consumer() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def _ensure_group() -> None:
    try:
        await redis_client().xgroup_create(stream_key(), GROUP, id="0", mkstream=True)
    except Exception as exc:
        if "BUSYGROUP" not in str(exc):
            raise


async def _read_batch(batch: int) -> list[tuple[bytes, dict[bytes, bytes]]]:
    client = redis_client()
    consumer = _consumer()
    found: dict[bytes, dict[bytes, bytes]] = {}
    # Entries a crashed aggregator read but never acknowledged, then our own, then new ones.
    claimed = await client.xautoclaim(
        stream_key(), GROUP, consumer, min_idle_time=30_000, start_id="0-0", count=batch
    )
    for entry_id, fields in claimed[1] if claimed else []:
        if fields:
            found[entry_id] = fields
    for start in ("0", ">"):
        if len(found) >= batch:
            break
        answer = await client.xreadgroup(GROUP, consumer, {stream_key(): start}, count=batch - len(found))
        for _stream, entries in answer or []:
            for entry_id, fields in entries:
                if fields:
                    found[entry_id] = fields
    return list(found.items())


def _played_at(entry_id: bytes) -> datetime:
    millis = int(entry_id.decode().split("-", 1)[0])
    return datetime.fromtimestamp(millis / 1000, UTC)


async def flush(batch: int = 5000) -> int:
    """Move counted plays from the stream into the tables; returns how many were new."""
    if not await redis_client().exists(stream_key()):
        return 0
    await _ensure_group()
    entries = await _read_batch(batch)
    if not entries:
        return 0
    new = await store(entries)
    await _acknowledge(entries)
    return new


async def store(entries: list[tuple[bytes, dict[bytes, bytes]]]) -> int:
    """Append the plays and add them to the counters, in one transaction. Writing the same entries
    twice (a crash between this and the acknowledgement) counts them once: ``entry_id`` is unique
    and only the rows actually inserted are added up."""
    public_ids = sorted({fields[b"r"].decode() for _id, fields in entries})
    ids = {
        r["public_id"]: r["id"]
        for r in await Release.select(Release.id, Release.public_id).where(
            Release.public_id.is_in(public_ids)
        )
    }
    rows = []
    for entry_id, fields in entries:
        release_id = ids.get(fields[b"r"].decode())
        if release_id is None:
            continue
        user = fields.get(b"u", b"").decode()
        rows.append(
            Play(
                entry_id=entry_id.decode(),
                release_id=release_id,
                user_id=int(user) if user else None,
                listener=fields.get(b"l", b"").decode()[:32],
                source=fields.get(b"s", b"page").decode()[:10],
                played_at=_played_at(entry_id),
            )
        )
    if not rows:
        return 0
    async with db.transaction():
        inserted = (
            await Play.insert(*rows)
            .on_conflict(target=Play.entry_id, action="DO NOTHING")
            .returning(Play.release_id, Play.played_at)
        )
        per_release = Counter(r["release_id"] for r in inserted)
        per_day = Counter((r["release_id"], _day(r["played_at"])) for r in inserted)
        if per_release:
            await _add(
                "INSERT INTO social_release_stats (release_id, plays, likes, reposts, comments) "
                "VALUES {rows} ON CONFLICT (release_id) "
                "DO UPDATE SET plays = social_release_stats.plays + excluded.plays",
                [(rid, n, 0, 0, 0) for rid, n in sorted(per_release.items())],
            )
        if per_day:
            await _add(
                "INSERT INTO social_play_daily (release_id, day, plays) VALUES {rows} "
                "ON CONFLICT (release_id, day) "
                "DO UPDATE SET plays = social_play_daily.plays + excluded.plays",
                [(rid, day, n) for (rid, day), n in sorted(per_day.items())],
            )
    return len(inserted)


async def _acknowledge(entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
    """Acknowledge the batch and take it off the pending counters, atomically."""
    by_release = Counter(fields[b"r"].decode() for _id, fields in entries)
    pipe = redis_client().pipeline(transaction=True)
    pipe.xack(stream_key(), GROUP, *[entry_id for entry_id, _ in entries])
    pipe.xdel(stream_key(), *[entry_id for entry_id, _ in entries])
    for rid, n in by_release.items():
        pipe.hincrby(pending_key(), rid, -n)
    await pipe.execute()


def _day(value: Any) -> Any:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).date() if value.tzinfo else value.date()


async def _add(sql: str, values: list[tuple[Any, ...]]) -> None:
    """A multi-row upsert that adds to the existing counts (PostgreSQL and SQLite both speak it)."""
    width = len(values[0])
    marks = ", ".join("(" + ", ".join("{}" for _ in range(width)) + ")" for _ in values)
    args = [v for row in values for v in row]
    await ReleaseStats.raw(sql.replace("{rows}", marks), *args)


async def stored_plays(release_id: int) -> int:
    row = await ReleaseStats.select(ReleaseStats.plays).where(ReleaseStats.release_id == release_id).first()
    return int(row["plays"]) if row else 0


async def daily(release_id: int, since: Any) -> list[dict[str, Any]]:
    return await PlayDaily.select(PlayDaily.day, PlayDaily.plays).where(
        PlayDaily.release_id == release_id, PlayDaily.day >= since
    )
