"""``create_app()``: the one Litestar application."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.static_files import create_static_files_router

from backend.accounts import services as accounts
from backend.billing import services as billing
from backend.core import db, events, i18n, jobs
from backend.core.logs import configure_logging
from backend.core.redis import close_redis
from backend.core.settings import get_settings
from web import health, media
from web.errors import exception_handlers
from web.graphql_http import graphql_http
from web.graphql_ws import make_websocket_controller
from web.middleware import cadenza_middleware
from web.render import STATIC_DIR

log = logging.getLogger(__name__)

# /stripe-sandbox: the bundled Stripe test server, mounted when no Stripe keys are set; the SDK
# posts forms to it without our CSRF token, like to Stripe.
CSRF_EXCLUDE = [
    "/graphql",
    "/uploads",
    "/webhooks",
    "/media",
    "/healthz",
    "/readyz",
    "/metrics",
    "/embed",
    "/stripe-sandbox",
]


def page_route_handlers() -> list[Any]:
    """Every ``web/pages/<domain>.py`` exposes ``route_handlers``; no central list to edit."""
    handlers: list[Any] = []
    root = Path(__file__).parent / "pages"
    for module in sorted(pkgutil.iter_modules([str(root)]), key=lambda m: m.name):
        handlers.extend(importlib.import_module(f"web.pages.{module.name}").route_handlers)
    return handlers


@contextlib.asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    await db.start_pool()
    key_watcher = asyncio.create_task(accounts.watch_api_key_changes(), name="api-key-watcher")
    # Objects alive after start-up never die: keep them out of the collector's way.
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        key_watcher.cancel()
        with contextlib.suppress(BaseException):
            await key_watcher
        # Webhooks already handed in are stored (and their jobs enqueued) while the pools are open.
        await billing.close_webhook_inbox()
        await events.close_hub()
        await jobs.close_arq_pool()
        await close_redis()
        await db.close_pool()


def create_app(extra_lifespans: Sequence[Any] = ()) -> Litestar:
    """The app; ``cadenza dev`` adds a lifespan that runs the workers in the same event loop."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    i18n.load_catalogues()
    jobs.discover_jobs()
    return Litestar(
        route_handlers=[
            graphql_http,
            make_websocket_controller(),
            *health.route_handlers,
            *media.route_handlers,
            *page_route_handlers(),
            create_static_files_router(
                path="/static", directories=[STATIC_DIR], name="static", cache_control=None
            ),
        ],
        middleware=[cadenza_middleware],
        csrf_config=CSRFConfig(
            secret=settings.security.secret_key,
            cookie_name="csrftoken",
            header_name="x-csrftoken",
            cookie_secure=settings.security.cookie_secure,
            cookie_samesite="lax",
            exclude=CSRF_EXCLUDE,
        ),
        lifespan=[lifespan, *extra_lifespans],
        exception_handlers=exception_handlers,
        request_max_body_size=settings.security.max_request_body_bytes,
        debug=settings.debug,
        openapi_config=None,
        logging_config=None,  # configure_logging() owns logging: JSON lines with the request id
    )
