"""Every community page renders in every locale, for its owner and for a visitor."""

from __future__ import annotations

import pytest

from backend.core.i18n import LOCALES
from backend.social import engagement, follows
from tests.fixtures import actor_of, csrf_token, log_in
from tests.social.helpers import quick_release


@pytest.fixture
async def scene(make_user):
    creator = await make_user("cora@example.com", display_name="Cora Creator")
    fan = await make_user("finn@example.com", display_name="Finn Fan", role="moderator")
    release = await quick_release(creator, "Harbour Lights")
    await follows.follow(actor_of(fan), creator["public_id"])
    await engagement.comment(actor_of(fan), release["public_id"], "Lovely bridge", 12.0)
    await engagement.like(actor_of(fan), release["public_id"])
    return {"creator": creator, "fan": fan, "release": release}


PAGES = [
    "/@{handle}",
    "/@{handle}/followers",
    "/@{handle}/following",
    "/@{handle}/press",
    "/tracks/{track}",
    "/embed/tracks/{track}",
    "/discover",
    "/discover?q=Harbour",
    "/feed",
    "/tracks/new",
    "/tracks/{track}/edit",
    "/notifications",
    "/settings/profile",
    "/settings/notifications",
    "/settings/verification",
    "/moderation/verification",
]


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_page_renders_in_every_locale(client, scene, locale):
    from backend.accounts.tables import User

    await User.update({User.locale: locale}).where(
        User.id.is_in([scene["creator"]["id"], scene["fan"]["id"]])
    )
    handle, track = scene["creator"]["handle"], scene["release"]["public_id"]
    for who in ("cora@example.com", "finn@example.com"):
        client.cookies.clear()
        await log_in(client, who)
        for path in PAGES:
            url = path.format(handle=handle, track=track)
            response = await client.get(url, headers={"Accept": "text/html"})
            if who == "finn@example.com" and url.endswith("/edit"):
                assert response.status_code == 404, url  # someone else's release
                continue
            if who == "cora@example.com" and url.startswith("/moderation"):
                assert response.status_code == 403, url  # moderators only
                continue
            assert response.status_code == 200, f"{who} {url}: {response.status_code} {response.text[:400]}"
            assert f'lang="{locale}"' in response.text, url
            assert "social." not in response.text.replace("social.css", "").replace("social.js", ""), (
                f"untranslated key on {url}"
            )


async def test_anonymous_visitor_sees_public_pages_and_is_sent_to_log_in_for_private_ones(client, scene):
    handle, track = scene["creator"]["handle"], scene["release"]["public_id"]
    for url in (
        f"/@{handle}",
        f"/@{handle}/press",
        f"/tracks/{track}",
        f"/embed/tracks/{track}",
        "/discover",
    ):
        response = await client.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 200, url
    for url in ("/feed", "/notifications", "/tracks/new", "/settings/profile"):
        response = await client.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 303 and "/login" in response.headers["location"], url


async def test_unknown_profiles_and_tracks_are_404(client, scene):
    for url in ("/@nobody_here", "/tracks/trk_doesnotexist000000", "/not-a-handle", "/embed/tracks/trk_nope"):
        response = await client.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 404, url


async def test_follow_button_follows_and_unfollows(client, make_user, scene):
    await make_user("nia@example.com", display_name="Nia")
    await log_in(client, "nia@example.com")
    handle = scene["creator"]["handle"]
    token = await csrf_token(client, f"/@{handle}")
    response = await client.post(f"/@{handle}/follow", data={"_csrf_token": token, "next": f"/@{handle}"})
    assert response.status_code == 303
    page = await client.get(f"/@{handle}")
    assert 'data-testid="follow-undo"' in page.text
    assert 'data-testid="follower-count" data-count="2"' in page.text
    response = await client.post(f"/@{handle}/unfollow", data={"_csrf_token": token})
    page = await client.get(f"/@{handle}")
    assert 'data-testid="follow"' in page.text and 'data-count="1"' in page.text


async def test_forms_for_notifications_and_editing(client, scene):
    import re
    from datetime import timedelta

    from backend.core import clock
    from backend.core.tables import Job
    from backend.social import notifications
    from backend.social.tables import Release

    await log_in(client, "cora@example.com")
    token = await csrf_token(client, "/notifications")
    assert (await notifications.unread_count(scene["creator"]["id"])) == 3  # follow, comment, like
    await client.post("/notifications/read", data={"_csrf_token": token, "all": "1"})
    assert (await notifications.unread_count(scene["creator"]["id"])) == 0
    response = await client.post(
        "/settings/notifications",
        data={"_csrf_token": token, "app": ["release", "comment"], "email": ["comment"], "digest": "1"},
    )
    assert response.status_code == 303
    prefs = await notifications.preferences(scene["creator"]["id"])
    assert prefs["app_off"] == ["follow", "like", "repost", "verification"] and prefs["email_off"] == [
        "follow",
        "like",
        "release",
        "repost",
        "verification",
    ]
    # Editing a scheduled release without touching its time does not schedule it again.
    release = scene["release"]
    later = clock.now() + timedelta(days=2)
    await Release.update({Release.status: "scheduled", Release.publish_at: later}).where(
        Release.id == release["id"]
    )
    page = await client.get(f"/tracks/{release['public_id']}/edit")
    shown = re.search(r'name="publish_at" type="datetime-local" value="([^"]+)"', page.text).group(1)
    jobs_before = await Job.count().where(Job.kind == "social.publish_scheduled")
    response = await client.post(
        f"/tracks/{release['public_id']}/edit",
        data={
            "_csrf_token": token,
            "title": "Harbour Lights (edit)",
            "genre": "reel",
            "visibility": "public",
            "publish_at": shown,
            "credits": "",
        },
    )
    assert response.status_code == 303
    assert await Job.count().where(Job.kind == "social.publish_scheduled") == jobs_before
    row = await Release.select(Release.title, Release.status).where(Release.id == release["id"]).first()
    assert row == {"title": "Harbour Lights (edit)", "status": "scheduled"}
