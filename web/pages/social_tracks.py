"""Release pages: publish, the track page (player, likes, reposts, timed comments, sharing), edit,
unpublish, delete, and a stable artwork address for link previews."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from backend.core.settings import get_settings
from backend.core.storage import signed_url
from web import sessions
from web.forms import form_data, payload, redirect, split_errors
from web.operations import query, run_operation
from web.pages.accounts import login_redirect
from web.pages.social_common import (
    credits_text,
    flash_payload_errors,
    form_values,
    mint_listener,
    parse_credits,
    parse_local,
    set_listener_cookie,
    to_local_input,
)
from web.render import page_context, render


def _start(value: str | None) -> int:
    """``?t=83`` (seconds) or ``?t=1:23``: where playback starts."""
    if not value:
        return 0
    try:
        if ":" in value:
            minutes, _, seconds = value.partition(":")
            return max(0, int(minutes) * 60 + int(seconds))
        return max(0, int(float(value)))
    except ValueError:
        return 0


# ----------------------------------------------------------------------------- publish


async def _publish_page(request: Request[Any, Any, Any], status: int = 200, **extra: Any) -> Response[Any]:
    data = await query(request, "PublishPage")
    if data["viewer"] is None:
        return login_redirect(request)
    renders = [
        {"id": r["id"], "title": p["title"], "duration": r["duration"]}
        for p in data["projects"]["nodes"]
        for r in p["renders"]
        if r["status"] == "DONE"
    ]
    values = {
        "errors": {},
        "general": [],
        "form": {"visibility": "public", "render_id": request.query_params.get("render", "")},
        **extra,
    }
    return await render(
        request,
        "social/publish.html",
        status=status,
        genre_families=data["genreFamilies"],
        tags=data["tags"],
        renders=renders,
        **values,
    )


@get("/tracks/new", name="publish")
async def publish_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _publish_page(request)


@post("/tracks/new", name="publish_post")
async def publish_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    raw = await request.form()
    form: dict[str, Any] = {k: v for k, v in raw.items() if isinstance(v, str) and k != "_csrf_token"}
    form["tags"] = form_values(raw, "tags")
    publish_at, schedule_error = parse_local(form.get("publish_at", ""), page.time_zone)
    if schedule_error:
        return await _publish_page(request, 422, errors={"publishAt": schedule_error}, form=form)
    variables = {
        "input": {
            "title": form.get("title", ""),
            "genre": form.get("genre", ""),
            "description": form.get("description", ""),
            "tags": form["tags"],
            "visibility": (form.get("visibility") or "public").upper(),
            "publishAt": publish_at,
            "credits": parse_credits(form.get("credits", "")),
            "uploadId": form.get("upload_id") or None,
            "renderId": form.get("render_id") or None,
            "artworkUploadId": form.get("artwork_upload_id") or None,
        }
    }
    if variables["input"]["visibility"] not in ("PUBLIC", "UNLISTED", "PRIVATE"):
        variables["input"]["visibility"] = "PUBLIC"
    data = payload(await run_operation(request, "PublishRelease", variables), "publishRelease")
    if data["errors"]:
        errors, general = split_errors(data["errors"])
        return await _publish_page(request, 422, errors=errors, general=general, form=form)
    await sessions.flash(request, "success", "social.publish.done")
    return redirect(data["release"]["path"])


# ----------------------------------------------------------------------------- the track page


@get("/tracks/{track_id:str}", name="track")
async def track_page(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    minted = mint_listener(request, page)
    key = request.query_params.get("k") or None
    data = await query(
        request, "TrackPage", {"id": track_id, "key": key, "after": request.query_params.get("after")}
    )
    release = data["release"]
    response = await render(
        request,
        "social/track.html",
        r=release,
        key=key if release["visibility"] == "UNLISTED" else None,
        start=min(_start(request.query_params.get("t")), int(release["duration"] or 0)),
    )
    set_listener_cookie(response, minted, secure=get_settings().security.cookie_secure)
    return response


@get("/tracks/{track_id:str}/artwork", name="track_artwork", cache=False)
async def track_artwork(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Redirect:
    """A stable artwork address for link previews: redirects to a fresh signed URL."""
    data = await query(request, "EmbedTrack", {"id": track_id, "key": request.query_params.get("k")})
    from backend.social import services as social

    row = await social.queries.release_by_public_id(data["release"]["id"])
    if row is None or not row["artwork_key"]:
        raise NotFoundException()
    return Redirect(path=signed_url(row["artwork_key"]), status_code=302)


async def _act(
    request: Request[Any, Any, Any], track_id: str, operation: str, field: str, *, with_key: bool = False
) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    key = form.get("k") or None
    variables: dict[str, Any] = {"id": track_id}
    if with_key:
        variables["key"] = key
    data = payload(await run_operation(request, operation, variables), field)
    if data["errors"]:
        await flash_payload_errors(request, data["errors"])
    target = f"/tracks/{track_id}" + (f"?k={key}" if key else "")
    return redirect(target)


@post("/tracks/{track_id:str}/like", name="track_like")
async def like(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[Any]:
    return await _act(request, track_id, "LikeRelease", "likeRelease", with_key=True)


@post("/tracks/{track_id:str}/unlike", name="track_unlike")
async def unlike(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[Any]:
    return await _act(request, track_id, "UnlikeRelease", "unlikeRelease", with_key=True)


@post("/tracks/{track_id:str}/repost", name="track_repost")
async def repost(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[Any]:
    return await _act(request, track_id, "RepostRelease", "repostRelease")


@post("/tracks/{track_id:str}/unrepost", name="track_unrepost")
async def unrepost(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[Any]:
    return await _act(request, track_id, "UndoRepost", "undoRepost")


@post("/tracks/{track_id:str}/unpublish", name="track_unpublish")
async def unpublish(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[Any]:
    return await _act(request, track_id, "UnpublishRelease", "unpublishRelease")


@post("/tracks/{track_id:str}/republish", name="track_republish")
async def republish(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[Any]:
    return await _act(request, track_id, "RepublishRelease", "republishRelease")


@post("/tracks/{track_id:str}/delete", name="track_delete")
async def delete(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    data = payload(await run_operation(request, "DeleteRelease", {"id": track_id}), "deleteRelease")
    if data["errors"]:
        await flash_payload_errors(request, data["errors"])
        return redirect(f"/tracks/{track_id}")
    await sessions.flash(request, "success", "social.release.deleted")
    return redirect(f"/@{page.actor.handle}")


@post("/tracks/{track_id:str}/comments", name="track_comment")
async def comment(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    key = form.get("k") or None
    at: float | None = None
    if form.get("at_now") and form.get("at_seconds"):
        try:
            at = float(form["at_seconds"])
        except ValueError:
            at = None
    data = payload(
        await run_operation(
            request,
            "AddComment",
            {"releaseId": track_id, "body": form.get("body", ""), "atSeconds": at, "key": key},
        ),
        "addComment",
    )
    if data["errors"]:
        await flash_payload_errors(request, data["errors"])
    target = f"/tracks/{track_id}" + (f"?k={key}" if key else "")
    return redirect(f"{target}#comments")


@post("/tracks/{track_id:str}/comments/{comment_id:str}/delete", name="comment_delete")
async def comment_delete(
    request: Request[Any, Any, Any], track_id: FromPath[str], comment_id: FromPath[str]
) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    data = payload(await run_operation(request, "DeleteComment", {"id": comment_id}), "deleteComment")
    if data["errors"]:
        await flash_payload_errors(request, data["errors"])
    return redirect(f"/tracks/{track_id}#comments")


# ----------------------------------------------------------------------------- edit


def _edit_form(release: dict[str, Any], time_zone: str) -> dict[str, Any]:
    return {
        "title": release["title"],
        "description": release["description"],
        "genre": release["genre"]["id"] if release["genre"] else "",
        "tags": [tag["id"] for tag in release["tags"]],
        "visibility": release["visibility"].lower(),
        "publish_at": to_local_input(release["publishAt"], time_zone),
        "credits": credits_text(release["credits"]),
    }


async def _edit_page(
    request: Request[Any, Any, Any], track_id: str, status: int = 200, **extra: Any
) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    data = await query(request, "TrackEditPage", {"id": track_id})
    release = data["release"]
    if not release["isOwner"]:
        raise NotFoundException()
    values = {"errors": {}, "general": [], "form": _edit_form(release, page.time_zone), **extra}
    return await render(
        request,
        "social/track_edit.html",
        status=status,
        r=release,
        genre_families=data["genreFamilies"],
        tags=data["tags"],
        **values,
    )


@get("/tracks/{track_id:str}/edit", name="track_edit")
async def edit_page(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[Any]:
    return await _edit_page(request, track_id)


@post("/tracks/{track_id:str}/edit", name="track_edit_post")
async def edit_submit(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    raw = await request.form()
    form: dict[str, Any] = {k: v for k, v in raw.items() if isinstance(v, str) and k != "_csrf_token"}
    form["tags"] = form_values(raw, "tags")
    publish_at, schedule_error = parse_local(form.get("publish_at", ""), page.time_zone)
    if schedule_error:
        return await _edit_page(request, track_id, 422, errors={"publishAt": schedule_error}, form=form)
    visibility = (form.get("visibility") or "public").upper()
    changes: dict[str, Any] = {
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "genre": form.get("genre", ""),
        "tags": form["tags"],
        "visibility": visibility if visibility in ("PUBLIC", "UNLISTED", "PRIVATE") else "PUBLIC",
        "credits": parse_credits(form.get("credits", "")),
        "artworkUploadId": form.get("artwork_upload_id") or None,
        "publishNow": bool(form.get("publish_now")),
    }
    if publish_at and not changes["publishNow"]:
        # Only a changed time is sent: saving other fields must not re-schedule the release.
        current = (await query(request, "TrackEditPage", {"id": track_id}))["release"]["publishAt"]
        if form.get("publish_at") != to_local_input(current, page.time_zone):
            changes["publishAt"] = publish_at
    data = payload(
        await run_operation(request, "UpdateRelease", {"id": track_id, "input": changes}), "updateRelease"
    )
    if data["errors"]:
        errors, general = split_errors(data["errors"])
        return await _edit_page(request, track_id, 422, errors=errors, general=general, form=form)
    await sessions.flash(request, "success", "social.release.saved")
    return redirect(data["release"]["path"])


route_handlers = [
    publish_page,
    publish_submit,
    track_page,
    track_artwork,
    like,
    unlike,
    repost,
    unrepost,
    unpublish,
    republish,
    delete,
    comment,
    comment_delete,
    edit_page,
    edit_submit,
]
