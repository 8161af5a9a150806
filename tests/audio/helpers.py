"""Helpers for studio tests: sounds made with numpy, uploads through the real endpoint, GraphQL calls."""

from __future__ import annotations

import io
import wave
from typing import Any

import httpx
import numpy as np

from backend.audio.tables import Asset
from backend.core import clock
from backend.core.ids import new_id
from tests.fixtures import gql


def tone_wav(
    seconds: float = 1.0,
    *,
    freq: float = 440.0,
    rate: int = 48000,
    amplitude: float = 0.5,
    channels: int = 2,
    bits: int = 16,
) -> bytes:
    """A sine tone as a WAV file in memory."""
    t = np.arange(int(seconds * rate)) / rate
    signal = amplitude * np.sin(2 * np.pi * freq * t)
    frames = np.repeat(signal[:, None], channels, axis=1)
    scale = 2 ** (bits - 1) - 1
    data = (frames * scale).astype("<i2" if bits == 16 else "<i4").tobytes()
    if bits == 24:
        raw = (frames * (2**23 - 1)).astype("<i4").tobytes()
        data = b"".join(raw[i : i + 3] for i in range(0, len(raw), 4))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(bits // 8)
        out.setframerate(rate)
        out.writeframes(data)
    return buffer.getvalue()


async def upload(
    client: httpx.AsyncClient, data: bytes, filename: str = "tone.wav", *, key: str | None = None
) -> str:
    headers = {"X-Filename": filename, "Content-Type": "application/octet-stream"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    else:
        headers["X-CSRFToken"] = client.cookies.get("csrftoken") or await _csrf(client)
    response = await client.post("/uploads?purpose=audio", content=data, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _csrf(client: httpx.AsyncClient) -> str:
    await client.get("/")
    return client.cookies.get("csrftoken", "")


DEMO_EMAIL = "creator@demo.cadenza.local"


async def make_demo_creator(make_user: Any, monkeypatch: Any) -> dict[str, Any]:
    """The demo creator, on Professional. Its .local address can't sign up, so an account is renamed.

    How someone comes to be on Professional is billing's business (today a rule for this address,
    later a sandbox subscription made by billing's demo seed). The studio only asks
    ``entitlements()``; so that these tests hold whichever way billing grants it, the lookup is
    pinned to Professional for this one user, and left alone for everyone else.
    """
    from backend.accounts.tables import User
    from backend.billing import plans
    from backend.billing import services as billing

    user = await make_user("demo-creator@example.com", display_name="Demo Creator")
    await User.update({User.email: DEMO_EMAIL}).where(User.id == user["id"])
    real = billing.entitlements
    if (await real(user["id"])).plan.code != "professional":
        professional = type(await real(user["id"]))(plan=plans.PROFESSIONAL)

        async def entitlements(user_id: int) -> Any:
            return professional if user_id == user["id"] else await real(user_id)

        monkeypatch.setattr(billing, "entitlements", entitlements)
    return {**user, "email": DEMO_EMAIL}


async def ready_asset(owner_id: int, *, duration: float = 10.0, name: str = "Loop") -> str:
    """An asset row as ingest leaves it, for tests about projects (ingest has its own tests)."""
    public_id = new_id("ast")
    await Asset.insert(
        Asset(
            public_id=public_id,
            owner_id=owner_id,
            upload_id=new_id("upl"),
            name=name,
            original_filename=f"{name}.wav",
            status="ready",
            storage_prefix=f"audio/test/{public_id}",
            decoded_key=f"audio/test/{public_id}/decoded.flac",
            format="wav",
            duration=duration,
            sample_rate=48000,
            channels=2,
            bit_depth=16,
            peaks=[[-0.5, 0.5]] * 100,
            created_at=clock.now(),
            updated_at=clock.now(),
        )
    )
    return public_id


CREATE_PROJECT = """
mutation($input: CreateProjectInput!) {
  createProject(input: $input) { project { id revision title sampleRate tempo timeSignature } errors { field code message } }
}
"""

APPLY = """
mutation($id: ID!, $base: Int!, $ops: [ProjectOperationInput!]!) {
  applyProjectOperations(projectId: $id, baseRevision: $base, operations: $ops) {
    revision currentRevision errors { field code message }
    project { id revision tracks { id name gainDb pan mute solo clips { id start length asset { id } } effects { id type params bypass } } }
  }
}
"""


async def create_project(client: httpx.AsyncClient, title: str = "Song", **extra: Any) -> dict[str, Any]:
    body = await gql(client, CREATE_PROJECT, {"input": {"title": title, **extra}})
    payload = body["data"]["createProject"]
    assert payload["errors"] == [], payload
    return payload["project"]


def op(kind: str, **payload: Any) -> dict[str, Any]:
    return {"kind": kind.upper(), "payload": payload}


async def apply(
    client: httpx.AsyncClient, project_id: str, base: int, *operations: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    body = await gql(client, APPLY, {"id": project_id, "base": base, "ops": list(operations)}, **kw)
    assert "errors" not in body, body
    return body["data"]["applyProjectOperations"]
