"""One collaborator's live view of a project: the events behind the ``projectEvents`` subscription.

Registered on the project's channels *before* reading its state, so nothing falls between the
first ``synced`` event and the stream. Commits are delivered gap-free and in revision order: a
commit that arrives ahead of one still in flight between processes (or after one this subscriber
lost to a full queue) makes the stream read the missing ones from the log first, and a commit seen
twice is delivered once. So a client can apply what it receives in order, without bookkeeping.

Access is re-checked on every event: a Redis counter of membership changes is compared (one read
per project and process per 100 ms at most, and always fresh on a membership event), and the role
is read again when it moved (and every ``RECHECK_SECONDS`` regardless). Someone removed
gets a last ``revoked`` event and the stream ends. A client id given by the subscriber is its
presence: when the stream ends (the tab closed), it leaves at once; anyone quiet longer than the
presence TTL is announced as gone by every stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from backend.accounts import services as accounts
from backend.audio import services as audio
from backend.collab import channels, history, presence, roles
from backend.core import events
from backend.core.actor import Actor
from backend.core.errors import NotFound
from backend.core.redis import key, redis_client
from backend.core.settings import get_settings

RECHECK_SECONDS = 10.0
TICK_SECONDS = 1.0


def membership_version_key(project_id: str) -> str:
    return key("collab", "members", project_id)


# The membership counter as this process last read it: the streams of one project in one process
# share a read for VERSION_TTL seconds (a membership event makes the next read fresh).
VERSION_TTL = 0.1
_versions: dict[str, tuple[float, Any]] = {}


async def _membership_version(project_id: str, *, fresh: bool = False) -> Any:
    now = time.monotonic()
    known = _versions.get(project_id)
    if not fresh and known is not None and now - known[0] < VERSION_TTL:
        return known[1]
    value = await redis_client().get(membership_version_key(project_id))
    _versions[project_id] = (now, value)
    if len(_versions) > 10_000:  # forget quiet projects
        for name in [n for n, (at, _) in _versions.items() if now - at > 60]:
            del _versions[name]
    return value


async def bump_membership(project_id: str) -> None:
    """Called after every change of who is in a project (before announcing it)."""
    await redis_client().incr(membership_version_key(project_id))


async def _role(actor: Actor, project_id: str) -> str | None:
    try:
        project = await audio.get_project(actor, project_id)
    except NotFound:
        return None
    return await roles.role_of(actor, project)


async def _missing(actor: Actor, project_id: str, after: int, upto: int) -> list[dict[str, Any]]:
    """Commits (after, upto] rebuilt from the log, one event per batch."""
    rows = await history.log_rows(actor, project_id, after, upto)
    authors = {
        u["id"]: u["public_id"]
        for u in await accounts.get_users(list({r["author_id"] for r in rows if r["author_id"]}))
    }
    found: list[dict[str, Any]] = []
    for row in rows:
        last = found[-1] if found else None
        if (
            last is not None
            and last["batch_id"] == row["batch_id"]
            and last["revision"] == row["revision"] - 1
        ):
            last["operations"].append(row["payload"])
            last["revision"] = row["revision"]
            continue
        found.append(
            {
                "type": "operations",
                "project": project_id,
                "base_revision": row["revision"] - 1,
                "revision": row["revision"],
                "batch_id": row["batch_id"],
                "author": authors.get(row["author_id"]),
                "operations": [row["payload"]],
            }
        )
    return found


async def project_events(
    actor: Actor, project_id: str, client_id: str | None = None, after_revision: int | None = None
) -> AsyncIterator[dict[str, Any]]:
    if client_id:
        presence.check_client_id(client_id)
    ttl = get_settings().collab.presence_ttl_seconds
    watched = (
        channels.commits(project_id),
        channels.project(project_id),
        channels.person(project_id, actor.public_id),
    )
    async with events.listen(*watched) as queue:
        version = await _membership_version(project_id, fresh=True)
        project = await audio.get_project(actor, project_id)
        role = await roles.role_of(actor, project)
        people = {(p["user"]["id"], p["client_id"]): p for p in await presence.current(project_id)}
        last = int(project["revision"])
        # A reconnecting client names the last revision it has: it gets the commits it missed
        # (within the transform window; further behind, it starts again from the document).
        window = get_settings().collab.transform_window
        resume = (
            after_revision if after_revision is not None and 0 <= last - after_revision <= window else None
        )
        # The synced event's own top level of the document, emptied once it has been sent: the
        # GraphQL layers above keep the last event (and its result) until the next one comes, which
        # in a quiet project is never, so a long-lived stream keeps no copy of the document.
        document = dict(project["document"])
        del project
        yield {
            "type": "synced",
            "project": project_id,
            "revision": last,
            "document": document,
            "role": role,
            "presence": list(people.values()),
            "resumed_from": resume,
        }
        # Asked for the next event, so the synced one is out (each layer sends before it asks).
        document.clear()
        del document
        if resume is not None and resume < last:
            for missed in await _missing(actor, project_id, resume, last):
                yield missed
        checked = time.monotonic()
        try:
            while True:
                # Wake up on the next event, or when the first person here goes quiet too long; a
                # stream with nobody else present just waits (no timer per subscriber).
                expiry = min((float(e.get("seen", 0)) + ttl for e in people.values()), default=None)
                event: dict[str, Any] | None
                if expiry is None:
                    event = await queue.get()
                else:
                    try:  # a timer on this task, not a task per wait as wait_for() would make
                        async with asyncio.timeout(max(TICK_SECONDS, expiry - time.time())):
                            event = await queue.get()
                    except TimeoutError:
                        event = None
                now = time.time()
                for who, entry in list(people.items()):
                    if now - float(entry.get("seen", 0)) > ttl:
                        del people[who]
                        yield presence.left_event(*who)
                current_version = await _membership_version(
                    project_id, fresh=event is not None and event.get("type") == "membership"
                )
                if current_version != version or time.monotonic() - checked > RECHECK_SECONDS:
                    version, checked = current_version, time.monotonic()
                    role = await _role(actor, project_id)
                    if role is None:
                        yield {"type": "revoked", "project": project_id}
                        return
                if event is None:
                    continue
                kind = event.get("type")
                if kind == "operations":
                    if event["revision"] <= last:
                        continue  # seen already (read from the log ahead of its own event)
                    if event["base_revision"] > last:
                        for missing in await _missing(actor, project_id, last, event["base_revision"]):
                            yield missing
                    last = event["revision"]
                    yield event
                elif kind == "presence":
                    who = (event["user"]["id"], event["client_id"])
                    if event.get("left"):
                        people.pop(who, None)
                    else:
                        people[who] = event
                    if who != (actor.public_id, client_id):
                        yield event
                elif kind == "signal":
                    if event.get("to_client_id") in (None, client_id):
                        yield event
                elif kind == "membership":
                    yield {**event, "your_role": role}
                elif kind in ("comment", "snapshot", "dropped"):
                    yield event
        finally:
            if client_id:
                with contextlib.suppress(Exception):
                    await asyncio.shield(presence.leave(project_id, actor.public_id, client_id))
