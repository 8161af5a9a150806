"""Sharing: oEmbed answers, embed sizes and themes, and share links.

Only releases the asker could open themselves are described: public ones, and unlisted ones when the
URL carries their secret link. Everything else is "not found", exactly like a wrong id.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlparse

from backend.accounts import services as accounts
from backend.core.actor import Actor
from backend.core.errors import DomainError, NotFound
from backend.core.settings import get_settings
from backend.social import access, queries

EMBED_WIDTH = 560
EMBED_HEIGHT = 166
MIN_WIDTH, MIN_HEIGHT = 240, 120
THEMES = ("dark", "light")
_TRACK = re.compile(r"^/tracks/(trk_[0-9a-z]{10,40})/?$")
_PROFILE = re.compile(r"^/@([a-z0-9_]{1,40})/?$")
_COLOR = re.compile(r"^#?([0-9a-fA-F]{6})$")


def absolute(path: str) -> str:
    return get_settings().base_url + path


def track_path(release: dict[str, Any], *, with_key: bool = False) -> str:
    path = f"/tracks/{release['public_id']}"
    if with_key and release["visibility"] == "unlisted":
        path += f"?k={release['secret_token']}"
    return path


def embed_path(release: dict[str, Any], *, with_key: bool = False, **options: str) -> str:
    params = {k: v for k, v in options.items() if v}
    if with_key and release["visibility"] == "unlisted":
        params["k"] = release["secret_token"]
    query = f"?{urlencode(params)}" if params else ""
    return f"/embed/tracks/{release['public_id']}{query}"


def clean_theme(theme: str | None) -> str:
    return theme if theme in THEMES else "dark"


def clean_color(color: str | None) -> str:
    """An accent colour for the embed, or '' — never anything that could break out of CSS."""
    match = _COLOR.match((color or "").strip())
    return f"#{match.group(1).lower()}" if match else ""


def embed_size(maxwidth: int | None, maxheight: int | None) -> tuple[int, int]:
    width = EMBED_WIDTH if not maxwidth else max(MIN_WIDTH, min(EMBED_WIDTH, maxwidth))
    height = EMBED_HEIGHT if not maxheight else max(MIN_HEIGHT, min(EMBED_HEIGHT, maxheight))
    return width, height


def iframe(release: dict[str, Any], width: int, height: int, *, with_key: bool) -> str:
    src = html.escape(absolute(embed_path(release, with_key=with_key)), quote=True)
    title = html.escape(release["title"], quote=True)
    return (
        f'<iframe src="{src}" width="{width}" height="{height}" title="{title}" '
        'frameborder="0" allow="autoplay" loading="lazy"></iframe>'
    )


async def oembed(
    actor: Actor | None,
    url: str,
    *,
    maxwidth: int | None = None,
    maxheight: int | None = None,
    fmt: str = "json",
) -> dict[str, Any]:
    if fmt != "json":
        raise DomainError("social.errors.oembed_format", field="format")
    parsed = urlparse(url.strip())
    ours = urlparse(get_settings().base_url)
    if parsed.scheme and (parsed.scheme, parsed.netloc) != (ours.scheme, ours.netloc):
        raise NotFound()
    settings = get_settings()
    base = {"version": "1.0", "provider_name": "Cadenza", "provider_url": settings.base_url + "/"}
    if match := _TRACK.match(parsed.path):
        key = next(iter(parse_qs(parsed.query).get("k") or []), None)
        release = await queries.release_by_public_id(match.group(1))
        # Anonymous on purpose: an oEmbed consumer publishes what it gets to everyone.
        if release is None or not access.can_view_release(None, release, key):
            raise NotFound()
        owner = await accounts.get_user(release["owner_id"])
        if owner is None:
            raise NotFound()
        width, height = embed_size(maxwidth, maxheight)
        with_key = release["visibility"] == "unlisted"
        answer = {
            **base,
            "type": "rich",
            "title": release["title"],
            "author_name": owner["display_name"],
            "author_url": absolute(f"/@{owner['handle']}"),
            "html": iframe(release, width, height, with_key=with_key),
            "width": width,
            "height": height,
            "cache_age": 3600,
        }
        if release["artwork_key"]:
            answer.update(
                thumbnail_url=absolute(artwork_path(release, with_key=with_key)),
                thumbnail_width=1200,
                thumbnail_height=1200,
            )
        return answer
    if match := _PROFILE.match(parsed.path):
        user = await accounts.find_user_by_handle(match.group(1))
        if user is None or not user["is_active"]:
            raise NotFound()
        return {
            **base,
            "type": "link",
            "title": user["display_name"],
            "author_name": user["display_name"],
            "author_url": absolute(f"/@{user['handle']}"),
        }
    raise NotFound()


def artwork_path(release: dict[str, Any], *, with_key: bool = False) -> str:
    path = f"/tracks/{release['public_id']}/artwork"
    if with_key and release["visibility"] == "unlisted":
        path += f"?k={release['secret_token']}"
    return path


def share_links(url: str, title: str) -> dict[str, str]:
    """Where a listener can post a link; ``url`` is absolute (maybe with ``?t=``)."""
    u, text = quote(url, safe=""), quote(title, safe="")
    return {
        "x": f"https://twitter.com/intent/tweet?url={u}&text={text}",
        "facebook": f"https://www.facebook.com/sharer/sharer.php?u={u}",
        "whatsapp": f"https://wa.me/?text={quote(title + ' ' + url, safe='')}",
        "reddit": f"https://www.reddit.com/submit?url={u}&title={text}",
        "email": f"mailto:?subject={text}&body={u}",
    }
