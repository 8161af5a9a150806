"""Collaboration pages: the studio's collaboration panel (presence, comments, history, call), the
share page (invite, roles, forking), invitations and "shared with me".

The studio page includes ``collab/_studio_panel.html``, which loads the panel from here after the
page (so the studio's handler needs none of our data). Every form is a plain form that works
without JavaScript; htmx posts it and swaps the part that changed. The panel's script
(``web/static/collab.js``) keeps the studio live over one websocket (see its header for why).
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from backend.core.i18n import t
from web import sessions
from web.forms import form_data, payload, redirect, split_errors
from web.operations import query, run_operation
from web.pages.accounts import login_redirect
from web.render import is_htmx, page_context, render

PANEL = "collab/panel.html"
SHARE = "collab/share.html"
INVITATION = "collab/invitation.html"
INVITATIONS = "collab/invitations.html"
SHARED = "collab/shared.html"
ROLES = ("editor", "commenter", "viewer")
# What the script says, in the page's language (it gets them as one JSON attribute).
SCRIPT_STRINGS = (
    "live.connecting",
    "live.live",
    "live.offline",
    "live.resynced",
    "live.revoked",
    "live.read_only",
    "live.role_changed",
    "live.refused",
    "presence.touching_track",
    "presence.touching_clip",
    "presence.in_call",
    "presence.you",
    "call.no_microphone",
    "call.connected",
    "call.connecting",
    "call.failed",
)


def _strings() -> str:
    found = {key: t(f"collab.{key}") for key in SCRIPT_STRINGS}
    found["studio.default_track"] = t("audio.studio.default_track", number="%{number}")
    return json.dumps(found, ensure_ascii=False)


def _float(value: str | None) -> Any:
    try:
        return float((value or "").replace(",", "."))
    except ValueError:
        return -1.0  # the API names what is wrong with it


def _studio_url(request: Request[Any, Any, Any], project_id: str) -> str:
    return request.app.route_reverse("audio_studio", project_id=project_id)


def _panel_url(request: Request[Any, Any, Any], project_id: str) -> str:
    return request.app.route_reverse("collab_panel", project_id=project_id)


# ----------------------------------------------------------------------------- the studio's panel


async def _panel(
    request: Request[Any, Any, Any],
    project_id: str,
    *,
    block: str | None = "panel",
    status: int = 200,
    **extra: Any,
) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    operation = {"panel": "CollabPanel", "comments": "CollabComments", "history": "CollabHistory"}[
        block or "panel"
    ]
    variables: dict[str, Any] = {"id": project_id}
    if operation == "CollabComments":
        variables["resolved"] = request.query_params.get("resolved") == "1"
    if operation == "CollabHistory":
        variables["after"] = request.query_params.get("after")
    data = await query(request, operation, variables)
    values = {"comment_errors": [], "history_errors": [], "notice": None, **extra}
    return await render(
        request,
        PANEL,
        status=status,
        block=block,
        data=data,
        strings=_strings(),
        ice_servers=json.dumps((data.get("projectCollaboration") or {}).get("iceServers") or []),
        **values,
    )


@get("/projects/{project_id:str}/collab", name="collab_panel")
async def panel(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    """The panel: an HTMX fragment for the studio, or a page of its own (without JavaScript)."""
    return await _panel(request, project_id)


@get("/projects/{project_id:str}/collab/comments", name="collab_comments")
async def comments(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    return await _panel(request, project_id, block="comments")


@get("/projects/{project_id:str}/collab/history", name="collab_history")
async def history(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    return await _panel(request, project_id, block="history")


async def _after_form(
    request: Request[Any, Any, Any],
    project_id: str,
    block: str,
    errors: list[dict[str, Any]],
    flash: tuple[str, dict[str, Any]] | None,
) -> Response[Any]:
    """htmx gets the part that changed (with any errors); a plain post goes back to the panel page."""
    if any(e["code"] == "NOT_FOUND" for e in errors):
        raise NotFoundException()  # outside the project: there is no such page to go back to
    messages = [e["message"] for e in errors]
    if is_htmx(request):
        key = "comment_errors" if block == "comments" else "history_errors"
        return await _panel(
            request, project_id, block=block, status=422 if messages else 200, **{key: messages}
        )
    if messages:
        await sessions.flash(request, "error", "common.errors.generic_with", message=messages[0])
    elif flash:
        await sessions.flash(request, "success", flash[0], **flash[1])
    return redirect(_panel_url(request, project_id))


@post("/projects/{project_id:str}/comments", name="collab_comment_add")
async def comment_add(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    form = await form_data(request)
    variables: dict[str, Any] = {"projectId": project_id, "body": form.get("body", "")}
    if form.get("reply_to"):
        variables["replyTo"] = form["reply_to"]
    else:
        variables["time"] = _float(form.get("time") or "0")
        variables["trackId"] = form.get("track_id") or None
    result = payload(await run_operation(request, "AddProjectComment", variables), "addProjectComment")
    return await _after_form(request, project_id, "comments", result["errors"], None)


@post("/projects/{project_id:str}/comments/{comment_id:str}/resolve", name="collab_comment_resolve")
async def comment_resolve(
    request: Request[Any, Any, Any], project_id: FromPath[str], comment_id: FromPath[str]
) -> Response[Any]:
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    form = await form_data(request)
    variables = {"id": comment_id, "resolved": form.get("resolved", "true") == "true"}
    result = payload(
        await run_operation(request, "ResolveProjectComment", variables), "resolveProjectComment"
    )
    return await _after_form(request, project_id, "comments", result["errors"], None)


@post("/projects/{project_id:str}/comments/{comment_id:str}/delete", name="collab_comment_delete")
async def comment_delete(
    request: Request[Any, Any, Any], project_id: FromPath[str], comment_id: FromPath[str]
) -> Response[Any]:
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    result = payload(
        await run_operation(request, "DeleteProjectComment", {"id": comment_id}), "deleteProjectComment"
    )
    return await _after_form(request, project_id, "comments", result["errors"], None)


@post("/projects/{project_id:str}/snapshots", name="collab_snapshot_create")
async def snapshot_create(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    form = await form_data(request)
    name = form.get("name", "")
    result = payload(
        await run_operation(request, "CreateSnapshot", {"projectId": project_id, "name": name}),
        "createSnapshot",
    )
    return await _after_form(
        request, project_id, "history", result["errors"], ("collab.history.snapshot_saved", {"name": name})
    )


@post("/projects/{project_id:str}/restore", name="collab_restore")
async def restore(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    form = await form_data(request)
    variables: dict[str, Any] = {"projectId": project_id}
    if form.get("snapshot_id"):
        variables["snapshotId"] = form["snapshot_id"]
    else:
        try:
            variables["revision"] = int(form.get("revision", ""))
        except ValueError:
            variables["revision"] = -1
    result = payload(
        await run_operation(request, "RestoreProjectVersion", variables), "restoreProjectVersion"
    )
    version = form.get("label") or form.get("revision", "")
    return await _after_form(
        request, project_id, "history", result["errors"], ("collab.history.restored", {"version": version})
    )


@post("/projects/{project_id:str}/fork", name="collab_fork")
async def fork(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    result = payload(await run_operation(request, "ForkProject", {"projectId": project_id}), "forkProject")
    if result["errors"]:
        await sessions.flash(
            request, "error", "common.errors.generic_with", message=result["errors"][0]["message"]
        )
        return redirect(_studio_url(request, project_id))
    await sessions.flash(request, "success", "collab.fork.done")
    return redirect(_studio_url(request, result["project"]["id"]))


# ----------------------------------------------------------------------------- sharing


async def _share(
    request: Request[Any, Any, Any], project_id: str, status: int = 200, **extra: Any
) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    data = await query(request, "SharePage", {"id": project_id})
    values = {"errors": {}, "general": [], "upgrade": None, "form": {}, **extra}
    return await render(request, SHARE, status=status, data=data, roles=ROLES, **values)


@get("/projects/{project_id:str}/share", name="collab_share")
async def share_page(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    return await _share(request, project_id)


@post("/projects/{project_id:str}/share", name="collab_invite")
async def invite(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    form = await form_data(request)
    role = form.get("role", "editor")
    variables = {
        "projectId": project_id,
        "invitee": form.get("invitee", ""),
        "role": role.upper() if role in ROLES else "EDITOR",
    }
    result = payload(await run_operation(request, "InviteCollaborator", variables), "inviteCollaborator")
    if result["errors"]:
        upgrade = next((e for e in result["errors"] if e["code"] == "FEATURE_NOT_IN_PLAN"), None)
        errors, general = split_errors([e for e in result["errors"] if e is not upgrade])
        return await _share(
            request,
            project_id,
            402 if upgrade else 422,
            errors=errors,
            general=general,
            upgrade=upgrade,
            form=form,
        )
    await sessions.flash(request, "success", "collab.share.sent", invitee=result["invitation"]["invitee"])
    return redirect(request.app.route_reverse("collab_share", project_id=project_id))


async def _share_action(
    request: Request[Any, Any, Any],
    project_id: str,
    operation: str,
    field: str,
    variables: dict[str, Any],
    flash: tuple[str, dict[str, Any]],
) -> Response[Any]:
    result = payload(await run_operation(request, operation, variables), field)
    if result["errors"]:
        return await _share(request, project_id, 422, general=[e["message"] for e in result["errors"]])
    await sessions.flash(request, "success", flash[0], **flash[1])
    return redirect(request.app.route_reverse("collab_share", project_id=project_id))


@post("/projects/{project_id:str}/share/role", name="collab_role")
async def change_role(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    form = await form_data(request)
    role = form.get("role", "")
    variables = {
        "projectId": project_id,
        "userId": form.get("user_id", ""),
        "role": role.upper() if role in ROLES else "VIEWER",
    }
    return await _share_action(
        request,
        project_id,
        "ChangeCollaboratorRole",
        "changeCollaboratorRole",
        variables,
        (
            "collab.share.role_changed",
            {"name": form.get("name", ""), "role": t(f"collab.roles.{role}") if role in ROLES else ""},
        ),
    )


@post("/projects/{project_id:str}/share/remove", name="collab_remove")
async def remove(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    user_id = form.get("user_id", "")
    if user_id == page.actor.public_id:  # leaving: afterwards the project is out of reach
        result = payload(
            await run_operation(request, "RemoveCollaborator", {"projectId": project_id, "userId": user_id}),
            "removeCollaborator",
        )
        if result["errors"]:
            return await _share(request, project_id, 422, general=[e["message"] for e in result["errors"]])
        await sessions.flash(request, "success", "collab.share.left")
        return redirect(request.app.route_reverse("collab_shared"))
    return await _share_action(
        request,
        project_id,
        "RemoveCollaborator",
        "removeCollaborator",
        {"projectId": project_id, "userId": user_id},
        ("collab.share.removed", {"name": form.get("name", "")}),
    )


@post("/projects/{project_id:str}/share/revoke", name="collab_revoke")
async def revoke(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    form = await form_data(request)
    result = payload(
        await run_operation(request, "RevokeProjectInvitation", {"id": form.get("invitation_id", "")}),
        "revokeProjectInvitation",
    )
    if result["errors"]:
        return await _share(request, project_id, 422, general=[e["message"] for e in result["errors"]])
    return redirect(request.app.route_reverse("collab_share", project_id=project_id))


@post("/projects/{project_id:str}/share/forking", name="collab_forking")
async def forking(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    form = await form_data(request)
    allowed = form.get("allow_forks") in ("true", "on", "1")
    result = payload(
        await run_operation(request, "SetProjectForking", {"projectId": project_id, "allowed": allowed}),
        "setProjectForking",
    )
    if result["errors"]:
        return await _share(request, project_id, 422, general=[e["message"] for e in result["errors"]])
    return redirect(request.app.route_reverse("collab_share", project_id=project_id))


# ----------------------------------------------------------------------------- invitations


@get("/project-invitations", name="collab_invitations")
async def invitations(request: Request[Any, Any, Any]) -> Response[Any]:
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    data = await query(request, "MyInvitations")
    return await render(request, INVITATIONS, data=data, general=[])


@get("/project-invitations/{token:str}", name="collab_invitation")
async def invitation(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    """The emailed link and the notification's: who invites you to what, and Accept/Decline."""
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    result = await run_operation(request, "InvitationByToken", {"token": token})
    if result.errors:
        messages = [e.message for e in result.errors]
        return await render(request, INVITATION, status=404, invitation=None, token=token, general=messages)
    assert result.data is not None
    return await render(
        request, INVITATION, invitation=result.data["projectInvitation"], token=token, general=[]
    )


