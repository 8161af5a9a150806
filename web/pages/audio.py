"""Studio pages: the library, the projects list and the studio itself.

Every page runs named operations from ``graphql/operations/audio/``; every control is a small plain
form (works without JavaScript) that htmx posts as soon as it changes. A change becomes one or more
project operations sent with the revision the page was showing; a stale revision re-renders the
studio with the fresh state and a notice. Long work (ingest, render, export) shows the job's live
progress bar, and a light poll (answered ``204`` while the work runs) swaps in the result.
"""

from __future__ import annotations

import os
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath

from backend.core import clock
from backend.core.i18n import t
from backend.core.ids import new_id
from backend.core.settings import get_settings
from backend.core.storage import TooLarge, storage
from backend.core.tables import Upload
from web import sessions
from web.forms import form_data, payload, redirect, split_errors
from web.operations import query, run_operation
from web.pages.accounts import login_redirect
from web.pages.audio_view import storage_meter, studio_view, wave_path
from web.render import is_htmx, page_context, render

LIBRARY = "audio/library.html"
PROJECTS = "audio/projects.html"
STUDIO = "audio/studio.html"
ACTIVE = ("QUEUED", "RUNNING")
FLOAT_FIELDS = {"tempo", "gain_db", "pan", "start", "offset", "length", "fade_in", "fade_out"}


def _nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


def _number(value: str | None) -> Any:
    """A form number as a float; text that isn't one goes through so the API can say so."""
    if value is None:
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return value


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


def _no_content() -> Response[Any]:
    return Response(b"", status_code=204)


# ----------------------------------------------------------------------------- library


async def _library(request: Request[Any, Any, Any], status: int = 200, **extra: Any) -> Response[Any]:
    data = await query(request, "LibraryPage", {"after": request.query_params.get("after")})
    if data["viewer"] is None:
        return login_redirect(request)
    values = {"errors": {}, "general": [], **extra}
    return await render(
        request,
        LIBRARY,
        status=status,
        assets=_nodes(data["assets"]),
        page_info=data["assets"]["pageInfo"],
        meter=storage_meter(data["audioStorage"]),
        wave_path=wave_path,
        block="library",
        **values,
    )


@get("/library", name="audio_library")
async def library_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _library(request)


@post("/library/assets", name="audio_asset_create")
async def asset_create(request: Request[Any, Any, Any]) -> Response[Any]:
    """Claim an upload (made by ``POST /uploads``) into an asset; htmx gets the new row."""
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    data = payload(
        await run_operation(request, "CreateAsset", {"uploadId": form.get("upload_id", ""), "name": None}),
        "createAsset",
    )
    if data["errors"]:
        _, general = split_errors(data["errors"])
        messages = general or [e["message"] for e in data["errors"]]
        if is_htmx(request):
            return await render(request, "audio/_asset_error.html", status=422, messages=messages)
        return await _library(request, 422, general=messages)
    if is_htmx(request):
        return await _asset_row(request, data["asset"]["id"], status=201)
    await sessions.flash(request, "success", "audio.library.added", name=data["asset"]["name"])
    return redirect(request.app.route_reverse("audio_library"))


@post("/library/upload", name="audio_library_upload", request_max_body_size=None)
async def library_upload(request: Request[Any, Any, Any]) -> Response[Any]:
    """The no-JavaScript path: a multipart form. Same storage and limits as ``POST /uploads``."""
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await request.form()
    chosen = form.getall("file") if "file" in form and hasattr(form, "getall") else []
    files = [f for f in chosen if isinstance(f, UploadFile)]
    files = [f for f in files if f.filename]
    if not files:
        return await _library(request, 422, general=[t("audio.library.no_file")])
    limit = get_settings().media.max_upload_bytes
    messages: list[str] = []
    for file in files:
        upload_id = new_id("upl")
        key = f"uploads/{page.actor.public_id}/{upload_id}"

        async def chunks(source: UploadFile = file) -> Any:
            while block := await source.read(256 * 1024):
                yield block

        try:
            stored = await storage().save_stream(key, chunks(), limit)
        except TooLarge as exc:
            messages.append(
                t("audio.library.upload_failed", name=file.filename, message=t(exc.key, **exc.params))
            )
            continue
        filename = os.path.basename(file.filename)[:255]
        await Upload.insert(
            Upload(
                public_id=upload_id,
                owner_id=page.actor.user_id,
                storage_key=key,
                filename=filename,
                declared_type=(file.content_type or "")[:120],
                size=stored.size,
                sha256=stored.sha256,
                purpose="audio",
                created_at=clock.now(),
            )
        )
        data = payload(await run_operation(request, "CreateAsset", {"uploadId": upload_id}), "createAsset")
        for error in data["errors"]:
            messages.append(t("audio.library.upload_failed", name=filename, message=error["message"]))
        if not data["errors"]:
            await sessions.flash(request, "success", "audio.library.added", name=data["asset"]["name"])
    if messages:
        return await _library(request, 422, general=messages)
    return redirect(request.app.route_reverse("audio_library"))


