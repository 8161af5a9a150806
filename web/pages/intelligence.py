"""Music intelligence pages: generate, restyle, personal models, model cards and outputs.

Each runs a named operation from ``graphql/operations/intelligence/``; forms work without
JavaScript (MIDI files go up as a multipart form to the same storage and upload rows as
``POST /uploads``); long work shows live progress and the result card refreshes itself until the
studio project is ready.
"""

from __future__ import annotations

import os
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery

from backend.core import clock
from backend.core.i18n import t
from backend.core.ids import new_id
from backend.core.storage import TooLarge, storage
from backend.core.tables import Upload
from web.forms import form_data, payload, redirect, split_errors
from web.operations import query, run_operation
from web.pages.accounts import login_redirect
from web.render import page_context, render

UPGRADE_CODES = frozenset({"LIMIT_REACHED", "FEATURE_NOT_IN_PLAN", "UPGRADE_REQUIRED"})
MIDI_FORM_LIMIT = 12 * 1024 * 1024
PITCH_CLASS_LABELS = ("1", "♭2", "2", "♭3", "3", "4", "♯4", "5", "♭6", "6", "♭7", "7")


def _pricing_url(request: Request[Any, Any, Any]) -> str | None:
    try:
        return request.app.route_reverse("pricing")
    except Exception:  # billing pages not installed: the prompt still explains the limit
        return None


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return -1  # out of every range: the service refuses it with a translated message


def _float(value: str | None, default: float) -> float:
    try:
        return float((value or "").strip() or default)
    except ValueError:
        return -1.0


def _errors(errors: list[dict[str, Any]]) -> tuple[dict[str, str], list[str], list[str]]:
    """Field errors, general messages, and messages that are plan limits (shown as upgrade prompts)."""
    upgrades = [e["message"] for e in errors if e["code"] in UPGRADE_CODES]
    rest = [e for e in errors if e["code"] not in UPGRADE_CODES]
    fields, general = split_errors(rest)
    return fields, general, upgrades


# ----------------------------------------------------------------------------- generate


async def _generate_page(request: Request[Any, Any, Any], status: int = 200, **extra: Any) -> Response[Any]:
    page = await page_context(request)
    data = await query(request, "IntelligenceGeneratePage") if page.actor else None
    return await render(
        request,
        "intelligence/generate.html",
        status=status,
        data=data,
        form=extra.pop("form", {}),
        errors=extra.pop("errors", {}),
        general=extra.pop("general", []),
        upgrades=extra.pop("upgrades", []),
        pricing_url=_pricing_url(request),
        created=extra.pop("created", None),
        block=extra.pop("block", None),
    )


@get("/intelligence", name="intelligence_generate")
async def generate_page(
    request: Request[Any, Any, Any], genre: FromQuery[str | None] = None
) -> Response[Any]:
    return await _generate_page(request, form={"genre": genre or ""})


@post("/intelligence/generate", name="intelligence_generate_post")
async def generate_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    variables = {
        "input": {
            "genre": form.get("genre", ""),
            "bars": _int(form.get("bars")) or 16,
            "tempo": _int(form.get("tempo")),
            "key": form.get("key") or None,
            "preset": form.get("preset") or None,
            "seed": _int(form.get("seed")),
            "title": form.get("title") or None,
        }
    }
    data = payload(await run_operation(request, "GenerateMusic", variables), "generateMusic")
    if data["errors"]:
        fields, general, upgrades = _errors(data["errors"])
        return await _generate_page(
            request, 422, form=form, errors=fields, general=general, upgrades=upgrades, block="generate"
        )
    return redirect(request.app.route_reverse("intelligence_output", output_id=data["output"]["id"]))


# ----------------------------------------------------------------------------- outputs


@get("/intelligence/outputs", name="intelligence_outputs")
async def outputs_page(request: Request[Any, Any, Any], after: FromQuery[str | None] = None) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    data = await query(request, "MusicOutputs", {"first": 20, "after": after})
    return await render(request, "intelligence/outputs.html", outputs=data["musicOutputs"])


async def _output(request: Request[Any, Any, Any], output_id: str) -> dict[str, Any]:
    return (await query(request, "MusicOutputCard", {"id": output_id}))["musicOutput"]


