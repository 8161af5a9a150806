"""Server-side sessions in Redis. The cookie holds only a random token."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from litestar import Request

from backend.core.redis import key, redis_client
from backend.core.settings import get_settings
from backend.core.signing import random_token

COOKIE = "cdz_session"
_STATE = "cadenza_session"


@dataclass
class Session:
    token: str
    data: dict[str, Any] = field(default_factory=dict)
    dirty: bool = False

    @property
    def user_id(self) -> int | None:
        return self.data.get("uid")


def _key(token: str) -> str:
    return key("session", token)


def _valid_token(token: str) -> bool:
    return 20 <= len(token) <= 100 and all(c.isalnum() or c in "-_" for c in token)


async def load_session(request: Request[Any, Any, Any]) -> Session | None:
    """The request's session, read from Redis once and kept on the request."""
    state = request.scope.setdefault("state", {})
    if _STATE in state:
        return state[_STATE]
    session = None
    token = request.cookies.get(COOKIE)
    if token and _valid_token(token):
        raw = await redis_client().get(_key(token))
        if raw:
            session = Session(token=token, data=json.loads(raw))
    state[_STATE] = session
    return session


def had_session_cookie(request: Request[Any, Any, Any]) -> bool:
    return bool(request.cookies.get(COOKIE))


async def ensure_session(request: Request[Any, Any, Any]) -> Session:
    session = await load_session(request)
    if session is None:
        session = Session(token=random_token(32), dirty=True)
        request.scope["state"][_STATE] = session
    return session


async def save_session(session: Session) -> None:
    ttl = get_settings().security.session_ttl_seconds
    await redis_client().set(_key(session.token), json.dumps(session.data), ex=ttl)
    session.dirty = False


async def start_session(request: Request[Any, Any, Any], user_id: int) -> Session:
    """A fresh token at every log-in (no session fixation); flashes carry over."""
    old = await load_session(request)
    flashes = old.data.get("flash", []) if old else []
    if old is not None:
        await redis_client().delete(_key(old.token))
    session = Session(token=random_token(32), data={"uid": user_id, "flash": flashes}, dirty=True)
    request.scope["state"][_STATE] = session
    await save_session(session)
    return session


async def end_session(request: Request[Any, Any, Any]) -> None:
    session = await load_session(request)
    if session is not None:
        await redis_client().delete(_key(session.token))
    request.scope["state"][_STATE] = None


async def flash(request: Request[Any, Any, Any], level: str, key_: str, **params: Any) -> None:
    session = await ensure_session(request)
    session.data.setdefault("flash", []).append({"level": level, "key": key_, "params": params})
    await save_session(session)


async def pop_flashes(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    session = await load_session(request)
    if session is None or not session.data.get("flash"):
        return []
    flashes = session.data.pop("flash")
    await save_session(session)
    return flashes
