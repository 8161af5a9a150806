"""The development mailbox: read what Cadenza would have emailed. Off in production."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

from backend.core.settings import get_settings
from web.operations import query
from web.render import render


@get("/dev/mailbox", name="dev_mailbox")
async def dev_mailbox(request: Request[Any, Any, Any]) -> Response[Any]:
    if not get_settings().dev_mailbox:
        raise NotFoundException()
    to = request.query_params.get("to") or None
    data = await query(request, "DevMailbox", {"after": request.query_params.get("after"), "to": to})
    emails = [edge["node"] for edge in data["devMailbox"]["edges"]]
    return await render(
        request,
        "mail/mailbox.html",
        emails=emails,
        page_info=data["devMailbox"]["pageInfo"],
        to=to or "",
        block="emails",
    )


route_handlers = [dev_mailbox]
