"""The home page."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from web.operations import query
from web.render import cached_for_anonymous, render


@get("/", name="home")
@cached_for_anonymous(seconds=5)
async def home(request: Request[Any, Any, Any]) -> Response[Any]:
    data = await query(request, "HomePage")
    return await render(request, "home/page.html", me=data["viewer"])


route_handlers = [home]
