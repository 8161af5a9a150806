"""Profile pages: ``/@handle``, its followers and following, the press kit, following, and the
profile settings (bio, links, genres, branding, pictures, press kit)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from backend.core.storage import signed_url
from web import sessions
from web.forms import form_data, payload, redirect, split_errors
from web.operations import query, run_operation
from web.pages.accounts import login_redirect
from web.pages.social_common import back, flash_payload_errors, form_values, handle_of, profile_path
from web.render import page_context, render


async def _profile(
    request: Request[Any, Any, Any], operation: str, handle: str, **variables: Any
) -> dict[str, Any]:
    data = await query(request, operation, {"handle": handle, **variables})
    if data["profile"] is None:
        raise NotFoundException()
    return data["profile"]


@get("/{at_handle:str}", name="profile")
async def profile_page(request: Request[Any, Any, Any], at_handle: FromPath[str]) -> Response[Any]:
    handle = handle_of(at_handle)
    profile = await _profile(request, "ProfilePage", handle, after=request.query_params.get("after"))
    return await render(request, "social/profile.html", p=profile)


@get("/{at_handle:str}/followers", name="profile_followers")
async def followers_page(request: Request[Any, Any, Any], at_handle: FromPath[str]) -> Response[Any]:
    profile = await _profile(
        request, "ProfileFollowers", handle_of(at_handle), after=request.query_params.get("after")
    )
    return await render(
        request, "social/follows.html", p=profile, people=profile["followers"], which="followers"
    )


@get("/{at_handle:str}/following", name="profile_following")
async def following_page(request: Request[Any, Any, Any], at_handle: FromPath[str]) -> Response[Any]:
    profile = await _profile(
        request, "ProfileFollowing", handle_of(at_handle), after=request.query_params.get("after")
    )
    return await render(
        request, "social/follows.html", p=profile, people=profile["following"], which="following"
    )


@get("/{at_handle:str}/press", name="press_kit")
async def press_kit_page(request: Request[Any, Any, Any], at_handle: FromPath[str]) -> Response[Any]:
    profile = await _profile(request, "PressKitPage", handle_of(at_handle))
    return await render(request, "social/press.html", p=profile)


@get("/{at_handle:str}/avatar", name="profile_avatar", cache=False)
async def profile_avatar(request: Request[Any, Any, Any], at_handle: FromPath[str]) -> Redirect:
    """A stable address for the avatar (Open Graph needs one); it redirects to a signed URL."""
    from backend.core.errors import NotFound
    from backend.social import services as social

    try:
        user = await social.profiles.user_by_handle(handle_of(at_handle))
    except NotFound:
        raise NotFoundException() from None
    profile = await social.profiles.profile_for(user["id"])
    if not profile["avatar_key"]:
        raise NotFoundException()
    return Redirect(path=signed_url(profile["avatar_key"]), status_code=302)


async def _follow(
    request: Request[Any, Any, Any], at_handle: str, operation: str, field: str
) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    handle = handle_of(at_handle)
    form = await form_data(request)
    profile = await _profile(request, "ProfileFollowers", handle)
    data = payload(await run_operation(request, operation, {"userId": profile["id"]}), field)
    if data["errors"]:
        await flash_payload_errors(request, data["errors"])
    elif field == "followUser":
        await sessions.flash(request, "success", "social.follow.now_following", name=profile["displayName"])
    return back(form, profile_path(handle))


@post("/{at_handle:str}/follow", name="profile_follow")
async def follow(request: Request[Any, Any, Any], at_handle: FromPath[str]) -> Response[Any]:
    return await _follow(request, at_handle, "FollowUser", "followUser")


@post("/{at_handle:str}/unfollow", name="profile_unfollow")
async def unfollow(request: Request[Any, Any, Any], at_handle: FromPath[str]) -> Response[Any]:
    return await _follow(request, at_handle, "UnfollowUser", "unfollowUser")


# ----------------------------------------------------------------------------- settings


def _form_of(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "bio": profile["bio"],
        "location": profile["location"],
        "links": profile["links"],
        "genres": [g["id"] for g in profile["genres"]],
        "theme_color": profile["themeColor"],
        "layout": profile["layout"].lower(),
        "press_bio": profile["pressKit"]["bio"] if profile["pressKit"]["bio"] != profile["bio"] else "",
        "press_contact": profile["pressKit"]["contact"],
        "press_releases": [r["id"] for r in profile["pressKit"]["releases"]],
    }


async def _settings(request: Request[Any, Any, Any], status: int = 200, **extra: Any) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    data = await query(request, "ProfileSettingsPage", {"handle": page.actor.handle})
    if data["profile"] is None:
        raise NotFoundException()
    job = None
    job_id = request.query_params.get("image_job")
    if job_id:
        result = await run_operation(request, "JobStatus", {"id": job_id})
        job = (result.data or {}).get("job") if not result.errors else None
    values = {"errors": {}, "general": [], "form": _form_of(data["profile"]), **extra}
    return await render(
        request,
        "social/profile_settings.html",
        status=status,
        p=data["profile"],
        genre_families=data["genreFamilies"],
        image_job=job is not None,
        job=job,
        **values,
    )


@get("/settings/profile", name="profile_settings")
async def profile_settings(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _settings(request)


@post("/settings/profile", name="profile_settings_post")
async def profile_settings_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    labels, urls = form_values(raw, "link_label"), form_values(raw, "link_url")
    links = [
        {"label": label, "url": url}
        for label, url in zip(labels, urls, strict=False)
        if label.strip() or url.strip()
    ]
    values = {
        "bio": form.get("bio", ""),
        "location": form.get("location", ""),
        "links": links,
        "genres": form_values(raw, "genres"),
        "themeColor": form.get("theme_color", ""),
        "layout": (form.get("layout") or "classic").upper(),
        "pressBio": form.get("press_bio", ""),
        "pressContact": form.get("press_contact", ""),
        "pressReleaseIds": form_values(raw, "press_releases"),
    }
    if values["layout"] not in ("CLASSIC", "SPOTLIGHT", "MINIMAL"):
        values["layout"] = "CLASSIC"
    data = payload(
        await run_operation(request, "UpdateCreatorProfile", {"input": values}), "updateCreatorProfile"
    )
    if data["errors"]:
        errors, general = split_errors(data["errors"])
        shown = {
            "bio": values["bio"],
            "location": values["location"],
            "links": links,
            "genres": values["genres"],
            "theme_color": values["themeColor"],
            "layout": values["layout"].lower(),
            "press_bio": values["pressBio"],
            "press_contact": values["pressContact"],
            "press_releases": values["pressReleaseIds"],
        }
        return await _settings(request, 422, errors=errors, general=general, form=shown)
    await sessions.flash(request, "success", "social.settings.saved")
    return redirect(request.app.route_reverse("profile_settings"))


@post("/settings/profile/image", name="profile_image")
async def profile_image(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    kind = (form.get("kind") or "").upper()
    if kind not in ("AVATAR", "BANNER", "LOGO", "PRESS"):
        raise NotFoundException()
    data = payload(
        await run_operation(
            request, "SetProfileImage", {"kind": kind, "uploadId": form.get("upload_id", "")}
        ),
        "setProfileImage",
    )
    target = request.app.route_reverse("profile_settings")
    if data["errors"]:
        await flash_payload_errors(request, data["errors"])
        return redirect(target)
    await sessions.flash(request, "info", "social.settings.image_processing")
    return redirect(f"{target}?image_job={data['image']['jobId']}")


@post("/settings/profile/image/remove", name="profile_image_remove")
async def profile_image_remove(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    kind = (form.get("kind") or "").upper()
    if kind not in ("AVATAR", "BANNER", "LOGO", "PRESS"):
        raise NotFoundException()
    data = payload(
        await run_operation(
            request, "RemoveProfileImage", {"kind": kind, "photoKey": form.get("photo_key") or None}
        ),
        "removeProfileImage",
    )
    if data["errors"]:
        await flash_payload_errors(request, data["errors"])
    return redirect(request.app.route_reverse("profile_settings"))


route_handlers = [
    profile_page,
    followers_page,
    following_page,
    press_kit_page,
    profile_avatar,
    follow,
    unfollow,
    profile_settings,
    profile_settings_submit,
    profile_image,
    profile_image_remove,
]
