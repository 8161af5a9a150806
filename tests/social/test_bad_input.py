"""Bad input gets a clear, translated answer and changes nothing else."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image

from backend.core import clock
from backend.core.tables import Upload
from backend.social import engagement, follows, releases
from backend.social.tables import Comment, Follow, Like, Notification, Profile, Release, ReleaseStats
from tests.fixtures import actor_of, gql, log_in
from tests.social.helpers import PUBLISH, quick_release, tone_wav, upload

FOLLOW = "mutation($id: ID!) { followUser(userId: $id) { profile { followerCount } errors { field code message } } }"
LIKE = "mutation($id: ID!) { likeRelease(id: $id) { release { id } errors { code message } } }"
COMMENT = "mutation($id: ID!, $b: String!) { addComment(releaseId: $id, body: $b) { comment { id } errors { field code message } } }"


def png(width=64, height=64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 40, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_following_yourself(client, make_user):
    me = await make_user("cora@example.com", locale="de")
    await log_in(client, "cora@example.com")
    body = await gql(client, FOLLOW, {"id": me["public_id"]})
    error = body["data"]["followUser"]["errors"][0]
    assert (error["code"], error["field"]) == ("FOLLOW_SELF", "userId")
    assert error["message"] == "Du kannst dir nicht selbst folgen."
    assert await Follow.count() == 0 and await Notification.count() == 0


async def test_following_twice(client, make_user):
    cora = await make_user("cora@example.com")
    await make_user("finn@example.com")
    await log_in(client, "finn@example.com")
    assert (await gql(client, FOLLOW, {"id": cora["public_id"]}))["data"]["followUser"]["errors"] == []
    body = await gql(client, FOLLOW, {"id": cora["public_id"]})
    assert body["data"]["followUser"]["errors"][0]["message"] == "You already follow them."
    assert await Follow.count() == 1
    assert (await Profile.select(Profile.follower_count).where(Profile.user_id == cora["id"]).first())[
        "follower_count"
    ] == 1


async def test_duplicate_likes(client, make_user):
    cora = await make_user("cora@example.com")
    await make_user("finn@example.com", locale="es")
    release = await quick_release(cora)
    await log_in(client, "finn@example.com")
    assert (await gql(client, LIKE, {"id": release["public_id"]}))["data"]["likeRelease"]["errors"] == []
    body = await gql(client, LIKE, {"id": release["public_id"]})
    assert body["data"]["likeRelease"]["errors"] == [
        {"code": "ALREADY_LIKED", "message": "Ya te gusta esta pista."}
    ]
    stats = await ReleaseStats.select().where(ReleaseStats.release_id == release["id"]).first()
    assert stats["likes"] == 1 and await Like.count() == 1
    assert await Notification.count().where(Notification.kind == "like") == 1


async def test_comments_on_a_deleted_release(client, make_user):
    cora = await make_user("cora@example.com")
    await make_user("finn@example.com", locale="pt-BR")
    release = await quick_release(cora)
    await releases.delete(actor_of(cora), release["public_id"])
    await log_in(client, "finn@example.com")
    body = await gql(client, COMMENT, {"id": release["public_id"], "b": "still here?"})
    assert body["data"]["addComment"]["errors"][0]["code"] == "RELEASE_DELETED"
    assert body["data"]["addComment"]["errors"][0]["message"] == "Esta faixa foi excluída."
    assert await Comment.count() == 0
    # A private release someone else deleted says nothing more than "not found".
    hidden = await quick_release(cora, "Hidden", visibility="private")
    await releases.delete(actor_of(cora), hidden["public_id"])
    body = await gql(client, COMMENT, {"id": hidden["public_id"], "b": "hm"})
    assert body["data"]["addComment"]["errors"][0]["code"] == "NOT_FOUND"


async def test_a_comment_flood_is_slowed_down(client, make_user):
    cora = await make_user("cora@example.com")
    await make_user("finn@example.com", locale="ja")
    release = await quick_release(cora)
    await log_in(client, "finn@example.com")
    codes = []
    for n in range(engagement.COMMENTS_PER_MINUTE + 2):
        body = await gql(client, COMMENT, {"id": release["public_id"], "b": f"comment {n}"})
        errors = body["data"]["addComment"]["errors"]
        codes.append(errors[0]["code"] if errors else "OK")
    assert codes == ["OK"] * engagement.COMMENTS_PER_MINUTE + ["COMMENT_FLOOD"] * 2
    assert "秒お待ちください" in errors[0]["message"]
    assert await Comment.count() == engagement.COMMENTS_PER_MINUTE
    stats = await ReleaseStats.select().where(ReleaseStats.release_id == release["id"]).first()
    assert stats["comments"] == engagement.COMMENTS_PER_MINUTE


async def test_empty_and_overlong_comments(client, make_user):
    cora = await make_user("cora@example.com")
    await make_user("finn@example.com")
    release = await quick_release(cora)
    await log_in(client, "finn@example.com")
    for text, code in (("   ", "COMMENT_EMPTY"), ("x" * 1001, "TOO_LONG")):
        body = await gql(client, COMMENT, {"id": release["public_id"], "b": text})
        assert body["data"]["addComment"]["errors"][0]["code"] == code
    body = await gql(
        client,
        'mutation($id: ID!) { addComment(releaseId: $id, body: "hi", atSeconds: 999) { errors { code } } }',
        {"id": release["public_id"]},
    )
    assert body["data"]["addComment"]["errors"][0]["code"] == "MOMENT_INVALID"
    assert await Comment.count() == 0


async def _publish(client, **overrides):
    audio = await upload(client, tone_wav(3), "a.wav")
    fields = {"title": "Dawn", "genre": "reel", "uploadId": audio, **overrides}
    body = await gql(client, PUBLISH, {"input": fields})
    return audio, body["data"]["publishRelease"]


async def _unclaimed(upload_id) -> bool:
    row = await Upload.select(Upload.claimed).where(Upload.public_id == upload_id).first()
    return row is not None and not row["claimed"]


async def test_wrong_type_artwork(client, make_user):
    await make_user("cora@example.com", locale="de")
    await log_in(client, "cora@example.com")
    fake = await upload(client, b"GIF89a" + b"\x00" * 200, "cover.png")  # a GIF named .png
    audio, result = await _publish(client, artworkUploadId=fake)
    error = result["errors"][0]
    assert (error["field"], error["code"]) == ("artworkUploadId", "IMAGE_TYPE")
    assert error["message"] == "Diese Datei ist kein PNG-, JPEG- oder WebP-Bild."
    assert await Release.count() == 0
    assert await _unclaimed(audio) and await _unclaimed(fake)


async def test_oversized_artwork(client, make_user):
    await make_user("cora@example.com")
    await log_in(client, "cora@example.com")
    big = await upload(client, png()[:64] + b"\x00" * (10 * 1024 * 1024 + 1), "huge.png")
    audio, result = await _publish(client, artworkUploadId=big)
    assert result["errors"][0]["code"] == "IMAGE_TOO_LARGE"
    assert result["errors"][0]["message"] == "That picture is too large. The limit is 10 MB."
    assert await Release.count() == 0 and await _unclaimed(audio)


async def test_a_schedule_in_the_past(client, make_user):
    await make_user("cora@example.com", locale="es")
    await log_in(client, "cora@example.com")
    past = (clock.now() - timedelta(minutes=5)).isoformat()
    audio, result = await _publish(client, publishAt=past)
    assert result["errors"] == [
        {
            "field": "publishAt",
            "code": "SCHEDULE_IN_PAST",
            "message": "La hora de publicación debe estar en el futuro.",
        }
    ]
    assert await Release.count() == 0 and await _unclaimed(audio)


async def test_several_mistakes_are_reported_together(client, make_user):
    await make_user("cora@example.com")
    await log_in(client, "cora@example.com")
    audio, result = await _publish(
        client,
        title="  ",
        genre="polka-dubstep",
        tags=["piano", "nonsense"],
        credits=[{"role": "Vocals", "handle": "@ghost"}],
    )
    fields = {e["field"]: e["code"] for e in result["errors"]}
    assert fields == {
        "title": "TITLE_REQUIRED",
        "genre": "GENRE_UNKNOWN",
        "tags": "TAG_UNKNOWN",
        "credits": "CREDIT_UNKNOWN_USER",
    }
    assert await Release.count() == 0 and await _unclaimed(audio)


async def test_profile_input_is_checked(client, make_user):
    await make_user("cora@example.com")
    await log_in(client, "cora@example.com")
    mutation = (
        "mutation($i: CreatorProfileInput!) { updateCreatorProfile(input: $i) { errors { field code } } }"
    )
    body = await gql(
        client,
        mutation,
        {
            "i": {
                "bio": "Hi",
                "themeColor": "red; background:url(x)",
                "links": [{"label": "x", "url": "javascript:alert(1)"}],
            }
        },
    )
    assert {e["field"]: e["code"] for e in body["data"]["updateCreatorProfile"]["errors"]} == {
        "themeColor": "COLOR_INVALID",
        "links": "LINK_INVALID",
    }
    assert await Profile.count() == 0  # nothing saved, not even the valid bio


async def test_following_someone_unknown_is_not_found(client, make_user):
    await make_user("cora@example.com")
    await log_in(client, "cora@example.com")
    body = await gql(client, FOLLOW, {"id": "usr_doesnotexist"})
    assert body["data"]["followUser"]["errors"][0]["code"] == "NOT_FOUND"


async def test_unfollow_is_harmless_when_not_following(make_user):
    cora = await make_user("cora@example.com")
    finn = await make_user("finn@example.com")
    await follows.unfollow(actor_of(finn), cora["public_id"])
    assert await Profile.count() == 0
