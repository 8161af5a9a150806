"""Jinja2 rendering for pages and their HTMX fragments (one template, named blocks)."""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2_fragments import render_block
from litestar import MediaType, Request, Response
from litestar.utils.scope.state import ScopeState

from backend.core import i18n
from backend.core.actor import Actor
from backend.core.settings import REPO_ROOT, get_settings
from backend.intelligence.key_names import key_label
from web import sessions
from web.auth import authenticate
from web.locale import negotiate

TEMPLATES_DIR = REPO_ROOT / "templates"
STATIC_DIR = REPO_ROOT / "web" / "static"
_PAGE_STATE = "cadenza_page"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class PageContext:
    request: Request[Any, Any, Any]
    actor: Actor | None
    locale: str
    time_zone: str
    flashes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def csrf_token(self) -> str:
        token = ScopeState.from_scope(self.request.scope).csrf_token
        return token if isinstance(token, str) else ""


async def page_context(request: Request[Any, Any, Any]) -> PageContext:
    """Who is looking and in which language; computed once per request."""
    state = request.scope.setdefault("state", {})
    if _PAGE_STATE in state:
        return state[_PAGE_STATE]
    auth = await authenticate(request, allow_key=False)
    locale = negotiate(request, auth.actor)
    i18n.current_locale.set(locale)
    ctx = PageContext(
        request=request,
        actor=auth.actor,
        locale=locale,
        time_zone=auth.actor.time_zone if auth.actor else "UTC",
    )
    state[_PAGE_STATE] = ctx
    return ctx


@lru_cache(maxsize=256)
def _static_hash(path: str) -> str:
    full = STATIC_DIR / path
    try:
        return hashlib.sha256(full.read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(path: str) -> str:
    """A cache-busting URL: the file's hash changes the query when its content changes."""
    return f"/static/{path}?v={_static_hash(path)}"


def _t(key: str, **params: Any) -> str:
    count = params.pop("count", None)
    return i18n.t(key, count=count, **params)


def _zone_of(ctx: Any) -> str:
    page = ctx.get("page")
    return getattr(page, "time_zone", None) or "UTC"


@pass_context
def _fmt_datetime(ctx: Any, value: Any, fmt: str = "medium") -> str:
    value = _parse_dt(value)
    return "" if value is None else i18n.format_datetime(value, tz=_zone_of(ctx), fmt=fmt)


@pass_context
def _fmt_date(ctx: Any, value: Any, fmt: str = "medium") -> str:
    value = _parse_dt(value)
    return "" if value is None else i18n.format_date(value, tz=_zone_of(ctx), fmt=fmt)


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _parse_dt(value: Any) -> datetime | None:
    if isinstance(value, datetime) or value is None:
        return value
    return datetime.fromisoformat(str(value))


@lru_cache(maxsize=1)
def environment() -> Environment:
    settings = get_settings()
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=settings.debug,
    )
    env.globals.update(
        t=_t,
        static=static_url,
        LOCALES=i18n.LOCALES,
        LOCALE_NAMES=i18n.LOCALE_NAMES,
        debug=settings.debug,
        dev_mailbox=settings.dev_mailbox,
        billing_sandbox=settings.stripe.sandbox,
        base_url=settings.base_url,
    )
    env.filters.update(
        money=lambda amount, currency: i18n.format_money(int(amount), currency),
        number=lambda value: i18n.format_number(value),
        datetime=_fmt_datetime,
        date=_fmt_date,
        duration=_fmt_duration,
        percent=lambda value: f"{round(float(value) * 100)}%",
        zip_names=lambda codes: [(c, i18n.LOCALE_NAMES[c]) for c in codes],
        zip_self=lambda values: [(v, v) for v in values],
        region_options=lambda regions: [(r, i18n.t(f"accounts.regions.{r}")) for r in regions],
        key=lambda value: key_label(str(value), i18n.current_locale.get()),  # a musical key
    )
    return env


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def is_boosted(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-boosted") == "true"


def _render(
    request: Request[Any, Any, Any],
    page: PageContext,
    template: str,
    *,
    status: int,
    fragment: str | None,
    headers: dict[str, str] | None,
    context: dict[str, Any],
) -> Response[str]:
    i18n.current_locale.set(page.locale)
    values = {
        "page": page,
        "viewer": page.actor,
        "locale": page.locale,
        "csrf_token": page.csrf_token,
        "url_for": request.app.route_reverse,
        "current_path": request.url.path,
        "current_url": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        **context,
    }
    env = environment()
    if fragment is not None:
        body = render_block(env, template, fragment, **values)
    else:
        body = env.get_template(template).render(**values)
    return Response(
        body,
        status_code=status,
        media_type=MediaType.HTML,
        headers={
            "Vary": "HX-Request, Cookie, Accept-Language",
            "Content-Language": page.locale,
            **(headers or {}),
        },
    )


async def render(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status: int = 200,
    block: str | None = None,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response[str]:
    """Render ``template``; an HTMX request for a fragment gets only ``block``.

    Boosted navigation (hx-boost) gets the whole page; htmx picks out what it swaps.
    """
    page = await page_context(request)
    fragment = block if block and is_htmx(request) and not is_boosted(request) else None
    if fragment is None:
        page.flashes = await sessions.pop_flashes(request)
    return _render(
        request, page, template, status=status, fragment=fragment, headers=headers, context=context
    )


def render_sync(
    request: Request[Any, Any, Any], template: str, *, status: int = 200, **context: Any
) -> Response[str]:
    """For exception handlers, which Litestar calls synchronously: the page context computed
    earlier in the request if there is one, else an anonymous one."""
    page = request.scope.get("state", {}).get(_PAGE_STATE)
    if page is None:
        page = PageContext(request=request, actor=None, locale=negotiate(request, None), time_zone="UTC")
    return _render(request, page, template, status=status, fragment=None, headers=None, context=context)


def render_fragment(template: str, block: str, **context: Any) -> str:
    """A block rendered outside any request (for server-sent events)."""
    return render_block(environment(), template, block, **context)


_CSRF_MARK = "\x00csrf\x00"
_anonymous_pages: dict[tuple[str, str, str], tuple[float, str, dict[str, str]]] = {}


def forget_cached_pages() -> None:
    _anonymous_pages.clear()


def cached_for_anonymous(seconds: float) -> Callable[[F], F]:
    """Serve a page to visitors without a session from a short per-process cache.

    Only the CSRF token differs between anonymous visitors, so it is stored as a marker and put
    back per request. Signed-in users, HTMX requests and anything but a 200 are never cached.
    """

    def decorate(handler: F) -> F:
        @functools.wraps(handler)
        async def wrapper(request: Request[Any, Any, Any], *args: Any, **kwargs: Any) -> Any:
            if request.cookies.get(sessions.COOKIE) or is_htmx(request):
                return await handler(request, *args, **kwargs)
            token = ScopeState.from_scope(request.scope).csrf_token
            token = token if isinstance(token, str) else ""
            key = (request.url.path, request.url.query, negotiate(request, None))
            now = time.monotonic()
            hit = _anonymous_pages.get(key)
            if hit is not None and hit[0] > now and token:
                return Response(hit[1].replace(_CSRF_MARK, token), media_type=MediaType.HTML, headers=hit[2])
            response = await handler(request, *args, **kwargs)
            body = response.content
            if response.status_code == 200 and token and isinstance(body, str) and token in body:
                headers = {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}
                _anonymous_pages[key] = (now + seconds, body.replace(token, _CSRF_MARK), headers)
            return response

        return wrapper  # type: ignore[return-value]

    return decorate
