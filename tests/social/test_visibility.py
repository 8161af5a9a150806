"""Private and unlisted releases never leak: not in feeds, search, profile lists, the starter feed, the
press kit, oEmbed, embeds, notifications or any GraphQL path — to anyone but their owner (and, for
unlisted ones, whoever holds the link)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from backend.social import engagement, feeds, follows, profiles, releases
from tests.fixtures import actor_of, gql, log_in
from tests.social.helpers import quick_release, run_jobs_inline

TITLES = {"public": "Open Harbour", "unlisted": "Hidden Harbour", "private": "Secret Harbour"}
HIDDEN = {TITLES["unlisted"], TITLES["private"]}


@pytest.fixture
async def scene(make_user):
    creator = await make_user("cora@example.com", display_name="Cora")
    fan = await make_user("finn@example.com", display_name="Finn")
    await make_user("sam@example.com", display_name="Stranger Sam")
    await follows.follow(actor_of(fan), creator["public_id"])
    rows = {v: await quick_release(creator, title, visibility=v) for v, title in TITLES.items()}
    await run_jobs_inline("social.announce_release")
    await profiles.update_profile(
        actor_of(creator), profiles.ProfileChanges(press_releases=[rows["public"]["public_id"]])
    )
    await feeds.rebuild_starter()
    return {"creator": creator, "fan": fan, "releases": rows}


async def _as(client, who):
    client.cookies.clear()
    if who:
        await log_in(client, who)


async def titles_in_feed(client, scene):
    body = await gql(client, "{ feed(first: 50) { nodes { release { title } } } }")
    if body["data"] is None:
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        return set()
    return {n["release"]["title"] for n in body["data"]["feed"]["nodes"]}


async def titles_in_search(client, scene):
    body = await gql(client, '{ releases(query: "Harbour", first: 50) { nodes { title } } }')
    return {n["title"] for n in body["data"]["releases"]["nodes"]}


async def titles_in_genre_search(client, scene):
    body = await gql(client, '{ releases(genre: "reel", first: 50) { nodes { title } } }')
    return {n["title"] for n in body["data"]["releases"]["nodes"]}


async def titles_on_profile(client, scene):
    body = await gql(client, '{ profile(handle: "cora") { releases(first: 50) { nodes { title } } } }')
    return {n["title"] for n in body["data"]["profile"]["releases"]["nodes"]}


async def titles_in_starter_feed(client, scene):
    body = await gql(client, "{ starterFeed(first: 50) { nodes { title } } }")
    return {n["title"] for n in body["data"]["starterFeed"]["nodes"]}


async def titles_in_press_kit(client, scene):
    body = await gql(client, '{ profile(handle: "cora") { pressKit { releases { title } } } }')
    return {n["title"] for n in body["data"]["profile"]["pressKit"]["releases"]}


async def titles_by_id(client, scene):
    found = set()
    for row in scene["releases"].values():
        body = await gql(client, "query($id: ID!) { release(id: $id) { title } }", {"id": row["public_id"]})
        if body.get("data") and body["data"]["release"]:
            found.add(body["data"]["release"]["title"])
        else:
            assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    return found


async def titles_in_notifications(client, scene):
    body = await gql(client, "{ notifications(first: 50) { nodes { message release { title } } } }")
    if body["data"] is None:
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        return set()
    nodes = body["data"]["notifications"]["nodes"]
    text = " ".join(n["message"] for n in nodes)
    return {t for t in TITLES.values() if t in text} | {n["release"]["title"] for n in nodes if n["release"]}


async def titles_in_pages(client, scene):
    handle = scene["creator"]["handle"]
    html = ""
    for url in (
        f"/@{handle}",
        f"/@{handle}/press",
        "/discover",
        "/discover?q=Harbour",
        "/feed",
        "/notifications",
    ):
        html += (await client.get(url, headers={"Accept": "text/html"})).text
    for row in scene["releases"].values():
        for url in (f"/tracks/{row['public_id']}", f"/embed/tracks/{row['public_id']}"):
            html += (await client.get(url, headers={"Accept": "text/html"})).text
    return {t for t in TITLES.values() if t in html}


async def titles_in_oembed(client, scene):
    found = set()
    for row in scene["releases"].values():
        url = quote(f"http://testserver.local/tracks/{row['public_id']}", safe="")
        response = await client.get(f"/oembed?url={url}&format=json")
        if response.status_code == 200:
            found.add(response.json()["title"])
        else:
            assert response.status_code == 404
    return found


PATHS = [
    titles_in_feed,
    titles_in_search,
    titles_in_genre_search,
    titles_on_profile,
    titles_in_starter_feed,
    titles_in_press_kit,
    titles_by_id,
    titles_in_notifications,
    titles_in_pages,
    titles_in_oembed,
]


@pytest.mark.parametrize("path", PATHS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "who", [None, "sam@example.com", "finn@example.com"], ids=["anonymous", "stranger", "follower"]
)
async def test_hidden_releases_never_reach_anyone_but_their_owner(client, scene, path, who):
    await _as(client, who)
    seen = await path(client, scene)
    assert not seen & HIDDEN, f"{path.__name__} showed {seen & HIDDEN} to {who}"


@pytest.mark.parametrize("path", [titles_on_profile, titles_by_id, titles_in_pages], ids=lambda f: f.__name__)
async def test_the_owner_sees_all_of_their_releases(client, scene, path):
    await _as(client, "cora@example.com")
    assert await path(client, scene) == set(TITLES.values())


async def test_public_releases_do_reach_everyone(client, scene):
    await _as(client, "finn@example.com")
    for path in (
        titles_in_feed,
        titles_in_search,
        titles_on_profile,
        titles_in_starter_feed,
        titles_in_press_kit,
        titles_in_notifications,
        titles_in_oembed,
    ):
        assert TITLES["public"] in await path(client, scene), path.__name__


async def test_an_unlisted_release_opens_only_with_its_link(client, scene):
    row = scene["releases"]["unlisted"]
    await _as(client, "sam@example.com")
    query = "query($id: ID!, $key: String) { release(id: $id, key: $key) { title path embedUrl } }"
    body = await gql(client, query, {"id": row["public_id"], "key": "wrong-key"})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await gql(client, query, {"id": row["public_id"], "key": row["secret_token"]})
    assert body["data"]["release"]["title"] == TITLES["unlisted"]
    assert row["secret_token"] in body["data"]["release"]["path"]  # links they share keep working
    page = await client.get(f"/tracks/{row['public_id']}?k={row['secret_token']}")
    assert page.status_code == 200 and TITLES["unlisted"] in page.text
    assert 'name="robots" content="noindex"' in page.text
    embed = await client.get(f"/embed/tracks/{row['public_id']}?k={row['secret_token']}")
    assert embed.status_code == 200
    url = quote(f"http://testserver.local/tracks/{row['public_id']}?k={row['secret_token']}", safe="")
    assert (await client.get(f"/oembed?url={url}&format=json")).status_code == 200
    # With the link one may like and comment, but not repost it into feeds.
    await gql(
        client,
        "mutation($id: ID!, $k: String) { likeRelease(id: $id, key: $k) { errors { code } } }",
        {"id": row["public_id"], "k": row["secret_token"]},
    )
    body = await gql(
        client, "mutation($id: ID!) { repostRelease(id: $id) { errors { code } } }", {"id": row["public_id"]}
    )
    assert body["data"]["repostRelease"]["errors"][0]["code"] in ("NOT_FOUND", "REPOST_NOT_PUBLIC")


async def test_hidden_releases_refuse_every_action_and_side_door(client, scene):
    await _as(client, "sam@example.com")
    for visibility in ("private", "unlisted"):
        row = scene["releases"][visibility]
        for mutation in ("likeRelease", "repostRelease"):
            body = await gql(
                client, f'mutation {{ {mutation}(id: "{row["public_id"]}") {{ errors {{ code }} }} }}'
            )
            assert body["data"][mutation]["errors"][0]["code"] == "NOT_FOUND"
        body = await gql(
            client,
            f'mutation {{ addComment(releaseId: "{row["public_id"]}", body: "hi") {{ errors {{ code }} }} }}',
        )
        assert body["data"]["addComment"]["errors"][0]["code"] == "NOT_FOUND"
        for url in (
            f"/tracks/{row['public_id']}/artwork",
            f"/tracks/{row['public_id']}",
            f"/embed/tracks/{row['public_id']}",
        ):
            assert (await client.get(url, headers={"Accept": "text/html"})).status_code == 404, url
        response = await client.post("/plays/token", json={"track": row["public_id"]})
        assert response.status_code == 404


async def test_a_release_made_private_later_disappears_everywhere(client, scene):
    row = scene["releases"]["public"]
    await engagement.repost(actor_of(await _user("sam@example.com")), row["public_id"])
    await releases.update(
        actor_of(scene["creator"]), row["public_id"], releases.ReleaseChanges(visibility="private")
    )
    await feeds.rebuild_starter()
    for who in (None, "sam@example.com", "finn@example.com"):
        await _as(client, who)
        for path in PATHS:
            assert TITLES["public"] not in await path(client, scene), (path.__name__, who)
    # The follower's old notification no longer names it.
    await _as(client, "finn@example.com")
    body = await gql(client, "{ notifications(first: 5) { nodes { kind message release { id } } } }")
    release_news = [n for n in body["data"]["notifications"]["nodes"] if n["kind"] == "release"]
    assert release_news and all(
        n["release"] is None and TITLES["public"] not in n["message"] for n in release_news
    )


async def test_unpublished_and_deleted_releases_vanish_too(client, scene):
    row = scene["releases"]["public"]
    owner = actor_of(scene["creator"])
    await releases.unpublish(owner, row["public_id"])
    await _as(client, "finn@example.com")
    assert TITLES["public"] not in await titles_in_feed(client, scene)
    assert TITLES["public"] not in await titles_by_id(client, scene)
    await releases.republish(owner, row["public_id"])
    assert TITLES["public"] in await titles_in_feed(client, scene)
    await releases.delete(owner, row["public_id"])
    for path in PATHS:
        assert TITLES["public"] not in await path(client, scene), path.__name__
    await _as(client, "cora@example.com")
    assert TITLES["public"] not in await titles_on_profile(client, scene)


async def test_followers_are_told_only_about_public_releases(scene):
    from backend.social.tables import Notification

    rows = await Notification.select(Notification.release_id).where(
        Notification.user_id == scene["fan"]["id"], Notification.kind == "release"
    )
    assert [r["release_id"] for r in rows] == [scene["releases"]["public"]["id"]]


async def _user(email):
    from backend.accounts import services as accounts

    return await accounts.find_user_by_email(email)
