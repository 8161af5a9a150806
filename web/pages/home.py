"""The home page."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from web.operations import query
from web.render import render


@get("/", name="home")
async def home(request: Request[Any, Any, Any]) -> Response[Any]:
    data = await query(request, "HomePage")
    return await render(request, "home/page.html", me=data["viewer"])


route_handlers = [home]
