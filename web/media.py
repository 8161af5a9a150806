"""Uploads (a plain streaming endpoint with a size limit) and signed, range-capable downloads."""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import anyio
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Stream

from backend.core import clock
from backend.core.i18n import current_locale, t
from backend.core.ids import new_id
from backend.core.settings import get_settings
from backend.core.storage import TooLarge, check_signed, storage
from backend.core.tables import Upload
from web.auth import authenticate
from web.locale import negotiate

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024


def _problem(status: int, key: str, **params: Any) -> Response[dict[str, Any]]:
    return Response(
        {"error": {"code": key.rsplit(".", 1)[-1].upper(), "message": t(key, **params)}}, status_code=status
    )


@post("/uploads", name="upload", request_max_body_size=None, status_code=201)
async def upload(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Stream the raw request body to storage. ``X-Filename`` names it; ``?purpose=`` tags it.

    Browsers must send ``X-CSRFToken`` (matching the ``csrftoken`` cookie) with a session cookie;
    API clients authenticate with a bearer key.
    """
    auth = await authenticate(request)
    current_locale.set(negotiate(request, auth.actor))
    if auth.actor is None:
        return _problem(401, "common.errors.unauthenticated")
    if auth.via == "session":
        header = request.headers.get("x-csrftoken", "")
        if not header or header != request.cookies.get("csrftoken"):
            return _problem(403, "common.errors.csrf")
    limit = get_settings().media.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return _problem(413, "common.errors.upload_too_large", limit_mb=limit // (1024 * 1024))
    public_id = new_id("upl")
    key = f"uploads/{auth.actor.public_id}/{public_id}"
    filename = os.path.basename(
        request.headers.get("x-filename", "") or request.query_params.get("filename", "")
    )[:255]

    async def body() -> AsyncIterator[bytes]:
        async for chunk in request.stream():
            yield chunk

    try:
        stored = await storage().save_stream(key, body(), limit)
    except TooLarge as exc:
        return _problem(413, exc.key, **exc.params)
    if stored.size == 0:
        await storage().delete(key)
        return _problem(400, "common.errors.upload_empty")
    purpose = request.query_params.get("purpose", "")[:30]
    await Upload.insert(
        Upload(
            public_id=public_id,
            owner_id=auth.actor.user_id,
            storage_key=key,
            filename=filename,
            declared_type=request.headers.get("content-type", "")[:120],
            size=stored.size,
            sha256=stored.sha256,
            purpose=purpose,
            created_at=clock.now(),
        )
    )
    return Response(
        {"id": public_id, "size": stored.size, "sha256": stored.sha256, "filename": filename}, status_code=201
    )


def _content_type(key: FromPath[str]) -> str:
    guessed, _ = mimetypes.guess_type(key)
    return guessed or "application/octet-stream"


async def _file_chunks(path: str, start: int, length: int) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as handle:
        await handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = await handle.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


@get("/media/{key:path}", name="media", cache=False)
async def media(request: Request[Any, Any, Any], key: FromPath[str]) -> Response[Any]:
    """Serve a stored object if the URL's signature holds, honouring ``Range`` and ``If-None-Match``."""
    key = key.lstrip("/")
    params = request.query_params
    filename = params.get("dl")
    if not check_signed(key, params.get("e", ""), params.get("s", ""), filename):
        raise NotFoundException()
    try:
        path = storage().local_path(key)
        stat = path.stat()
    except (ValueError, OSError):
        raise NotFoundException() from None
    size = stat.st_size
    etag = f'"{stat.st_mtime_ns:x}-{size:x}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        # The URL itself expires, so the browser may keep what it fetched while it is valid.
        "Cache-Control": "private, max-age=3600",
    }
    if filename:
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers=headers)
    media_type = _content_type(filename or key)
    range_header = request.headers.get("range")
    if range_header:
        match = _RANGE.match(range_header.strip())
        if not match or (not match.group(1) and not match.group(2)):
            return Response(b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
        else:
            suffix = int(match.group(2))
            start, end = max(0, size - suffix), size - 1
        if start >= size or start > end:
            return Response(b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
        length = end - start + 1
        return Stream(
            _file_chunks(str(path), start, length),
            status_code=206,
            media_type=media_type,
            headers={
                **headers,
                "Content-Range": f"bytes {start}-{end}/{size}",
                "Content-Length": str(length),
            },
        )
    return Stream(
        _file_chunks(str(path), 0, size),
        media_type=media_type,
        headers={**headers, "Content-Length": str(size)},
    )


route_handlers = [upload, media]
