"""Who is calling: an API key in ``Authorization: Bearer``, or the session cookie."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection

from backend.accounts import services as accounts
from backend.core.actor import Actor
from web import sessions

_STATE = "cadenza_auth"


@dataclass(frozen=True, slots=True)
class Auth:
    actor: Actor | None
    via: str  # "key", "session" or "none"
    # A credential was offered but is wrong, revoked or expired.
    rejected: bool = False


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    client = connection.scope.get("client")
    return client[0] if client else ""


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any], *, allow_key: bool = True) -> Auth:
    state = connection.scope.setdefault("state", {})
    if _STATE in state:
        return state[_STATE]
    auth = await _authenticate(connection, allow_key)
    state[_STATE] = auth
    return auth


async def _authenticate(connection: ASGIConnection[Any, Any, Any, Any], allow_key: bool) -> Auth:
    header = connection.headers.get("authorization", "")
    if header and allow_key:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret:
            return Auth(None, "key", rejected=True)
        actor = await accounts.authenticate_api_key(secret)
        return Auth(actor, "key", rejected=actor is None)
    session = await sessions.load_session(connection)  # type: ignore[arg-type]
    if session is None:
        return Auth(None, "none", rejected=sessions.had_session_cookie(connection))  # type: ignore[arg-type]
    if session.user_id is None:
        return Auth(None, "none")
    actor = await accounts.actor_for_user(session.user_id)
    return Auth(actor, "session", rejected=actor is None)


async def authenticate_token(secret: str) -> Actor | None:
    return await accounts.authenticate_api_key(secret)
