"""Publishing: from an upload or a studio render, with artwork, credits and a schedule; editing;
the publish form; who may publish."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import timedelta

from PIL import Image

from backend.accounts.tables import User
from backend.audio import services as audio
from backend.core import clock
from backend.core.ids import new_id
from backend.social import follows
from backend.social.tables import FeedItem, Notification, Release
from tests.fixtures import actor_of, csrf_token, gql, log_in
from tests.social.helpers import publish_via_api, settle, tone_wav, upload

RELEASE = """
query($id: ID!) { release(id: $id) {
  title status duration peaks artworkUrl publishAt publishedAt visibility
  genre { id name } tags { id name } credits { role name profile { handle } }
  stream { url threshold }
} }
"""


async def _release(client, public_id):
    body = await gql(client, RELEASE, {"id": public_id})
    assert "errors" not in body, body
    return body["data"]["release"]


def cover() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1500, 1000), (200, 120, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


async def test_publish_from_an_upload_with_artwork_and_credits(client, make_user, workers):
    await make_user("cora@example.com", display_name="Cora")
    await make_user("vox@example.com", display_name="Vera Vox")
    await log_in(client, "cora@example.com")
    audio_id, art_id = await upload(client, tone_wav(34)), await upload(client, cover(), "cover.jpg")
    result = await publish_via_api(
        client,
        title="  Morning   Tide ",
        genre="celtic",
        tags=["Fiddle", "acoustic"],
        uploadId=audio_id,
        artworkUploadId=art_id,
        description="Recorded at dawn.",
        credits=[{"role": "Vocals", "handle": "@vera_vox"}, {"role": "Mastering", "name": "Jo Engineer"}],
    )
    assert result["errors"] == [] and result["release"]["status"] == "PROCESSING"
    await settle(("social.", "audio."), within=60)
    release = await _release(client, result["release"]["id"])
    assert release["title"] == "Morning Tide" and release["status"] == "PUBLISHED"
    assert 33 < release["duration"] < 35 and len(release["peaks"]) == 200
    assert release["artworkUrl"].startswith("/media/social/images/")
    assert [t["id"] for t in release["tags"]] == ["fiddle", "acoustic"]
    assert release["credits"] == [
        {"role": "Vocals", "name": "Vera Vox", "profile": {"handle": "vera_vox"}},
        {"role": "Mastering", "name": "Jo Engineer", "profile": None},
    ]
    stream = await client.get(release["stream"]["url"], headers={"Range": "bytes=100-199"})
    assert stream.status_code == 206 and len(stream.content) == 100  # seekable


async def test_publish_from_a_studio_render(client, make_user, workers):
    cora = await make_user("cora@example.com", display_name="Cora")
    actor = actor_of(cora)
    await log_in(client, "cora@example.com")
    asset = await audio.create_asset(actor, await upload(client, tone_wav(6, rate=48000)), "Tone")
    await settle(("audio.",), within=60)
    project = await audio.create_project(actor, "Sketch")
    track = {
        "id": new_id("trk"),
        "name": "Tone",
        "clips": [{"id": new_id("clp"), "asset_id": asset["public_id"], "start": 0.0, "length": 6.0}],
    }
    await audio.apply_operations(actor, project["public_id"], 0, [{"kind": "add_track", "track": track}])
    render = await audio.request_render(actor, project["public_id"])
    result = await publish_via_api(
        client, title="From the studio", genre="ambient", renderId=render["public_id"]
    )
    assert result["errors"] == []
    await settle(("social.", "audio."), within=120)
    release = await _release(client, result["release"]["id"])
    assert release["status"] == "PUBLISHED", release
    assert 5.5 < release["duration"] < 6.5 and release["peaks"]  # measured from the mix itself


async def test_someone_elses_render_or_an_unknown_upload_is_refused(client, make_user):
    await make_user("cora@example.com")
    await log_in(client, "cora@example.com")
    result = await publish_via_api(client, title="x", genre="reel", uploadId="upl_nope")
    assert result["errors"][0]["code"] == "UPLOAD_NOT_FOUND"
    result = await publish_via_api(client, title="x", genre="reel")
    assert result["errors"][0]["code"] == "AUDIO_REQUIRED"
    assert await Release.count() == 0


async def test_a_scheduled_release_goes_live_at_its_time_by_a_job(client, make_user, workers):
    cora = await make_user("cora@example.com", display_name="Cora")
    fan = await make_user("finn@example.com")
    await follows.follow(actor_of(fan), cora["public_id"])
    await log_in(client, "cora@example.com")
    when = clock.now() + timedelta(seconds=6)
    result = await publish_via_api(
        client,
        title="Later",
        genre="reel",
        uploadId=await upload(client, tone_wav(3)),
        publishAt=when.isoformat(),
    )
    assert result["errors"] == []
    public_id = result["release"]["id"]
    deadline = asyncio.get_running_loop().time() + 30
    while (await _release(client, public_id))["status"] != "SCHEDULED":
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.1)
    assert await Notification.count().where(Notification.user_id == fan["id"]) == 0
    client.cookies.clear()
    assert (await gql(client, RELEASE, {"id": public_id}))["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    while True:
        row = (
            await Release.select(Release.status, Release.published_at)
            .where(Release.public_id == public_id)
            .first()
        )
        if row["status"] == "published":
            break
        assert asyncio.get_running_loop().time() < deadline, "the scheduled job never published it"
        await asyncio.sleep(0.2)
    assert row["published_at"] >= when
    await settle()
    assert (
        await Notification.count().where(Notification.user_id == fan["id"], Notification.kind == "release")
        == 1
    )
    assert await FeedItem.count().where(FeedItem.user_id == fan["id"]) == 1


async def test_editing_a_release(client, make_user):
    cora = await make_user("cora@example.com", display_name="Cora")
    from tests.social.helpers import quick_release

    release = await quick_release(cora, "Draft name")
    await log_in(client, "cora@example.com")
    mutation = "mutation($id: ID!, $i: UpdateReleaseInput!) { updateRelease(id: $id, input: $i) { release { title visibility } errors { field code } } }"
    body = await gql(
        client,
        mutation,
        {
            "id": release["public_id"],
            "i": {"title": "Final name", "genre": "jig", "tags": ["live"], "visibility": "UNLISTED"},
        },
    )
    assert body["data"]["updateRelease"] == {
        "release": {"title": "Final name", "visibility": "UNLISTED"},
        "errors": [],
    }
    body = await gql(
        client,
        mutation,
        {"id": release["public_id"], "i": {"publishAt": (clock.now() + timedelta(days=1)).isoformat()}},
    )
    assert body["data"]["updateRelease"]["errors"][0]["code"] == "ALREADY_PUBLISHED"
    await make_user("finn@example.com")
    await log_in(client, "finn@example.com")
    body = await gql(client, mutation, {"id": release["public_id"], "i": {"title": "Hijacked"}})
    assert body["data"]["updateRelease"]["errors"][0]["code"] == "NOT_FOUND"
    assert (await Release.select(Release.title).where(Release.id == release["id"]).first())[
        "title"
    ] == "Final name"


async def test_the_publish_form_works_without_an_api(client, make_user, workers):
    await make_user("cora@example.com", display_name="Cora", locale="de")
    await log_in(client, "cora@example.com")
    token = await csrf_token(client, "/tracks/new")
    audio_id = await upload(client, tone_wav(3))
    form = {
        "_csrf_token": token,
        "upload_id": audio_id,
        "title": "",
        "genre": "reel",
        "visibility": "public",
        "credits": "Gesang @niemand",
    }
    page = await client.post("/tracks/new", data=form)
    assert page.status_code == 422
    assert 'data-testid="error-title"' in page.text and "Gib deinem Track einen Titel." in page.text
    form.update(title="Formular", credits="Mastering: Jo", tags="piano", publish_at="")
    response = await client.post("/tracks/new", data=form)
    assert response.status_code == 303 and re.match(r"^/tracks/trk_\w+$", response.headers["location"])
    await settle(("social.", "audio."), within=60)
    page = await client.get(response.headers["location"])
    assert 'data-status="PUBLISHED"' in page.text and "Formular" in page.text


async def test_listeners_and_unconfirmed_accounts_cannot_publish(client, make_user):
    listener = await make_user("lee@example.com", role="listener")
    await make_user("una@example.com", confirmed=False)
    await log_in(client, "lee@example.com")
    result = await publish_via_api(
        client, title="x", genre="reel", uploadId=await upload(client, tone_wav(1))
    )
    assert result["errors"][0]["code"] == "CREATORS_ONLY"
    await log_in(client, "una@example.com")
    result = await publish_via_api(
        client, title="x", genre="reel", uploadId=await upload(client, tone_wav(1))
    )
    assert result["errors"][0]["code"] == "CONFIRM_EMAIL_FIRST"
    assert await Release.count() == 0
    assert listener["id"] and await User.count() == 2
