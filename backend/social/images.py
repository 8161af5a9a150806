"""Pictures (avatar, banner, logo, press photos, release artwork) from an upload to a finished file.

The service checks what can be checked at once — the upload is the actor's, unclaimed, small enough,
and its first bytes are a PNG, JPEG or WebP signature — so wrong input is refused with a translated
message before anything changes. Decoding, resizing and re-encoding happen in a job, in a child
process with memory and CPU limits (``imaging.py``).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import tempfile
from pathlib import Path
from typing import Any

from backend.core import clock, db, jobs
from backend.core.actor import Actor
from backend.core.errors import DomainError, NotFound
from backend.core.ids import has_prefix, new_id
from backend.core.storage import storage
from backend.core.tables import Upload
from backend.social import access
from backend.social.tables import IMAGE_KINDS, Image

MB = 1024 * 1024
MAX_BYTES = {"avatar": 5 * MB, "logo": 5 * MB, "banner": 10 * MB, "artwork": 10 * MB, "press": 10 * MB}
PROFILE_KINDS = ("avatar", "banner", "logo", "press")
CHILD_MEMORY = 1024 * MB
CHILD_CPU_SECONDS = 20
CHILD_TIMEOUT = 25


def sniff(head: bytes) -> str | None:
    """The image format from its first bytes, whatever the file name or declared type says."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


async def check_upload(actor: Actor, upload_id: str, kind: str, *, field: str) -> dict[str, Any]:
    """The upload row if it may become a ``kind`` picture; a translated refusal otherwise."""
    if kind not in IMAGE_KINDS:
        raise DomainError("social.errors.image_kind_invalid", field="kind")
    upload = None
    if has_prefix(upload_id, "upl"):
        upload = await Upload.select().where(Upload.public_id == upload_id).first()
    if upload is None or upload["owner_id"] != actor.user_id:
        raise DomainError("social.errors.upload_not_found", field=field)
    if upload["claimed"]:
        raise DomainError("social.errors.upload_used", field=field)
    limit = MAX_BYTES[kind]
    if int(upload["size"]) > limit:
        raise DomainError("social.errors.image_too_large", field=field, limit_mb=limit // MB)
    try:
        with open(storage().local_path(upload["storage_key"]), "rb") as handle:  # noqa: ASYNC230 - 16 bytes
            head = handle.read(16)
    except OSError:
        raise DomainError("social.errors.upload_not_found", field=field)
    if sniff(head) is None:
        raise DomainError("social.errors.image_type", field=field)
    return upload


async def claim(
    actor: Actor, upload: dict[str, Any], kind: str, target: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Inside the caller's transaction: mark the upload used, record the image and its job."""
    claimed = (
        await Upload.update({Upload.claimed: True})
        .where(Upload.id == upload["id"], Upload.claimed == False)  # noqa: E712 - SQL, not Python
        .returning(Upload.id)
    )
    if not claimed:
        raise DomainError("social.errors.upload_used", field="uploadId")
    row: dict[str, Any] = {
        "public_id": new_id("img"),
        "owner_id": actor.user_id,
        "upload_id": upload["public_id"],
        "kind": kind,
        "target": target,
        "status": "processing",
        "created_at": clock.now(),
    }
    await Image.insert(Image(**row))
    job = await jobs.create_job(
        "social.process_image",
        {"image_id": row["public_id"]},
        owner_id=actor.user_id,
        subject=row["public_id"],
    )
    return row, job


def _limits() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS))


async def render_image(src: Path, kind: str) -> tuple[bytes, dict[str, Any]]:
    """Run the child process; returns the new file's bytes and its size, or raises DomainError."""
    with tempfile.TemporaryDirectory(prefix="cadenza-img-") as work:
        dst = Path(work) / "out"
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "backend.social.imaging",
            str(src),
            str(dst),
            kind,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            preexec_fn=_limits,  # noqa: PLW1509 - only setrlimit, which is safe after fork
        )
        try:
            out, _ = await asyncio.wait_for(process.communicate(), CHILD_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise DomainError("social.errors.image_unreadable")
        try:
            answer = json.loads(out.decode() or "{}")
        except ValueError:
            answer = {}
        if process.returncode != 0 or "error" in answer or not dst.exists():
            raise DomainError(str(answer.get("error") or "social.errors.image_unreadable"))
        return dst.read_bytes(), answer


def extension(kind: str, data: bytes) -> str:
    return "png" if data.startswith(b"\x89PNG") else "jpg"


async def attach_to_profile(actor: Actor, kind: str, upload_id: str) -> dict[str, Any]:
    """Make an upload the actor's avatar, banner, logo or a press photo (finished by a job)."""
    access.require_write(actor)
    if kind not in PROFILE_KINDS:
        raise DomainError("social.errors.image_kind_invalid", field="kind")
    upload = await check_upload(actor, upload_id, kind, field="uploadId")
    async with db.transaction():
        row, job = await claim(actor, upload, kind, "profile")
    await jobs.dispatch(job)
    return {**row, "job_id": job["public_id"]}


async def get_for(actor: Actor, image_id: str) -> dict[str, Any]:
    row = await Image.select().where(Image.public_id == image_id).first()
    if row is None or row["owner_id"] != actor.user_id:
        raise NotFound()
    return row
