"""Outside Cadenza: the embeddable player (framable by any site, with its own small CSP), oEmbed,
and the play-counting endpoint every player reports to."""

from __future__ import annotations

import json
from typing import Any

from litestar import MediaType, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from backend.core import i18n, ratelimit
from backend.core.errors import DomainError
from backend.social import services as social
from web import sessions
from web.auth import authenticate, client_ip
from web.operations import run_operation
from web.render import environment, page_context

# The embed may be framed anywhere, and may do nothing but play: no forms, no other origins.
EMBED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; frame-ancestors *; base-uri 'none'; form-action 'none'"
)
_NO_STORE = {"Cache-Control": "no-store"}


@get("/embed/tracks/{track_id:str}", name="embed_track")
async def embed_track(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    i18n.current_locale.set(page.locale)
    key = request.query_params.get("k") or None
    result = await run_operation(request, "EmbedTrack", {"id": track_id, "key": key})
    if result.errors or not result.data or not result.data.get("release"):
        return Response(
            "<!doctype html><title>404</title>",
            status_code=404,
            media_type=MediaType.HTML,
            headers={"Content-Security-Policy": EMBED_CSP},
        )
    # Rendered directly (not through ``render``): an embed must not consume the visitor's flashes.
    body = (
        environment()
        .get_template("social/embed.html")
        .render(
            page=page,
            locale=page.locale,
            r=result.data["release"],
            theme=social.sharing.clean_theme(request.query_params.get("theme")),
            color=social.sharing.clean_color(request.query_params.get("color")),
        )
    )
    return Response(
        body,
        media_type=MediaType.HTML,
        headers={
            "Content-Security-Policy": EMBED_CSP,
            "Cache-Control": "private, no-store",
            "Vary": "Cookie",
        },
    )


@get("/oembed", name="oembed", cache=False)
async def oembed(request: Request[Any, Any, Any]) -> Response[Any]:
    params = request.query_params
    page = await page_context(request)

    def number(name: str) -> int | None:
        value = params.get(name, "")
        return int(value) if value.isdigit() else None

    try:
        answer = await social.sharing.oembed(
            None,
            params.get("url", ""),
            maxwidth=number("maxwidth"),
            maxheight=number("maxheight"),
            fmt=params.get("format", "json"),
        )
    except DomainError as exc:
        status = 501 if exc.code == "OEMBED_FORMAT" else 404
        from backend.core.i18n import t

        return Response(
            {"error": {"code": exc.code, "message": t(exc.key, page.locale, **exc.params)}},
            status_code=status,
            headers={"Access-Control-Allow-Origin": "*"},
        )
    return Response(
        answer, headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"}
    )


async def _listener(request: Request[Any, Any, Any]) -> int | None:
    """Who is reporting, as cheaply as possible: the session (one Redis read), or an API key."""
    if request.headers.get("authorization"):
        auth = await authenticate(request)
        return auth.actor.user_id if auth.actor else None
    session = await sessions.load_session(request)
    return session.user_id if session is not None else None


@post("/plays", name="plays", opt={"exclude_from_csrf": True}, status_code=200, request_max_body_size=4096)
async def report_play(request: Request[Any, Any, Any]) -> Response[Any]:
    """``{"token": …, "source": "page|mini|embed"}`` → ``{"counted", "reason", "retryAfter"}``.

    The token is a capability (signed, bound to the listener, single use), so no CSRF token is needed.
    """
    try:
        body = json.loads(await request.body())
        token = str(body["token"])
        source = str(body.get("source") or "page")
    except (ValueError, KeyError, TypeError):
        return Response(
            {"counted": False, "reason": "invalid", "retryAfter": 0}, status_code=400, headers=_NO_STORE
        )
    result = await social.plays.report(
        token,
        user_id=await _listener(request),
        anon_id=request.cookies.get(social.plays.ANON_COOKIE),
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
        source=source,
    )
    status = {"rate_limited": 429, "invalid": 400, "expired": 400, "wrong_listener": 403}.get(
        result.reason, 200
    )
    headers = dict(_NO_STORE)
    if result.reason == "rate_limited":
        headers["Retry-After"] = str(result.retry_after or 60)
    return Response(
        {"counted": result.counted, "reason": result.reason, "retryAfter": result.retry_after},
        status_code=status,
        headers=headers,
    )


@post(
    "/plays/token",
    name="play_token",
    opt={"exclude_from_csrf": True},
    status_code=200,
    request_max_body_size=4096,
)
async def play_token(request: Request[Any, Any, Any]) -> Response[Any]:
    """A fresh token for a player left open longer than a token lives."""
    allowed, retry = await ratelimit.hit(f"social:play-token:{client_ip(request)}", 60, 60)
    if not allowed:
        return Response(
            {"error": "rate_limited"}, status_code=429, headers={"Retry-After": str(retry), **_NO_STORE}
        )
    try:
        body = json.loads(await request.body())
        track_id, key = str(body["track"]), body.get("key")
    except (ValueError, KeyError, TypeError):
        return Response({"error": "invalid"}, status_code=400, headers=_NO_STORE)
    result = await run_operation(
        request, "EmbedTrack", {"id": track_id, "key": key if isinstance(key, str) else None}
    )
    release = (result.data or {}).get("release")
    if result.errors or not release or not release["stream"]:
        raise NotFoundException()
    stream = release["stream"]
    return Response(
        {"token": stream["playToken"], "url": stream["url"], "threshold": stream["threshold"]},
        headers=_NO_STORE,
    )


route_handlers = [embed_track, oembed, report_play, play_token]
