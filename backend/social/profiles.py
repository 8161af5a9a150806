"""Creator profiles: bio, links, genres, location, branding and the press kit.

A user without a profile row has the empty default; the row is created on the first edit (or the
first follow, which keeps counters on it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from backend import taxonomy
from backend.accounts import services as accounts
from backend.core import clock, db
from backend.core.actor import Actor
from backend.core.errors import DomainError, NotFound, ValidationFailed
from backend.social import access, queries
from backend.social.tables import LAYOUTS, Profile

MAX_BIO = 2000
MAX_LINKS = 8
MAX_PRESS_RELEASES = 6
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']{1,190}\.[A-Za-z]{2,24}$")


def default_profile(user_id: int) -> dict[str, Any]:
    return {
        "id": None,
        "user_id": user_id,
        "bio": "",
        "location": "",
        "links": [],
        "genres": [],
        "avatar_key": "",
        "banner_key": "",
        "logo_key": "",
        "theme_color": "",
        "layout": "classic",
        "press_bio": "",
        "press_contact": "",
        "press_photos": [],
        "press_releases": [],
        "verified_at": None,
        "follower_count": 0,
        "following_count": 0,
    }


async def profile_for(user_id: int) -> dict[str, Any]:
    return await queries.profile_of(user_id) or default_profile(user_id)


async def profiles_for(user_ids: list[int]) -> dict[int, dict[str, Any]]:
    found = {r["user_id"]: r for r in await queries.profiles_of(list(set(user_ids)))}
    return {uid: found.get(uid) or default_profile(uid) for uid in user_ids}


async def user_by_handle(handle: str) -> dict[str, Any]:
    """The active user behind ``@handle``, or NotFound."""
    handle = handle.strip().lstrip("@").lower()
    user = await accounts.find_user_by_handle(handle) if 0 < len(handle) <= 40 else None
    if user is None or not user["is_active"]:
        raise NotFound()
    return user


async def user_by_public_id(public_id: str) -> dict[str, Any]:
    user = await accounts.find_user(public_id) if public_id else None
    if user is None or not user["is_active"]:
        raise NotFound()
    return user


# ----------------------------------------------------------------------------- validation


def clean_text(value: str, *, field: str, limit: int, key: str = "social.errors.too_long") -> str:
    """Trim, drop control characters (keeping newlines), and enforce a length."""
    text = "".join(ch for ch in value.replace("\r\n", "\n") if ch == "\n" or ch == "\t" or ch >= " ")
    text = text.strip()
    if len(text) > limit:
        raise DomainError(key, field=field, max=limit)
    return text


def clean_url(value: str, *, field: str) -> str:
    """Only absolute http(s) links: never ``javascript:`` or ``data:``."""
    url = value.strip()
    parsed = urlparse(url)
    if (
        len(url) > 300
        or parsed.scheme not in ("http", "https")
        or not parsed.netloc
        or any(ch.isspace() for ch in url)
        or any(ch in url for ch in "<>\"'`")
    ):
        raise DomainError("social.errors.link_invalid", field=field)
    return url


def clean_links(values: list[dict[str, str]]) -> list[dict[str, str]]:
    links = []
    for item in values:
        url, label = (item.get("url") or "").strip(), (item.get("label") or "").strip()
        if not url and not label:
            continue
        clean = clean_url(url, field="links")
        links.append(
            {"label": clean_text(label, field="links", limit=40) or urlparse(clean).netloc, "url": clean}
        )
    if len(links) > MAX_LINKS:
        raise DomainError("social.errors.too_many_links", field="links", max=MAX_LINKS)
    return links


def clean_color(value: str) -> str:
    value = value.strip()
    if value and not _COLOR.match(value):
        raise DomainError("social.errors.color_invalid", field="themeColor")
    return value.lower()


def clean_layout(value: str) -> str:
    if value not in LAYOUTS:
        raise DomainError("social.errors.layout_invalid", field="layout")
    return value


def clean_contact(value: str) -> str:
    value = value.strip()
    if value and not _EMAIL.match(value):
        raise DomainError("social.errors.contact_invalid", field="pressContact")
    return value


def _collect(*checks: Any) -> list[Any]:
    """Run every check, reporting all field errors at once."""
    results, errors = [], []
    for check in checks:
        try:
            results.append(check())
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            results.append(None)
        except DomainError as exc:
            errors.append(exc)
            results.append(None)
    if errors:
        raise errors[0] if len(errors) == 1 else ValidationFailed(errors)
    return results


# ----------------------------------------------------------------------------- edits


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    bio: str | None = None
    location: str | None = None
    links: list[dict[str, str]] | None = None
    genres: list[str] | None = None
    theme_color: str | None = None
    layout: str | None = None
    press_bio: str | None = None
    press_contact: str | None = None
    press_releases: list[str] | None = None


async def _press_releases(actor: Actor, public_ids: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(p.strip() for p in public_ids if p.strip()))
    if len(wanted) > MAX_PRESS_RELEASES:
        raise DomainError(
            "social.errors.too_many_press_tracks", field="pressReleases", max=MAX_PRESS_RELEASES
        )
    rows = {r["public_id"]: r for r in await queries.releases_by_public_ids(wanted)}
    for public_id in wanted:
        row = rows.get(public_id)
        if row is None or row["owner_id"] != actor.user_id or not access.is_listed(row):
            raise DomainError("social.errors.press_track_invalid", field="pressReleases")
    return wanted


async def update_profile(actor: Actor, changes: ProfileChanges) -> dict[str, Any]:
    access.require_write(actor)
    checks: list[Any] = []
    if changes.bio is not None:
        checks.append(lambda: ("bio", clean_text(changes.bio or "", field="bio", limit=MAX_BIO)))
    if changes.location is not None:
        checks.append(lambda: ("location", clean_text(changes.location or "", field="location", limit=80)))
    if changes.links is not None:
        checks.append(lambda: ("links", clean_links(changes.links or [])))
    if changes.genres is not None:
        checks.append(lambda: ("genres", taxonomy.clean_genres(changes.genres or [], limit=5)))
    if changes.theme_color is not None:
        checks.append(lambda: ("theme_color", clean_color(changes.theme_color or "")))
    if changes.layout is not None:
        checks.append(lambda: ("layout", clean_layout(changes.layout or "")))
    if changes.press_bio is not None:
        checks.append(
            lambda: ("press_bio", clean_text(changes.press_bio or "", field="pressBio", limit=MAX_BIO))
        )
    if changes.press_contact is not None:
        checks.append(lambda: ("press_contact", clean_contact(changes.press_contact or "")))
    values = dict(_collect(*checks))
    if changes.press_releases is not None:
        values["press_releases"] = await _press_releases(actor, changes.press_releases)
    if values:
        async with db.transaction():
            await queries.ensure_profile(actor.user_id)
            values["updated_at"] = clock.now()
            await Profile.update({getattr(Profile, k): v for k, v in values.items()}).where(
                Profile.user_id == actor.user_id
            )
    return await profile_for(actor.user_id)


async def set_image_key(user_id: int, kind: str, storage_key: str) -> None:
    """Called by the image job once a picture is ready."""
    await queries.ensure_profile(user_id)
    now = clock.now()
    if kind == "press":
        profile = await profile_for(user_id)
        photos = [p for p in (profile.get("press_photos") or []) if p != storage_key]
        photos = [storage_key, *photos][:6]
        await Profile.update({Profile.press_photos: photos, Profile.updated_at: now}).where(
            Profile.user_id == user_id
        )
        return
    column = {"avatar": Profile.avatar_key, "banner": Profile.banner_key, "logo": Profile.logo_key}[kind]
    await Profile.update({column: storage_key, Profile.updated_at: now}).where(Profile.user_id == user_id)


async def remove_image(actor: Actor, kind: str, storage_key: str | None = None) -> dict[str, Any]:
    access.require_write(actor)
    if kind not in ("avatar", "banner", "logo", "press"):
        raise DomainError("social.errors.image_kind_invalid", field="kind")
    profile = await profile_for(actor.user_id)
    if profile["id"] is None:
        return profile
    now = clock.now()
    if kind == "press":
        photos = [p for p in profile["press_photos"] if p != storage_key] if storage_key else []
        await Profile.update({Profile.press_photos: photos, Profile.updated_at: now}).where(
            Profile.user_id == actor.user_id
        )
    else:
        column = {"avatar": Profile.avatar_key, "banner": Profile.banner_key, "logo": Profile.logo_key}[kind]
        await Profile.update({column: "", Profile.updated_at: now}).where(Profile.user_id == actor.user_id)
    return await profile_for(actor.user_id)
