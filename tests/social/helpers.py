"""Helpers for community tests: releases the fast way (rows + the real go-live path) and GraphQL calls."""

from __future__ import annotations

import asyncio
import io
import wave
from datetime import datetime
from typing import Any

import httpx
import numpy as np

from backend.core import clock, jobs
from backend.core.ids import new_id
from backend.core.signing import random_token
from backend.core.storage import storage
from backend.core.tables import Job
from backend.social import releases
from backend.social.tables import Release, ReleaseStats
from tests.fixtures import gql

PUBLISH = """
mutation($input: PublishReleaseInput!) {
  publishRelease(input: $input) { release { id title status visibility } errors { field code message } }
}
"""


def tone_wav(seconds: float = 40.0, *, freq: float = 330.0, rate: int = 22050) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    envelope = 0.3 + 0.2 * np.sin(2 * np.pi * 0.25 * t)  # a waveform with some shape to draw
    data = (envelope * np.sin(2 * np.pi * freq * t) * 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(data)
    return buffer.getvalue()


async def upload(client: httpx.AsyncClient, data: bytes, filename: str = "track.wav") -> str:
    token = client.cookies.get("csrftoken")
    if not token:
        await client.get("/")
        token = client.cookies.get("csrftoken", "")
    response = await client.post(
        "/uploads",
        content=data,
        headers={"X-Filename": filename, "Content-Type": "application/octet-stream", "X-CSRFToken": token},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


_STREAM: str | None = None


async def _stream_key() -> str:
    """One short MP3 in storage that fast releases share as their stream."""
    global _STREAM
    key = "tests/social/stream.wav"
    if _STREAM is None or not storage().exists(key):
        await storage().save_bytes(key, tone_wav(2.0))
        _STREAM = key
    return key


async def quick_release(
    owner: dict[str, Any],
    title: str = "A tune",
    *,
    visibility: str = "public",
    genre: str = "reel",
    duration: float = 120.0,
    published_at: datetime | None = None,
    go_live: bool = True,
) -> dict[str, Any]:
    """A release whose audio is already prepared; ``go_live`` runs the real publish path
    (status, ``published_at``, the announcement job)."""
    now = clock.now()
    public_id = new_id("trk")
    rows = await Release.insert(
        Release(
            public_id=public_id,
            owner_id=owner["id"],
            title=title,
            genre=genre,
            tags=[],
            visibility=visibility,
            secret_token=random_token(18),
            status="processing",
            created_at=now,
            updated_at=now,
        )
    ).returning(Release.id)
    await ReleaseStats.insert(ReleaseStats(release_id=rows[0]["id"]))
    release = await releases.queries.release_by_public_id(public_id)
    assert release is not None
    if not go_live:
        return release
    release = await releases.audio_ready(release, await _stream_key(), duration, [0.2, 0.8, 0.5, 1.0])
    if published_at is not None:
        await Release.update({Release.published_at: published_at}).where(Release.id == release["id"])
        release = await releases.queries.release_by_public_id(public_id)
    return release


async def settle(kinds: tuple[str, ...] = ("social.",), within: float = 20.0) -> None:
    """Wait until no job of these kinds is queued or running (the workers fixture runs them)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        rows = await Job.select(Job.kind, Job.status).where(Job.status.is_in(["queued", "running"]))
        busy = [r for r in rows if r["kind"].startswith(kinds)]
        if not busy:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"jobs still busy: {busy}")
        await asyncio.sleep(0.02)


async def run_jobs_inline(kind: str) -> None:
    """Run queued jobs of ``kind`` in this process (for tests that don't start workers)."""
    from backend.core.jobs import REGISTRY, run_job

    rows = await Job.select(Job.public_id).where(Job.kind == kind, Job.status == "queued")
    for row in rows:
        await run_job(REGISTRY[kind], row["public_id"])


async def publish_via_api(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = await gql(client, PUBLISH, {"input": fields})
    return body["data"]["publishRelease"]


__all__ = ["jobs", "publish_via_api", "quick_release", "settle", "tone_wav", "upload"]
