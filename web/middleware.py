"""One ASGI middleware for every request: request id, structured access log, metrics,
security headers, and the session cookie. One layer is cheaper than five."""

from __future__ import annotations

import logging
import time
import uuid

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Histogram

from backend.core.logs import request_id_var
from backend.core.settings import get_settings
from web.sessions import _STATE as SESSION_STATE
from web.sessions import COOKIE, save_session

log = logging.getLogger("cadenza.access")

REQUESTS = Counter("cadenza_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "cadenza_http_request_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self' ws: wss:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), geolocation=(), microphone=(self)"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def _session_cookie_header(scope: Scope) -> bytes | None:
    state = scope.get("state") or {}
    if SESSION_STATE not in state:
        return None
    session = state[SESSION_STATE]
    cookie_header = ""
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookie_header = value.decode("latin-1")
    current = None
    for part in cookie_header.split(";"):
        k, _, v = part.strip().partition("=")
        if k == COOKIE:
            current = v
    security = get_settings().security
    if session is None:
        return f"{COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax".encode() if current else None
    if current == session.token:
        return None
    secure = "; Secure" if security.cookie_secure else ""
    max_age = security.session_ttl_seconds
    return f"{COOKIE}={session.token}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}".encode()


class CadenzaMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming[:64] if incoming.isascii() and incoming else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        status_holder = [500]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers.append((b"x-request-id", request_id.encode()))
                for name, value in _SECURITY_HEADERS:
                    if name not in names:
                        headers.append((name, value))
                # A handler that sets its own CSP (the embeddable player) also decides framing.
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                    headers.append((b"x-frame-options", b"DENY"))
                state = scope.get("state") or {}
                session = state.get(SESSION_STATE)
                if session is not None and session.dirty:
                    await save_session(session)
                cookie = _session_cookie_header(scope)
                if cookie:
                    headers.append((b"set-cookie", cookie))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            REQUESTS.labels(scope["method"], route, str(status_holder[0])).inc()
            LATENCY.labels(route).observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status_holder[0],
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)


def cadenza_middleware(app: ASGIApp) -> ASGIApp:
    return CadenzaMiddleware(app)


def current_request_id() -> str:
    return request_id_var.get()
