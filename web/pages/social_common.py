"""Helpers shared by the community pages (no routes of its own)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response
from litestar.exceptions import NotFoundException

from backend.core.i18n import t
from backend.core.signing import random_token
from backend.graphql.social.types import LISTENER_STATE
from backend.social.services import plays
from web import sessions
from web.forms import redirect, safe_next
from web.render import PageContext

route_handlers: list[Any] = []

LISTENER_MAX_AGE = 365 * 24 * 3600


def handle_of(at_handle: str) -> str:
    """``@name`` from the path → ``name``; anything else is not a profile address."""
    if not at_handle.startswith("@") or not 2 <= len(at_handle) <= 41:
        raise NotFoundException()
    return at_handle[1:].lower()


def profile_path(handle: str) -> str:
    return f"/@{handle}"


def mint_listener(request: Request[Any, Any, Any], page: PageContext) -> str | None:
    """An anonymous listener gets a random id cookie, so their plays count once per half hour."""
    if page.actor is not None or request.cookies.get(plays.ANON_COOKIE):
        return None
    minted = random_token(16)
    request.scope.setdefault("state", {})[LISTENER_STATE] = minted
    return minted


def set_listener_cookie(response: Response[Any], minted: str | None, *, secure: bool) -> None:
    if minted:
        response.set_cookie(
            plays.ANON_COOKIE, minted, max_age=LISTENER_MAX_AGE, httponly=True, samesite="lax", secure=secure
        )


async def flash_payload_errors(request: Request[Any, Any, Any], errors: list[dict[str, Any]]) -> None:
    for error in errors[:3]:
        await sessions.flash(request, "error", "common.errors.generic_with", message=error["message"])


def back(form: dict[str, str], default: str) -> Response[Any]:
    return redirect(safe_next(form.get("next"), default))


def parse_local(value: str, time_zone: str) -> tuple[str | None, str | None]:
    """A ``datetime-local`` value in the viewer's zone → (ISO with offset, error message)."""
    value = value.strip()
    if not value:
        return None, None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return None, t("social.errors.schedule_invalid")
    try:
        zone = ZoneInfo(time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return naive.replace(tzinfo=zone).isoformat(), None


def to_local_input(iso: str | None, time_zone: str) -> str:
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso).astimezone(ZoneInfo(time_zone))
    except (ValueError, KeyError):
        return ""
    return moment.strftime("%Y-%m-%dT%H:%M")


def parse_credits(text: str) -> list[dict[str, str]]:
    """One credit a line: ``Role: @handle`` links a Cadenza user, ``Role: Name`` just names someone."""
    credits = []
    for line in text.splitlines()[:25]:
        line = line.strip()
        if not line:
            continue
        role, _, who = line.partition(":")
        who = who.strip()
        if who.startswith("@"):
            credits.append({"role": role.strip(), "handle": who[1:], "name": ""})
        else:
            credits.append({"role": role.strip(), "handle": "", "name": who})
    return credits


def credits_text(credits: list[dict[str, Any]]) -> str:
    lines = []
    for credit in credits:
        who = f"@{credit['profile']['handle']}" if credit.get("profile") else credit["name"]
        lines.append(f"{credit['role']}: {who}")
    return "\n".join(lines)


def form_values(form: Any, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes, multi-selects); none when it is absent."""
    return [v for v in form.getall(name, []) if isinstance(v, str)] if hasattr(form, "getall") else []
