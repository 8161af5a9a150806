"""Who is in a project right now and what they are touching: ephemeral, in Redis.

Each open studio (a *client*: one browser tab or API connection, named by a client id it chooses)
sends a heartbeat every few seconds and whenever its selection or playhead changes. The entry lives
in one Redis hash per project, stamped with the time it was last seen; an entry older than the TTL
is gone (the hash itself expires when the project is quiet). Every change is published on the
project's channel; a client that closes its connection leaves at once (the subscription's clean-up),
one that vanishes without a word is dropped by every subscriber after the TTL.

A flood from one client is refused (``RATE_LIMITED``) per client *and* per person, so it can neither
drown the channel nor starve anyone else's updates, whose buckets are their own.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from backend.collab import channels
from backend.core import ratelimit
from backend.core.actor import Actor
from backend.core.errors import DomainError, RateLimited
from backend.core.redis import key, redis_client
from backend.core.settings import get_settings

COLORS = ("#7c5cff", "#22d3ee", "#34d399", "#fbbf24", "#f87171", "#f472b6", "#a3e635", "#60a5fa")
HASH_TTL_SECONDS = 120
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{6,40}$")
_OBJECT_ID = re.compile(r"^[a-z]{2,4}_[0-9a-z]{4,40}$")


@dataclass(frozen=True, slots=True)
class Selection:
    track_id: str | None = None
    clip_id: str | None = None
    playhead: float | None = None
    in_call: bool = False


def color_of(user_public_id: str) -> str:
    """A person keeps their colour in every project and on every screen."""
    digest = hashlib.sha256(user_public_id.encode()).digest()
    return COLORS[digest[0] % len(COLORS)]


def initials_of(name: str) -> str:
    parts = [p for p in name.replace("_", " ").split() if p]
    letters = "".join(p[0] for p in parts[:2]) or "?"
    return letters.upper()


def check_client_id(client_id: Any) -> str:
    if not isinstance(client_id, str) or not _CLIENT_ID.match(client_id):
        raise DomainError("collab.errors.bad_client_id", field="clientId")
    return client_id


def _clean(selection: Selection) -> Selection:
    for name, value in (("trackId", selection.track_id), ("clipId", selection.clip_id)):
        if value is not None and not _OBJECT_ID.match(value):
            raise DomainError("collab.errors.bad_selection", field=name)
    playhead = selection.playhead
    if playhead is not None and not (0.0 <= playhead <= 3600.0):
        raise DomainError("collab.errors.bad_playhead", field="playhead")
    return selection


def _hash(project_id: str) -> str:
    return key("collab", "presence", project_id)


def _field(actor_public_id: str, client_id: str) -> str:
    return f"{actor_public_id}:{client_id}"


def entry_of(actor: Actor, client_id: str, selection: Selection, seen: float) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "user": {"id": actor.public_id, "name": actor.display_name, "handle": actor.handle},
        "color": color_of(actor.public_id),
        "initials": initials_of(actor.display_name),
        "track_id": selection.track_id,
        "clip_id": selection.clip_id,
        "playhead": selection.playhead,
        "in_call": selection.in_call,
        "seen": seen,
    }


async def update(actor: Actor, project_id: str, client_id: str, selection: Selection) -> dict[str, Any]:
    """Record and announce where ``client_id`` is; refuses a flood with ``RATE_LIMITED``."""
    client_id = check_client_id(client_id)
    selection = _clean(selection)
    per_second = get_settings().collab.presence_updates_per_second
    for bucket, limit in (
        (f"presence:{project_id}:{actor.user_id}:{client_id}", per_second),
        (f"presence:{project_id}:{actor.user_id}", per_second * 3),  # several tabs, not many ids
    ):
        allowed, retry = await ratelimit.hit(bucket, limit, 1)
        if not allowed:
            raise RateLimited(retry)
    entry = entry_of(actor, client_id, selection, time.time())
    client = redis_client()
    async with client.pipeline(transaction=False) as pipe:
        pipe.hset(_hash(project_id), _field(actor.public_id, client_id), json.dumps(entry))
        pipe.expire(_hash(project_id), HASH_TTL_SECONDS)
        await pipe.execute()
    await channels.publish(project_id, {"type": "presence", **entry})
    return entry


async def current(project_id: str) -> list[dict[str, Any]]:
    """Everyone seen within the TTL (stale entries are dropped on the way)."""
    ttl = get_settings().collab.presence_ttl_seconds
    now = time.time()
    found, stale = [], []
    stored = await redis_client().hgetall(_hash(project_id))  # type: ignore[misc]
    for field, raw in stored.items():
        try:
            entry = json.loads(raw)
        except ValueError:
            stale.append(field)
            continue
        if now - float(entry.get("seen", 0)) <= ttl:
            found.append(entry)
        else:
            stale.append(field)
    if stale:
        await redis_client().hdel(_hash(project_id), *stale)  # type: ignore[misc]
    return sorted(found, key=lambda e: (e["user"]["name"], e["client_id"]))


async def leave(project_id: str, user_public_id: str, client_id: str) -> None:
    removed = await redis_client().hdel(_hash(project_id), _field(user_public_id, client_id))  # type: ignore[misc]
    if removed:
        await channels.publish(project_id, left_event(user_public_id, client_id))


async def forget_person(project_id: str, user_public_id: str) -> None:
    """Someone removed from the project leaves from every tab."""
    fields = await redis_client().hkeys(_hash(project_id))  # type: ignore[misc]
    prefix = f"{user_public_id}:".encode()
    for field in fields:
        raw = field if isinstance(field, bytes) else str(field).encode()
        if raw.startswith(prefix):
            await leave(project_id, user_public_id, raw[len(prefix) :].decode())


def left_event(user_public_id: str, client_id: str) -> dict[str, Any]:
    return {"type": "presence", "left": True, "client_id": client_id, "user": {"id": user_public_id}}