async def _asset_row(
    request: Request[Any, Any, Any], asset_id: str, status: int = 200, *, with_storage: bool = False
) -> Response[Any]:
    """One library row; ``with_storage`` adds the storage gauge out of band (a finished row's
    sound now counts there)."""
    data = await query(request, "LibraryAssetRow", {"id": asset_id, "withStorage": with_storage})
    storage = storage_meter(data["audioStorage"]) if with_storage else None
    return await render(
        request,
        "audio/_asset_row.html",
        status=status,
        asset=data["asset"],
        wave_path=wave_path,
        storage=storage,
    )


@get("/library/assets/{asset_id:str}", name="audio_asset_row")
async def asset_row(request: Request[Any, Any, Any], asset_id: FromPath[str]) -> Response[Any]:
    """One library row; with ``?wait=1`` it answers 204 until processing ends (a cheap poll)."""
    if request.query_params.get("wait"):
        data = await query(request, "LibraryAssetRow", {"id": asset_id})
        if data["asset"]["status"] == "PROCESSING":
            return _no_content()
    return await _asset_row(request, asset_id, with_storage=True)


@post("/library/assets/{asset_id:str}/delete", name="audio_asset_delete")
async def asset_delete(request: Request[Any, Any, Any], asset_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    row = await query(request, "LibraryAssetRow", {"id": asset_id})
    data = payload(await run_operation(request, "DeleteAsset", {"id": asset_id}), "deleteAsset")
    if data["errors"]:
        return await _library(request, 422, general=[e["message"] for e in data["errors"]])
    await sessions.flash(request, "success", "audio.library.deleted", name=row["asset"]["name"])
    return redirect(request.app.route_reverse("audio_library"))


# ----------------------------------------------------------------------------- projects


async def _projects(request: Request[Any, Any, Any], status: int = 200, **extra: Any) -> Response[Any]:
    data = await query(request, "ProjectsPage", {"after": request.query_params.get("after")})
    if data["viewer"] is None:
        return login_redirect(request)
    values = {"errors": {}, "general": [], "form": {}, **extra}
    return await render(
        request,
        PROJECTS,
        status=status,
        projects=_nodes(data["projects"]),
        page_info=data["projects"]["pageInfo"],
        **values,
    )


@get("/projects", name="audio_projects")
async def projects_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _projects(request)


@post("/projects", name="audio_project_create")
async def project_create(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    variables = {
        "input": {
            "title": form.get("title", ""),
            "tempo": _number(form.get("tempo")) if _is_float(form.get("tempo")) else -1.0,
            "timeSignature": [_int(form.get("beats"), 4), _int(form.get("beat_unit"), 4)],
            "sampleRate": _int(form.get("sample_rate"), 48000),
        }
    }
    data = payload(await run_operation(request, "CreateProject", variables), "createProject")
    if data["errors"]:
        errors, general = split_errors(data["errors"])
        return await _projects(request, 422, errors=errors, general=general, form=form)
    return redirect(request.app.route_reverse("audio_studio", project_id=data["project"]["id"]))


def _is_float(value: str | None) -> bool:
    return isinstance(_number(value), float)


@post("/projects/{project_id:str}/delete", name="audio_project_delete")
async def project_delete(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    current = await query(request, "ProjectDocument", {"id": project_id})
    data = payload(await run_operation(request, "DeleteProject", {"id": project_id}), "deleteProject")
    if not data["errors"]:
        await sessions.flash(
            request, "success", "audio.projects.deleted", title=current["project"]["document"]["title"]
        )
    return redirect(request.app.route_reverse("audio_projects"))


# ----------------------------------------------------------------------------- studio


async def _studio(
    request: Request[Any, Any, Any],
    project_id: str,
    *,
    status: int = 200,
    block: str | None = "studio",
    **extra: Any,
) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    data = await query(request, "StudioPage", {"id": project_id})
    project = data.get("project") or {}
    track_upgrade = None
    if project and len(project.get("tracks", [])) >= project.get("trackLimit", 0):
        # At the limit: name the plan that lifts it, so the banner is a way forward, not a wall.
        offer = await query(request, "TrackLimitUpgrade", {"needed": project["trackLimit"] + 1})
        track_upgrade = offer["entitlements"]["upgradeFor"]
    values = {
        "track_upgrade": track_upgrade,
        "notice": None,
        "general": [],
        "export_errors": {},
        "export_general": [],
        "upgrade": None,
        "upgrade_url": _upgrade_url(request),
        "export_form": {},
        **extra,
    }
    return await render(
        request,
        STUDIO,
        status=status,
        block=block,
        view=studio_view(data),
        **values,
    )


def _upgrade_url(request: Request[Any, Any, Any]) -> str | None:
    """The plans page, once billing has one (it is another engineer's route)."""
    for name in ("pricing", "billing_plans", "plans"):
        try:
            return request.app.route_reverse(name)
        except Exception:  # noqa: S112 - not registered (yet)
            continue
    return None


@get("/projects/{project_id:str}", name="audio_studio")
async def studio_page(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    return await _studio(request, project_id)


def _bool(form: dict[str, str], name: str) -> bool:
    return form.get(name, "") in ("true", "on", "1")


def _set_value(field: str, raw: str | None, form: dict[str, str]) -> Any:
    if field in ("mute", "solo"):
        return _bool(form, "value")
    if field in FLOAT_FIELDS:
        return _number(raw)
    return raw


def _operations(form: dict[str, str], document: dict[str, Any]) -> list[dict[str, Any]]:
    """Turn one posted control into the operations it means."""
    kind = form.get("op", "")
    track_id = form.get("track_id", "")
    target = form.get("target", "")
    if kind == "set_project":
        field = form.get("field", "")
        if field == "time_signature":
            value: Any = [_int(form.get("beats"), 4), _int(form.get("beat_unit"), 4)]
        elif field == "sample_rate":
            value = _int(form.get("value"), 0)
        else:
            value = _set_value(field, form.get("value"), form)
        return [{"kind": "set_project", "field": field, "value": value}]
    if kind == "add_tracks":
        count = max(1, min(_int(form.get("count"), 1), 64))
        start = len(document["tracks"])
        name = " ".join(form.get("name", "").split())
        return [
            {
                "kind": "add_track",
                "index": start + i,
                "track": {
                    "id": new_id("trk"),
                    "name": (f"{name} {i + 1}" if count > 1 else name)
                    if name
                    else t("audio.studio.default_track", number=start + i + 1),
                },
            }
            for i in range(count)
        ]
    if kind in ("remove_track",):
        return [{"kind": kind, "track_id": track_id}]
    if kind in ("move_track", "move_effect"):
        op = {
            "kind": kind,
            "from_index": _int(form.get("from_index")),
            "to_index": _int(form.get("to_index")),
        }
        op.update(
            {"track_id": track_id}
            if kind == "move_track"
            else {"target": target, "effect_id": form.get("effect_id")}
        )
        return [op]
    if kind == "set_track":
        field = form.get("field", "")
        return [
            {
                "kind": kind,
                "track_id": track_id,
                "field": field,
                "value": _set_value(field, form.get("value"), form),
            }
        ]
    if kind == "add_effect":
        return [
            {"kind": kind, "target": target, "effect": {"id": new_id("fx"), "type": form.get("type", "")}}
        ]
    if kind == "remove_effect":
        return [{"kind": kind, "target": target, "effect_id": form.get("effect_id")}]
    if kind == "set_effect_param":
        raw = form.get("value")
        value = raw if form.get("choice") else _number(raw)
        return [
            {
                "kind": kind,
                "target": target,
                "effect_id": form.get("effect_id"),
                "param": form.get("param"),
                "value": value,
            }
        ]
    if kind == "set_effect_bypass":
        return [
            {
                "kind": kind,
                "target": target,
                "effect_id": form.get("effect_id"),
                "bypass": _bool(form, "value"),
            }
        ]
    if kind == "add_clip":
        clip: dict[str, Any] = {
            "id": new_id("clp"),
            "asset_id": form.get("asset_id", ""),
            "start": _number(form.get("start") or "0"),
        }
        return [{"kind": kind, "track_id": track_id, "clip": clip}]
    if kind == "edit_clip":
        return _clip_edits(form, document)
    if kind == "remove_clip":
        return [{"kind": kind, "track_id": track_id, "clip_id": form.get("clip_id")}]
    if kind == "set_master":
        field = form.get("field", "")
        value = (form.get("value") or None) if field == "mastering" else _number(form.get("value"))
        return [{"kind": kind, "field": field, "value": value}]
    return [{"kind": kind}]  # the API names what is wrong with it


def _clip_edits(form: dict[str, str], document: dict[str, Any]) -> list[dict[str, Any]]:
    """One clip form holds position, trim, gain and fades: send only what changed."""
    track_id, clip_id = form.get("track_id", ""), form.get("clip_id", "")
    track = next((tr for tr in document["tracks"] if tr["id"] == track_id), None)
    clip = next((c for c in track["clips"] if c["id"] == clip_id), None) if track else None
    if clip is None:
        return [{"kind": "remove_clip", "track_id": track_id, "clip_id": clip_id}]  # refused: clip not found
    values = {
        name: _number(form.get(name))
        for name in ("start", "offset", "length", "gain_db", "fade_in", "fade_out")
    }
    ops: list[dict[str, Any]] = []

    def changed(name: str) -> bool:
        return values[name] is not None and values[name] != clip[name]

    # Trim before fades (a longer clip makes room for a longer fade), fades before a shorter trim.
    if changed("offset") or changed("length"):
        ops.append(
            {
                "kind": "trim_clip",
                "track_id": track_id,
                "clip_id": clip_id,
                "offset": values["offset"] if values["offset"] is not None else clip["offset"],
                "length": values["length"] if values["length"] is not None else clip["length"],
            }
        )
    fades = [
        {"kind": "set_clip", "track_id": track_id, "clip_id": clip_id, "field": name, "value": values[name]}
        for name in ("gain_db", "fade_in", "fade_out")
        if changed(name)
    ]
    shrinking = isinstance(values["length"], float) and values["length"] < clip["length"]
    ops = fades + ops if shrinking else ops + fades
    if changed("start"):
        ops.append(
            {
                "kind": "move_clip",
                "track_id": track_id,
                "clip_id": clip_id,
                "to_track_id": track_id,
                "start": values["start"],
            }
        )
    return ops


@post("/projects/{project_id:str}/ops", name="audio_studio_ops")
async def studio_ops(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    current = await query(request, "ProjectDocument", {"id": project_id})
    base = _int(form.get("base_revision"), -1)
    operations = _operations(form, current["project"]["document"])
    if not operations:
        return (
            await _studio(request, project_id)
            if is_htmx(request)
            else redirect(_studio_url(request, project_id))
        )
    result = payload(
        await run_operation(
            request,
            "ApplyProjectOperations",
            {
                "projectId": project_id,
                "baseRevision": base,
                "operations": [{"kind": op["kind"].upper(), "payload": _payload_of(op)} for op in operations],
            },
        ),
        "applyProjectOperations",
    )
    if result["errors"]:
        stale = result["currentRevision"] is not None
        notice = t("audio.studio.stale", revision=result["currentRevision"]) if stale else None
        general = [] if stale else [e["message"] for e in result["errors"]]
        return await _studio(
            request, project_id, status=409 if stale else 422, notice=notice, general=general
        )
    if not is_htmx(request):
        return redirect(_studio_url(request, project_id))
    return await _studio(request, project_id, oob=True)


def _payload_of(op: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in op.items() if k != "kind"}


def _studio_url(request: Request[Any, Any, Any], project_id: str) -> str:
    return request.app.route_reverse("audio_studio", project_id=project_id)


# ----------------------------------------------------------------------------- render


async def _render_panel(request: Request[Any, Any, Any], project_id: str, **extra: Any) -> Response[Any]:
    data = await query(request, "StudioRenderPanel", {"id": project_id})
    project = data["project"]
    view = studio_view({"project": {**project, "renders": project["renders"]}, "panel_only": True})
    return await render(
        request, STUDIO, block="render_panel", view=view, **{"notice": None, "general": [], **extra}
    )


@post("/projects/{project_id:str}/render", name="audio_render")
async def render_start(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    result = payload(
        await run_operation(request, "RenderProject", {"projectId": project_id}), "renderProject"
    )
    messages = [e["message"] for e in result["errors"]]
    if not is_htmx(request):
        if messages:
            await sessions.flash(request, "error", "common.errors.generic_with", message=messages[0])
        return redirect(_studio_url(request, project_id))
    return await _render_panel(request, project_id, render_errors=messages, cached=result["cached"])


@get("/projects/{project_id:str}/render-panel", name="audio_render_panel")
async def render_panel(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    """With ``?wait=1``: 204 while the latest render runs, then the finished panel."""
    if request.query_params.get("wait"):
        data = await query(request, "StudioRenderPanel", {"id": project_id})
        renders = data["project"]["renders"]
        if renders and renders[0]["status"] in ACTIVE:
            return _no_content()
    return await _render_panel(request, project_id)


@post("/projects/{project_id:str}/render/{render_id:str}/cancel", name="audio_render_cancel")
async def render_cancel(
    request: Request[Any, Any, Any], project_id: FromPath[str], render_id: FromPath[str]
) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    payload(await run_operation(request, "CancelRender", {"id": render_id}), "cancelRender")
    if not is_htmx(request):
        return redirect(_studio_url(request, project_id))
    return await _render_panel(request, project_id)


# ----------------------------------------------------------------------------- export


@post("/projects/{project_id:str}/export", name="audio_export")
async def export_start(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    fmt = form.get("format", "wav")
    settings = {
        "format": fmt.upper(),
        "sampleRate": _int(form.get("sample_rate"), 48000),
        "bitDepth": _int(form.get("bit_depth"), 24) if fmt in ("wav", "flac", "stems") else None,
        "quality": form.get("quality") or None if fmt in ("mp3", "ogg") else None,
        "title": form.get("title", ""),
        "artist": form.get("artist", ""),
    }
    if settings["quality"] and fmt == "mp3" and settings["quality"] not in ("320", "V0"):
        settings["quality"] = "320"
    if settings["quality"] and fmt == "ogg" and settings["quality"] not in ("192", "320"):
        settings["quality"] = "192"
    result = await run_operation(request, "ExportProject", {"projectId": project_id, "settings": settings})
    if result.errors and not result.data:
        # An enum the API doesn't know (a tampered form): say so like any other refusal.
        data: dict[str, Any] = {
            "errors": [
                {
                    "field": "format",
                    "code": "BAD_EXPORT_FORMAT",
                    "message": t("audio.errors.bad_export_format"),
                }
            ]
        }
    else:
        data = payload(result, "exportProject")
    block = "exports" if is_htmx(request) else None
    if data["errors"]:
        upgrade = next((e for e in data["errors"] if e["code"] == "UPGRADE_REQUIRED"), None)
        errors, general = split_errors([e for e in data["errors"] if e is not upgrade])
        return await _studio(
            request,
            project_id,
            status=402 if upgrade else 422,
            block=block,
            export_errors=errors,
            export_general=general,
            upgrade=upgrade,
            export_form=form,
        )
    if block is None:
        await sessions.flash(request, "success", "audio.export.queued", filename=data["export"]["filename"])
        return redirect(_studio_url(request, project_id) + "#exports")
    return await _studio(request, project_id, block=block, export_form=form)


@get("/projects/{project_id:str}/exports", name="audio_exports")
async def exports_list(request: Request[Any, Any, Any], project_id: FromPath[str]) -> Response[Any]:
    """With ``?wait=1``: 204 while any export runs, then the refreshed list."""
    if request.query_params.get("wait"):
        data = await query(request, "StudioExports", {"id": project_id})
        if any(e["status"] in ACTIVE for e in data["project"]["exports"]):
            return _no_content()
    return await _studio(request, project_id, block="exports")


route_handlers = [
    library_page,
    asset_create,
    library_upload,
    asset_row,
    asset_delete,
    projects_page,
    project_create,
    project_delete,
    studio_page,
    studio_ops,
    render_start,
    render_panel,
    render_cancel,
    export_start,
    exports_list,
]