@get("/intelligence/outputs/{output_id:str}", name="intelligence_output")
async def output_page(request: Request[Any, Any, Any], output_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    return await render(
        request, "intelligence/output.html", output=await _output(request, output_id), block="card"
    )


@get("/intelligence/outputs/{output_id:str}/card", name="intelligence_output_card")
async def output_card(request: Request[Any, Any, Any], output_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    return await render(
        request, "intelligence/output.html", output=await _output(request, output_id), block="card"
    )


# ----------------------------------------------------------------------------- models


@get("/intelligence/models", name="intelligence_models")
async def models_page(request: Request[Any, Any, Any]) -> Response[Any]:
    data = await query(request, "MusicModels")
    return await render(request, "intelligence/models.html", data=data)


@get("/intelligence/models/{model_id:str}", name="intelligence_model")
async def model_page(request: Request[Any, Any, Any], model_id: FromPath[str]) -> Response[Any]:
    data = await query(request, "MusicModelCard", {"id": model_id})
    return await render(
        request, "intelligence/model.html", model=data["musicModel"], labels=PITCH_CLASS_LABELS
    )


# ----------------------------------------------------------------------------- personal models


async def _personal_page(request: Request[Any, Any, Any], status: int = 200, **extra: Any) -> Response[Any]:
    data = await query(request, "PersonalModelsPage")
    return await render(
        request,
        "intelligence/personal.html",
        status=status,
        data=data,
        form=extra.pop("form", {}),
        errors=extra.pop("errors", {}),
        general=extra.pop("general", []),
        upgrades=extra.pop("upgrades", []),
        pricing_url=_pricing_url(request),
    )


@get("/intelligence/personal", name="intelligence_personal")
async def personal_page(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    return await _personal_page(request)


@post("/intelligence/midi", name="intelligence_midi_upload", request_max_body_size=MIDI_FORM_LIMIT)
async def midi_upload(request: Request[Any, Any, Any]) -> Response[Any]:
    """MIDI files as a multipart form (no JavaScript needed); each gets its genre suggestion."""
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await request.form()
    files = [f for f in (form.getall("file") if hasattr(form, "getall") else []) if isinstance(f, UploadFile)]
    files = [f for f in files if f.filename]
    back = form.get("next") if form.get("next") in ("restyle", "personal") else "personal"
    if not files:
        return await _personal_page(request, 422, general=[t("intelligence.errors.no_file")])
    general: list[str] = []
    for file in files:
        upload_id = new_id("upl")
        key = f"uploads/{page.actor.public_id}/{upload_id}"

        async def chunks(source: UploadFile = file) -> Any:
            while block := await source.read(64 * 1024):
                yield block

        try:
            stored = await storage().save_stream(key, chunks(), 1024 * 1024)
        except TooLarge:
            general.append(f"{file.filename}: {t('intelligence.errors.midi_too_large', limit_kb=1024)}")
            continue
        await Upload.insert(
            Upload(
                public_id=upload_id,
                owner_id=page.actor.user_id,
                storage_key=key,
                filename=os.path.basename(file.filename)[:255],
                declared_type=(file.content_type or "")[:120],
                size=stored.size,
                sha256=stored.sha256,
                purpose="midi",
                created_at=clock.now(),
            )
        )
        data = payload(await run_operation(request, "TagUpload", {"uploadId": upload_id}), "tagUpload")
        general.extend(f"{file.filename}: {e['message']}" for e in data["errors"])
    if general:
        return await _personal_page(request, 422, general=general)
    return redirect(request.app.route_reverse(f"intelligence_{back}"))


@post("/intelligence/personal", name="intelligence_personal_post")
async def personal_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    raw = await request.form()
    uploads = [v for v in raw.getall("uploads") if isinstance(v, str)] if hasattr(raw, "getall") else []
    form = await form_data(request)
    variables = {"input": {"name": form.get("name", ""), "uploadIds": uploads}}
    data = payload(await run_operation(request, "TrainPersonalModel", variables), "trainPersonalModel")
    if data["errors"]:
        fields, general, upgrades = _errors(data["errors"])
        return await _personal_page(
            request, 422, form=form, errors=fields, general=general, upgrades=upgrades
        )
    return redirect(request.app.route_reverse("intelligence_personal"))


# ----------------------------------------------------------------------------- restyle


async def _restyle_page(request: Request[Any, Any, Any], status: int = 200, **extra: Any) -> Response[Any]:
    data = await query(request, "RestylePage")
    return await render(
        request,
        "intelligence/restyle.html",
        status=status,
        data=data,
        form=extra.pop("form", {}),
        errors=extra.pop("errors", {}),
        general=extra.pop("general", []),
        upgrades=extra.pop("upgrades", []),
        pricing_url=_pricing_url(request),
    )


@get("/intelligence/restyle", name="intelligence_restyle")
async def restyle_page(
    request: Request[Any, Any, Any], output: FromQuery[str | None] = None
) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    return await _restyle_page(request, form={"source": f"output:{output}" if output else ""})


@post("/intelligence/restyle", name="intelligence_restyle_post")
async def restyle_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    kind, _, ident = form.get("source", "").partition(":")
    variables = {
        "input": {
            "genre": form.get("genre", ""),
            "uploadId": ident if kind == "upload" else None,
            "outputId": ident if kind == "output" else None,
            "tempo": _int(form.get("tempo")),
            "key": form.get("key") or None,
            "preset": form.get("preset") or None,
            "seed": _int(form.get("seed")),
            "boost": _float(form.get("boost"), 16.0),
        }
    }
    data = payload(await run_operation(request, "RestyleMusic", variables), "restyleMusic")
    if data["errors"]:
        fields, general, upgrades = _errors(data["errors"])
        return await _restyle_page(request, 422, form=form, errors=fields, general=general, upgrades=upgrades)
    return redirect(request.app.route_reverse("intelligence_output", output_id=data["output"]["id"]))


route_handlers = [
    generate_page,
    generate_submit,
    outputs_page,
    output_page,
    output_card,
    models_page,
    model_page,
    personal_page,
    midi_upload,
    personal_submit,
    restyle_page,
    restyle_submit,
]
