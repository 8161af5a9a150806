"""Which language a request is answered in: the user's setting, else ``?lang=``, else the
language cookie set by the switcher, else ``Accept-Language``, else English."""

from __future__ import annotations

from typing import Any

from litestar import Request

from backend.core.actor import Actor
from backend.core.i18n import DEFAULT_LOCALE, normalize_locale

LANG_COOKIE = "cdz_lang"


def parse_accept_language(header: str) -> list[str]:
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        pieces = part.strip().split(";")
        tag = pieces[0].strip()
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(request: Request[Any, Any, Any], actor: Actor | None) -> str:
    if actor is not None:
        chosen = normalize_locale(actor.locale)
        if chosen:
            return chosen
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        chosen = normalize_locale(candidate)
        if chosen:
            return chosen
    for tag in parse_accept_language(request.headers.get("accept-language", "")):
        chosen = normalize_locale(tag)
        if chosen:
            return chosen
    return DEFAULT_LOCALE
