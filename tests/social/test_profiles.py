"""Profiles and branding: fields, pictures through a job (sniffed, re-encoded, resized), the press
kit, and the owner-only charts."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from PIL import Image

from backend.core import clock
from backend.core.storage import storage
from backend.social import follows, plays
from backend.social.tables import Follow, Profile
from backend.social.tables import Image as ImageRow
from tests.fixtures import actor_of, gql, log_in
from tests.social.helpers import quick_release, settle, upload

UPDATE = "mutation($i: CreatorProfileInput!) { updateCreatorProfile(input: $i) { profile { bio location themeColor layout links { label url } genres { id name } } errors { field code } } }"
SET_IMAGE = "mutation($k: ProfileImageKind!, $u: ID!) { setProfileImage(kind: $k, uploadId: $u) { image { id status } errors { field code message } } }"


def picture(fmt="PNG", size=(900, 600), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (30, 160, 90) if mode == "RGB" else (30, 160, 90, 100)).save(buffer, format=fmt)
    return buffer.getvalue()


async def test_a_creator_edits_their_profile_and_branding(client, make_user):
    await make_user("cora@example.com", display_name="Cora", locale="de")
    await log_in(client, "cora@example.com")
    body = await gql(
        client,
        UPDATE,
        {
            "i": {
                "bio": "Fiddler from Galway.\nPlays reels.",
                "location": "Galway",
                "links": [
                    {"label": "Website", "url": "https://cora.example"},
                    {"label": "", "url": "https://x.example/cora"},
                ],
                "genres": ["reel", "Jig", "celtic"],
                "themeColor": "#E11D48",
                "layout": "SPOTLIGHT",
            }
        },
    )
    result = body["data"]["updateCreatorProfile"]
    assert result["errors"] == []
    profile = result["profile"]
    assert profile["themeColor"] == "#e11d48" and profile["layout"] == "SPOTLIGHT"
    assert [g["name"] for g in profile["genres"]] == ["Reel", "Jig", "Keltisch"]
    assert profile["links"][1] == {"label": "x.example", "url": "https://x.example/cora"}
    page = (await client.get("/@cora")).text
    assert 'data-layout="spotlight"' in page and "--accent: #e11d48" in page
    assert "Fiddler from Galway." in page and "Keltisch" in page


async def test_an_avatar_is_sniffed_resized_and_reencoded_by_a_job(client, make_user, workers):
    cora = await make_user("cora@example.com", display_name="Cora")
    await log_in(client, "cora@example.com")
    upload_id = await upload(client, picture("WEBP", (900, 600)), "me.webp")
    body = await gql(client, SET_IMAGE, {"k": "AVATAR", "u": upload_id})
    image = body["data"]["setProfileImage"]["image"]
    assert image["status"] == "processing"
    await settle()
    row = await ImageRow.select().where(ImageRow.public_id == image["id"]).first()
    assert row["status"] == "ready" and (row["width"], row["height"]) == (400, 400)
    profile = await Profile.select().where(Profile.user_id == cora["id"]).first()
    assert profile["avatar_key"] == row["storage_key"]
    with Image.open(storage().local_path(row["storage_key"])) as stored:
        assert stored.format == "JPEG" and stored.size == (400, 400)
    # The stable avatar address redirects to a signed URL of the new file.
    response = await client.get("/@cora/avatar")
    assert response.status_code == 302 and response.headers["location"].startswith("/media/social/images/")


async def test_a_logo_keeps_its_transparency_and_a_banner_is_wide(client, make_user, workers):
    await make_user("cora@example.com")
    await log_in(client, "cora@example.com")
    logo = await upload(client, picture("PNG", (800, 800), "RGBA"), "logo.png")
    banner = await upload(client, picture("JPEG", (3000, 1000)), "banner.jpg")
    await gql(client, SET_IMAGE, {"k": "LOGO", "u": logo})
    await gql(client, SET_IMAGE, {"k": "BANNER", "u": banner})
    await settle()
    rows = {r["kind"]: r for r in await ImageRow.select()}
    with Image.open(storage().local_path(rows["logo"]["storage_key"])) as stored:
        assert stored.format == "PNG" and stored.mode == "RGBA"
    assert (rows["banner"]["width"], rows["banner"]["height"]) == (1600, 400)


async def test_a_broken_picture_fails_in_the_job_and_changes_nothing(client, make_user, workers):
    cora = await make_user("cora@example.com")
    await log_in(client, "cora@example.com")
    broken = await upload(client, b"\x89PNG\r\n\x1a\n" + b"not really a png" * 40, "broken.png")
    body = await gql(client, SET_IMAGE, {"k": "AVATAR", "u": broken})
    image_id = body["data"]["setProfileImage"]["image"]["id"]
    await settle()
    body = await gql(client, "query($id: ID!) { profileImage(id: $id) { status problem } }", {"id": image_id})
    assert body["data"]["profileImage"] == {
        "status": "failed",
        "problem": "We couldn't read that picture. Try another file.",
    }
    assert await Profile.count().where(Profile.user_id == cora["id"], Profile.avatar_key != "") == 0


async def test_pictures_are_checked_before_anything_changes(client, make_user):
    await make_user("cora@example.com")
    other = await make_user("otto@example.com")
    await log_in(client, "cora@example.com")
    text = await upload(client, b"hello, not an image", "me.png")
    body = await gql(client, SET_IMAGE, {"k": "AVATAR", "u": text})
    assert body["data"]["setProfileImage"]["errors"][0]["code"] == "IMAGE_TYPE"
    huge = await upload(client, picture()[:100] + b"\x00" * (5 * 1024 * 1024), "big.png")
    body = await gql(client, SET_IMAGE, {"k": "AVATAR", "u": huge})
    assert (
        body["data"]["setProfileImage"]["errors"][0]["message"]
        == "That picture is too large. The limit is 5 MB."
    )
    await log_in(client, "otto@example.com")
    body = await gql(client, SET_IMAGE, {"k": "AVATAR", "u": text})  # someone else's upload
    assert body["data"]["setProfileImage"]["errors"][0]["code"] == "UPLOAD_NOT_FOUND"
    assert await ImageRow.count() == 0
    assert other["id"]


async def test_the_press_kit_is_one_shareable_page(client, make_user):
    cora = await make_user("cora@example.com", display_name="Cora")
    song = await quick_release(cora, "Press Favourite")
    secret = await quick_release(cora, "Not for the press", visibility="private")
    await log_in(client, "cora@example.com")
    body = await gql(
        client,
        UPDATE,
        {
            "i": {
                "pressBio": "Award-winning fiddler.",
                "pressContact": "press@cora.example",
                "pressReleaseIds": [song["public_id"]],
            }
        },
    )
    assert body["data"]["updateCreatorProfile"]["errors"] == []
    body = await gql(client, UPDATE, {"i": {"pressReleaseIds": [secret["public_id"]]}})
    assert body["data"]["updateCreatorProfile"]["errors"][0]["code"] == "PRESS_TRACK_INVALID"
    client.cookies.clear()
    page = await client.get("/@cora/press")
    assert page.status_code == 200
    assert "Award-winning fiddler." in page.text and "press@cora.example" in page.text
    assert "Press Favourite" in page.text and "Not for the press" not in page.text
    assert 'data-testid="press-url">http://testserver.local/@cora/press<' in page.text


async def test_charts_are_only_for_the_owner(client, make_user):
    cora = await make_user("cora@example.com")
    release = await quick_release(cora)
    for n in range(3):
        fan = await make_user(f"fan{n}@example.com")
        await follows.follow(actor_of(fan), cora["public_id"])
    await Follow.update({Follow.created_at: clock.now() - timedelta(days=3)}).where(Follow.id == 1)
    await log_in(client, "cora@example.com")
    unplayed = await client.get(f"/tracks/{release['public_id']}")
    assert re.search(r'data-testid="plays-chart".*?· max 0</span>', unplayed.text, re.S), "no plays: max 0"
    for uid in range(4):
        await plays.report(
            plays.issue_token(release, plays.listener_of(uid, None), now=clock.now().timestamp() - 31),
            user_id=uid,
            anon_id=None,
            ip="1.1.1.1",
        )
    await plays.flush()
    query = "query($id: ID!) { release(id: $id) { playsPerDay(days: 30) { day count } creator { followerGrowth(days: 30) { count } } } }"
    await log_in(client, "cora@example.com")
    data = (await gql(client, query, {"id": release["public_id"]}))["data"]["release"]
    assert len(data["playsPerDay"]) == 30 and data["playsPerDay"][-1]["count"] == 4
    growth = [p["count"] for p in data["creator"]["followerGrowth"]]
    assert growth[-1] == 3 and growth[-4] == 1 and growth[0] == 0
    page = await client.get(f"/tracks/{release['public_id']}")
    assert re.search(r'data-testid="plays-chart".*?· max 4</span>', page.text, re.S)
    await log_in(client, "fan0@example.com")
    data = (await gql(client, query, {"id": release["public_id"]}))["data"]["release"]
    assert data["playsPerDay"] is None and data["creator"]["followerGrowth"] is None
    page = await client.get(f"/tracks/{release['public_id']}")
    assert 'data-testid="plays-chart"' not in page.text
