"""Error pages: 404 and 500 as translated pages for browsers, JSON for API clients."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.response import Redirect

from backend.core.i18n import t
from web.render import render_sync

log = logging.getLogger(__name__)


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept or request.headers.get("hx-request") == "true"


def _page(request: Request[Any, Any, Any], status: int) -> Response[Any]:
    try:
        return render_sync(request, "errors/page.html", status=status, status_code=status)
    except Exception:  # the error page itself must never fail
        log.exception("error page failed to render")
        return Response(f"{status}", status_code=status, media_type=MediaType.TEXT)


def http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException) and _wants_html(request):
        target = request.url.path
        return Redirect(path=f"{request.app.route_reverse('login')}?next={target}", status_code=303)
    if _wants_html(request) and status in (403, 404, 405):
        return _page(request, status)
    detail = exc.detail if status < 500 else t("common.errors.server")
    return Response({"error": {"status": status, "message": detail}}, status_code=status, headers=exc.headers)


def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    if _wants_html(request):
        return _page(request, 500)
    return Response({"error": {"status": 500, "message": t("common.errors.server")}}, status_code=500)


exception_handlers: dict[Any, Any] = {
    HTTPException: http_exception,
    NotFoundException: http_exception,
    PermissionDeniedException: http_exception,
    500: server_error,
}
