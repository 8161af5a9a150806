"""The home feed (releases and reposts from people you follow, with the starter feed for new
listeners) and the discover page (search public releases, or browse what is popular)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from backend.core.settings import get_settings
from web.operations import query, run_operation
from web.pages.accounts import login_redirect
from web.pages.social_common import mint_listener, set_listener_cookie
from web.render import page_context, render


@get("/feed", name="feed")
async def feed_page(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    after = request.query_params.get("after")
    data = await query(request, "FeedPage", {"after": after})
    return await render(
        request, "social/feed.html", feed=data["feed"], starter=data["starterFeed"]["nodes"], after=after
    )


@get("/discover", name="discover")
async def discover_page(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    minted = mint_listener(request, page)
    text = (request.query_params.get("q") or "").strip()[:80]
    genre = request.query_params.get("genre") or None
    searching = bool(text or genre)
    result = await run_operation(
        request,
        "DiscoverPage",
        {"query": text, "genre": genre, "after": request.query_params.get("after"), "searching": searching},
    )
    error = None
    data = result.data or {}
    if result.errors:
        # A bad genre or cursor in the address: say so, and show the popular list instead.
        error = result.errors[0].message
        data = await query(
            request, "DiscoverPage", {"query": "", "genre": None, "after": None, "searching": False}
        )
        searching = False
    results = data["releases"] if searching else data["starterFeed"]
    response = await render(
        request,
        "social/discover.html",
        status=400 if error else 200,
        results=results,
        searching=searching,
        query=text,
        genre=genre or "",
        genre_families=data["genreFamilies"],
        error=error,
    )
    set_listener_cookie(response, minted, secure=get_settings().security.cookie_secure)
    return response


route_handlers = [feed_page, discover_page]
