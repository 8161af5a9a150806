"""The notification centre, its live stream (the bell's count and new items, as server-sent
fragments through ``web.live``), marking read, and per-type preferences."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post

from web import sessions
from web.forms import payload, redirect, split_errors
from web.live import live_fragments
from web.operations import OpResult, query, run_operation
from web.pages.accounts import login_redirect
from web.pages.social_common import form_values
from web.render import page_context, render, render_fragment

TEMPLATE = "social/_notifications.html"


@get("/notifications", name="notifications")
async def notifications_page(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    data = await query(request, "NotificationsPage", {"after": request.query_params.get("after")})
    return await render(
        request,
        "social/notifications.html",
        items=data["notifications"],
        unread=data["unreadNotificationCount"],
    )


@get("/notifications/live", name="notifications_live", media_type="text/event-stream")
async def notifications_live(request: Request[Any, Any, Any]) -> Any:
    """The bell: its unread count at once, then again after every change."""
    page = await page_context(request)

    def draw(result: OpResult) -> str:
        event = result.data["notifications"]  # type: ignore[index]
        return render_fragment(TEMPLATE, "bell", count=event["unreadCount"], page=page)

    return live_fragments(request, "NotificationsLive", {}, draw)


@get("/notifications/live/items", name="notifications_live_items", media_type="text/event-stream")
async def notifications_live_items(request: Request[Any, Any, Any]) -> Any:
    """New notifications as list items, for the open notification centre."""
    page = await page_context(request)

    def draw(result: OpResult) -> str:
        event = result.data["notifications"]  # type: ignore[index]
        return render_fragment(TEMPLATE, "item", n=event["notification"], page=page)

    return live_fragments(request, "NotificationsLive", {}, draw)


@post("/notifications/read", name="notifications_read")
async def mark_read(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    raw = await request.form()
    everything = raw.get("all") == "1"
    ids = form_values(raw, "id")
    data = payload(
        await run_operation(request, "MarkNotificationsRead", {"ids": ids or None, "all": everything}),
        "markNotificationsRead",
    )
    if data["errors"]:
        await sessions.flash(
            request, "error", "common.errors.generic_with", message=data["errors"][0]["message"]
        )
    return redirect(request.app.route_reverse("notifications"))


async def _settings(request: Request[Any, Any, Any], status: int = 200, **extra: Any) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    data = await query(request, "NotificationSettingsPage")
    values = {"general": [], **extra}
    return await render(
        request,
        "social/notification_settings.html",
        status=status,
        prefs=data["notificationPreferences"],
        **values,
    )


@get("/settings/notifications", name="notification_settings")
async def notification_settings(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _settings(request)


@post("/settings/notifications", name="notification_settings_post")
async def notification_settings_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    raw = await request.form()
    kinds = ("release", "follow", "comment", "like", "repost", "verification")
    app_on, email_on = set(form_values(raw, "app")), set(form_values(raw, "email"))
    variables = {
        "input": {
            "appOff": [k for k in kinds if k not in app_on],
            "emailOff": [k for k in kinds if k not in email_on],
            "digest": raw.get("digest") == "1",
        }
    }
    data = payload(
        await run_operation(request, "UpdateNotificationPreferences", variables),
        "updateNotificationPreferences",
    )
    if data["errors"]:
        _, general = split_errors(data["errors"])
        return await _settings(request, 422, general=general or [e["message"] for e in data["errors"]])
    await sessions.flash(request, "success", "social.notifications.saved")
    return redirect(request.app.route_reverse("notification_settings"))


route_handlers = [
    notifications_page,
    notifications_live,
    notifications_live_items,
    mark_read,
    notification_settings,
    notification_settings_submit,
]
