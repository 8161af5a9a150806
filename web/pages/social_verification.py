"""Verification: apply (links and evidence); the moderators' queue with grant and decline, and the
log of every decision."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from web import sessions
from web.forms import form_data, payload, redirect, split_errors
from web.operations import query, run_operation
from web.pages.accounts import login_redirect
from web.pages.social_common import flash_payload_errors
from web.render import page_context, render


async def _page(request: Request[Any, Any, Any], status: int = 200, **extra: Any) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    data = await query(request, "VerificationPage", {"handle": page.actor.handle})
    values = {"errors": {}, "general": [], "form": {}, **extra}
    return await render(
        request,
        "social/verification.html",
        status=status,
        p=data["profile"],
        mine=data["myVerification"],
        **values,
    )


@get("/settings/verification", name="verification")
async def verification_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _page(request)


@post("/settings/verification", name="verification_post")
async def verification_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    links = [line.strip() for line in form.get("links", "").splitlines() if line.strip()][:10]
    data = payload(
        await run_operation(
            request, "ApplyForVerification", {"input": {"links": links, "evidence": form.get("evidence", "")}}
        ),
        "applyForVerification",
    )
    if data["errors"]:
        errors, general = split_errors(data["errors"])
        return await _page(request, 422, errors=errors, general=general, form=form)
    await sessions.flash(request, "success", "social.verification.sent")
    return redirect(request.app.route_reverse("verification"))


@get("/moderation/verification", name="moderation_queue")
async def moderation_queue(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    data = await query(request, "VerificationQueuePage", {"after": request.query_params.get("after")})
    return await render(
        request, "social/moderation.html", queue=data["verificationQueue"], log=data["moderationLog"]
    )


@post("/moderation/verification/{request_id:str}", name="moderation_decide")
async def moderation_decide(request: Request[Any, Any, Any], request_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    grant = form.get("decision") == "grant"
    data = payload(
        await run_operation(
            request,
            "DecideVerification",
            {"id": request_id, "grant": grant, "reason": form.get("reason", "")},
        ),
        "decideVerification",
    )
    if data["errors"]:
        await flash_payload_errors(request, data["errors"])
    else:
        await sessions.flash(
            request, "success", "social.moderation.granted" if grant else "social.moderation.declined"
        )
    return redirect(request.app.route_reverse("moderation_queue"))


route_handlers = [verification_page, verification_submit, moderation_queue, moderation_decide]
