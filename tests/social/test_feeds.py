"""Home feeds: newest first, cursor-paged, with reposts; large accounts merged at read time; the
starter feed for new listeners; a constant number of SQL queries per page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.core import clock
from backend.social import engagement, feeds, follows, plays
from backend.social.tables import FeedItem
from tests.fixtures import actor_of, count_queries, gql, log_in
from tests.social.helpers import quick_release, run_jobs_inline

FEED = """
query($first: Int, $after: String) {
  feed(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      kind at
      actor { handle displayName verified avatarUrl viewerFollows }
      release {
        id title path duration peaks viewerLiked viewerReposted
        genre { name } tags { name }
        creator { handle displayName verified avatarUrl followerCount }
        stats { plays likes reposts comments }
        stream { url playToken threshold }
        credits { role name }
      }
    }
  }
}
"""


async def _feed(client, first=20, after=None):
    body = await gql(client, FEED, {"first": first, "after": after})
    assert "errors" not in body, body
    return body["data"]["feed"]


async def _all_titles(client, first):
    titles, after = [], None
    while True:
        page = await _feed(client, first, after)
        titles += [(n["kind"], n["release"]["title"]) for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return titles
        after = page["pageInfo"]["endCursor"]


@pytest.fixture
async def people(make_user):
    return {
        name: await make_user(f"{name}@example.com", display_name=name.title())
        for name in ("fan", "ana", "ben", "cy")
    }


async def test_feed_is_newest_first_with_reposts_and_pages_by_cursor(client, people):
    fan = actor_of(people["fan"])
    for name in ("ana", "ben"):
        await follows.follow(fan, people[name]["public_id"])
    start = clock.now() - timedelta(days=2)
    for i in range(7):
        owner = people["ana"] if i % 2 == 0 else people["ben"]
        await quick_release(owner, f"Song {i}", published_at=start + timedelta(hours=i))
    outsider = await quick_release(
        people["cy"], "Cy's tune", published_at=start + timedelta(hours=3, minutes=30)
    )
    await run_jobs_inline("social.announce_release")
    await engagement.repost(actor_of(people["ben"]), outsider["public_id"])  # Ben shares Cy's tune
    await run_jobs_inline("social.announce_repost")
    await log_in(client, "fan@example.com")
    expected = [("REPOST", "Cy's tune")] + [("RELEASE", f"Song {i}") for i in reversed(range(7))]
    for size in (1, 3, 20):
        assert await _all_titles(client, size) == expected, size
    first = await _feed(client, 2)
    assert first["nodes"][0]["actor"]["handle"] == people["ben"]["handle"]
    assert first["nodes"][0]["release"]["creator"]["handle"] == people["cy"]["handle"]


async def test_a_new_release_lands_on_top_and_unfollowing_clears_it(client, people):
    fan = actor_of(people["fan"])
    old = await quick_release(people["ana"], "Old one", published_at=clock.now() - timedelta(days=5))
    await follows.follow(fan, people["ana"]["public_id"])  # following shows recent releases at once
    await log_in(client, "fan@example.com")
    assert [n["release"]["title"] for n in (await _feed(client))["nodes"]] == ["Old one"]
    await quick_release(people["ana"], "Brand new")
    await run_jobs_inline("social.announce_release")
    assert (await _feed(client))["nodes"][0]["release"]["title"] == "Brand new"
    await follows.unfollow(fan, people["ana"]["public_id"])
    assert (await _feed(client))["nodes"] == []
    assert old["id"] not in {r["release_id"] for r in await FeedItem.select(FeedItem.release_id)}


async def test_each_feed_page_costs_the_same_number_of_queries(client, people):
    fan = actor_of(people["fan"])
    for name in ("ana", "ben", "cy"):
        await follows.follow(fan, people[name]["public_id"])
    await log_in(client, "fan@example.com")
    counts = []
    for total in (3, 30):
        n = 0
        while len((await _feed(client, 100))["nodes"]) < total:
            owner = people[("ana", "ben", "cy")[n % 3]]
            release = await quick_release(owner, f"T{n}-{total}")
            await run_jobs_inline("social.announce_release")
            if n % 4 == 0:
                await engagement.like(fan, release["public_id"])
            n += 1
        with count_queries() as counter:
            page = await _feed(client, total)
        assert len(page["nodes"]) == total
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    # The session's user, the page (items joined with releases), then one batch each: users, profiles,
    # stats, the viewer's likes, reposts and follows, credits.
    assert counts[0] <= 9, counts


async def test_large_accounts_are_merged_at_read_time(client, people, monkeypatch):
    monkeypatch.setattr(feeds, "FANOUT_MAX_FOLLOWERS", 1)
    feeds.forget_large_cache()
    fan = actor_of(people["fan"])
    await follows.follow(fan, people["ana"]["public_id"])
    await follows.follow(actor_of(people["cy"]), people["ana"]["public_id"])  # Ana now has 2 followers: large
    await follows.follow(fan, people["ben"]["public_id"])
    feeds.forget_large_cache()
    start = clock.now() - timedelta(hours=10)
    await quick_release(people["ana"], "Ana 1", published_at=start)
    await quick_release(people["ben"], "Ben 1", published_at=start + timedelta(hours=1))
    await quick_release(people["ana"], "Ana 2", published_at=start + timedelta(hours=2))
    await run_jobs_inline("social.announce_release")
    stored = {
        r["release_id"]
        for r in await FeedItem.select(FeedItem.release_id).where(FeedItem.user_id == people["fan"]["id"])
    }
    assert len(stored) == 1  # only Ben's was copied; Ana's are read at request time
    await log_in(client, "fan@example.com")
    assert [t for _, t in await _all_titles(client, 1)] == ["Ana 2", "Ben 1", "Ana 1"]
    feeds.forget_large_cache()


async def test_past_the_stored_horizon_the_feed_continues_read_time(client, people):
    fan = actor_of(people["fan"])
    await follows.follow(fan, people["ana"]["public_id"])
    start = clock.now() - timedelta(hours=10)
    for i in range(6):
        await quick_release(people["ana"], f"R{i}", published_at=start + timedelta(hours=i))
    await run_jobs_inline("social.announce_release")
    assert await feeds.trim_feeds(cap=2) == 4
    assert await FeedItem.count().where(FeedItem.user_id == people["fan"]["id"]) == 2
    await log_in(client, "fan@example.com")
    assert [t for _, t in await _all_titles(client, 2)] == [f"R{i}" for i in reversed(range(6))]


async def test_a_bad_cursor_is_a_clear_error(client, people):
    await log_in(client, "fan@example.com")
    body = await gql(client, FEED, {"first": 5, "after": "not-a-cursor"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_CURSOR"
    body = await gql(client, FEED, {"first": 500})
    assert body["errors"][0]["extensions"]["code"] == "PAGE_TOO_LARGE"


async def test_starter_feed_ranks_recent_popular_public_releases(client, people):
    now = clock.now()
    quiet = await quick_release(people["ana"], "Quiet", published_at=now - timedelta(hours=3))
    loved = await quick_release(people["ben"], "Loved", published_at=now - timedelta(hours=4))
    await quick_release(people["cy"], "Hidden", visibility="private")
    await quick_release(people["cy"], "Ancient", published_at=now - timedelta(days=90))
    for uid in range(40):
        token = plays.issue_token(loved, plays.listener_of(uid, None), now=now.timestamp() - 31)
        await plays.report(token, user_id=uid, anon_id=None, ip=f"10.1.0.{uid}")
    await plays.flush()
    await engagement.like(actor_of(people["fan"]), loved["public_id"])
    await feeds.rebuild_starter()
    body = await gql(client, "{ starterFeed(first: 10) { nodes { title } } }")
    titles = [n["title"] for n in body["data"]["starterFeed"]["nodes"]]
    assert titles[:2] == ["Loved", "Quiet"] and "Hidden" not in titles
    assert quiet["id"] != loved["id"]


async def test_a_new_listener_sees_the_starter_feed_on_the_feed_page(client, people):
    await quick_release(people["ana"], "Welcome tune")
    await log_in(client, "fan@example.com")
    page = await client.get("/feed")
    assert 'data-testid="feed-empty"' in page.text
    assert 'data-testid="starter-feed"' in page.text and "Welcome tune" in page.text