@post("/project-invitations/accept", name="collab_invitation_accept")
async def accept(request: Request[Any, Any, Any]) -> Response[Any]:
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    form = await form_data(request)
    variables = {"id": form.get("invitation_id") or None, "token": form.get("token") or None}
    result = payload(
        await run_operation(request, "AcceptProjectInvitation", variables), "acceptProjectInvitation"
    )
    if result["errors"]:
        await sessions.flash(
            request, "error", "common.errors.generic_with", message=result["errors"][0]["message"]
        )
        return redirect(request.app.route_reverse("collab_invitations"))
    await sessions.flash(request, "success", "collab.invitations.accepted", title=result["project"]["title"])
    return redirect(_studio_url(request, result["project"]["id"]))


@post("/project-invitations/decline", name="collab_invitation_decline")
async def decline(request: Request[Any, Any, Any]) -> Response[Any]:
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    form = await form_data(request)
    result = payload(
        await run_operation(request, "DeclineProjectInvitation", {"id": form.get("invitation_id", "")}),
        "declineProjectInvitation",
    )
    if result["errors"]:
        await sessions.flash(
            request, "error", "common.errors.generic_with", message=result["errors"][0]["message"]
        )
    else:
        await sessions.flash(request, "success", "collab.invitations.declined")
    return redirect(request.app.route_reverse("collab_invitations"))


@get("/shared", name="collab_shared")
async def shared(request: Request[Any, Any, Any]) -> Response[Any]:
    if (await page_context(request)).actor is None:
        return login_redirect(request)
    data = await query(request, "SharedProjects", {"after": request.query_params.get("after")})
    invitations_data = await query(request, "MyInvitations")
    return await render(request, SHARED, data=data, invitations=invitations_data["myProjectInvitations"])


route_handlers = [
    panel,
    comments,
    history,
    comment_add,
    comment_resolve,
    comment_delete,
    snapshot_create,
    restore,
    fork,
    share_page,
    invite,
    change_role,
    remove,
    revoke,
    forking,
    invitations,
    invitation,
    accept,
    decline,
    shared,
]
