"""Uploads stream to storage with a limit; downloads need a live signature and honour Range."""

from __future__ import annotations

import time

from backend.core.storage import signed_url, storage
from backend.core.tables import Upload
from tests.fixtures import log_in, settings_override


async def _signed_in(client, make_user) -> dict:
    user = await make_user("uploader@example.com")
    await log_in(client, user["email"])
    await client.get("/")  # sets the csrftoken cookie
    return user


async def test_upload_streams_to_storage_and_returns_an_id(client, make_user):
    user = await _signed_in(client, make_user)
    body = b"RIFF" + bytes(range(256)) * 100
    response = await client.post(
        "/uploads",
        content=body,
        headers={
            "x-csrftoken": client.cookies["csrftoken"],
            "x-filename": "../../etc/passwd take.wav",
            "content-type": "audio/wav",
        },
    )
    assert response.status_code == 201, response.text
    data = response.json()
    row = await Upload.select().where(Upload.public_id == data["id"]).first()
    assert row["owner_id"] == user["id"] and row["size"] == len(body)
    assert row["filename"] == "passwd take.wav"  # no path tricks
    assert storage().local_path(row["storage_key"]).read_bytes() == body


async def test_upload_without_csrf_header_from_a_browser_session_is_refused(client, make_user):
    await _signed_in(client, make_user)
    response = await client.post("/uploads", content=b"abc")
    assert response.status_code == 403
    assert await Upload.count() == 0


async def test_anonymous_upload_is_a_401(client):
    response = await client.post("/uploads", content=b"abc")
    assert response.status_code == 401


async def test_oversized_upload_is_a_413_and_leaves_no_partial_file(client, make_user):
    await _signed_in(client, make_user)
    root = storage().local_path("uploads")
    before = {p for p in root.rglob("*")} if root.exists() else set()
    with settings_override(media__max_upload_bytes=1000):

        async def chunks():
            for _ in range(10):
                yield b"x" * 500

        response = await client.post(
            "/uploads", content=chunks(), headers={"x-csrftoken": client.cookies["csrftoken"]}
        )
    assert response.status_code == 413
    assert "1 MB" in response.json()["error"]["message"]
    after = {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()
    assert {p for p in after if p not in before} == set()
    assert await Upload.count() == 0


async def test_signed_media_url_serves_ranges_and_expires(client):
    payload = bytes(range(256)) * 40
    await storage().save_bytes("tests/sample.bin", payload)
    url = signed_url("tests/sample.bin")
    full = await client.get(url)
    assert full.status_code == 200 and full.content == payload
    assert full.headers["accept-ranges"] == "bytes"
    part = await client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == payload[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(payload)}"
    tail = await client.get(url, headers={"Range": "bytes=-10"})
    assert tail.content == payload[-10:]
    beyond = await client.get(url, headers={"Range": f"bytes={len(payload)}-"})
    assert beyond.status_code == 416
    cached = await client.get(url, headers={"If-None-Match": full.headers["etag"]})
    assert cached.status_code == 304

    tampered = url.replace("tests/sample.bin", "tests/other.bin")
    assert (await client.get(tampered)).status_code == 404
    expired = signed_url("tests/sample.bin", ttl=-3600)
    assert int(expired.split("e=")[1].split("&")[0]) < time.time()
    assert (await client.get(expired)).status_code == 404


async def test_download_name_is_part_of_the_signature(client):
    await storage().save_bytes("tests/mix.wav", b"RIFFdata")
    url = signed_url("tests/mix.wav", filename="My Mix.wav")
    response = await client.get(url)
    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''My%20Mix.wav"
    assert (await client.get(url.replace("My+Mix", "Evil"))).status_code == 404
