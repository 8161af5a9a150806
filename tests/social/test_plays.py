"""Play counting: the 30-second rule on the server's clock, one count per listener per half hour,
tokens bound to their listener, bots rate-limited, and exact counts under concurrency."""

from __future__ import annotations

import asyncio
import time

from backend.core.redis import key, redis_client
from backend.social import plays
from backend.social.tables import Play, PlayDaily, ReleaseStats
from tests.fixtures import gql, log_in
from tests.social.helpers import quick_release

STREAM = "query($id: ID!) { release(id: $id) { stats { plays } stream { playToken threshold } } }"


async def _post(client, token, **extra):
    response = await client.post("/plays", json={"token": token, "source": "page"}, **extra)
    return response.status_code, response.json()


def aged(release, listener, seconds):
    """A token as if issued ``seconds`` ago. Only the server (holding SECRET_KEY) can make one."""
    return plays.issue_token(release, listener, now=time.time() - seconds)


async def _plays(release) -> int:
    row = (
        await ReleaseStats.select(ReleaseStats.plays).where(ReleaseStats.release_id == release["id"]).first()
    )
    return int(row["plays"]) if row else 0


async def test_a_play_counts_only_once_the_threshold_passed_on_the_servers_clock(client, make_user):
    creator = await make_user("cora@example.com")
    listener = await make_user("finn@example.com")
    release = await quick_release(creator, duration=200)
    await log_in(client, "finn@example.com")
    body = await gql(client, STREAM, {"id": release["public_id"]})
    stream = body["data"]["release"]["stream"]
    assert stream["threshold"] == 30
    status, answer = await _post(client, stream["playToken"])
    assert (status, answer["counted"], answer["reason"]) == (200, False, "too_early")
    assert 29 <= answer["retryAfter"] <= 31
    # Listening time is what the server measures: a token 31 s old (as a real listener's would be).
    status, answer = await _post(client, aged(release, plays.listener_of(listener["id"], None), 31))
    assert (status, answer["counted"], answer["reason"]) == (200, True, "counted")
    await plays.flush()
    assert await _plays(release) == 1


async def test_a_short_track_counts_after_its_own_length(client, make_user):
    creator = await make_user("cora@example.com")
    listener = await make_user("finn@example.com")
    release = await quick_release(creator, duration=12.4)
    assert plays.threshold_for(release["duration"]) == 12
    await log_in(client, "finn@example.com")
    status, answer = await _post(client, aged(release, plays.listener_of(listener["id"], None), 13))
    assert answer["counted"] is True


async def test_one_count_per_listener_per_release_per_half_hour(client, make_user):
    creator = await make_user("cora@example.com")
    listener = await make_user("finn@example.com")
    first, second = await quick_release(creator, "One"), await quick_release(creator, "Two")
    await log_in(client, "finn@example.com")
    me = plays.listener_of(listener["id"], None)
    token = aged(first, me, 40)
    assert (await _post(client, token))[1]["reason"] == "counted"
    assert (await _post(client, token))[1]["reason"] == "token_used"  # the same token again
    assert (await _post(client, aged(first, me, 35)))[1][
        "reason"
    ] == "duplicate"  # a fresh token, same window
    assert (await _post(client, aged(second, me, 35)))[1]["reason"] == "counted"  # another release counts
    seen = key("social", "play-seen", first["public_id"], me)
    assert 1790 <= await redis_client().ttl(seen) <= 1800
    await redis_client().delete(seen)  # the half hour is over
    assert (await _post(client, aged(first, me, 35)))[1]["reason"] == "counted"
    await plays.flush()
    assert await _plays(first) == 2 and await _plays(second) == 1


async def test_anonymous_listeners_count_by_cookie_and_ip_with_a_cap_per_ip(client, make_user):
    creator = await make_user("cora@example.com")
    release = await quick_release(creator)
    results = []
    for n in range(5):  # five "listeners" clearing their cookies on one machine
        anon = f"anonymous-listener-{n:04d}"
        client.cookies.set(plays.ANON_COOKIE, anon)
        results.append((await _post(client, aged(release, plays.listener_of(None, anon), 31)))[1]["reason"])
    assert results == ["counted"] * plays.ANON_PLAYS_PER_IP_PER_WINDOW + ["duplicate"] * 2
    await plays.flush()
    assert await _plays(release) == plays.ANON_PLAYS_PER_IP_PER_WINDOW


async def test_a_token_works_only_for_its_listener_and_only_as_signed(client, make_user):
    creator = await make_user("cora@example.com")
    other = await make_user("otto@example.com")
    await make_user("finn@example.com")
    release = await quick_release(creator)
    await log_in(client, "finn@example.com")
    status, answer = await _post(client, aged(release, plays.listener_of(other["id"], None), 31))
    assert (status, answer["reason"]) == (403, "wrong_listener")
    token = aged(release, plays.listener_of(other["id"], None), 31)
    forged = token.replace(release["public_id"], (await quick_release(creator, "B"))["public_id"])
    assert (await _post(client, forged))[0:2] == (
        400,
        {"counted": False, "reason": "invalid", "retryAfter": 0},
    )
    payload = token.rsplit(".", 1)[0].replace(".31.", ".0.")  # claim a zero threshold
    assert (await _post(client, payload + ".AAAA"))[1]["reason"] == "invalid"
    assert (await _post(client, aged(release, "exxxx", 7 * 3600)))[1]["reason"] == "expired"
    assert (await client.post("/plays", content=b"not json")).status_code == 400


async def test_bots_are_rate_limited_per_ip(client, make_user):
    creator = await make_user("cora@example.com")
    release = await quick_release(creator)
    statuses = []
    for _ in range(plays.REPORTS_PER_MINUTE_PER_IP + 3):
        statuses.append((await _post(client, aged(release, "ebot", 31)))[0])
    assert statuses[: plays.REPORTS_PER_MINUTE_PER_IP].count(429) == 0
    assert statuses[-3:] == [429, 429, 429]
    response = await client.post("/plays", json={"token": aged(release, "ebot", 31)})
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
    await plays.flush()
    assert await _plays(release) == 1  # one machine, one user agent: one count


async def test_counts_are_exact_under_concurrency(make_user):
    creator = await make_user("cora@example.com")
    release = await quick_release(creator)
    listeners = list(range(10_000, 10_300))
    tokens = [(uid, aged(release, plays.listener_of(uid, None), 31)) for uid in listeners]
    # Every listener reports twice at once (a double click), all 300 listeners at the same time.
    reports = [
        plays.report(t, user_id=uid, anon_id=None, ip=f"10.0.{uid % 250}.1")
        for uid, t in tokens
        for _ in (1, 2)
    ]
    reports += [
        plays.report(
            aged(release, plays.listener_of(uid, None), 31), user_id=uid, anon_id=None, ip="10.9.9.9"
        )
        for uid in listeners[:50]
    ]
    results = await asyncio.gather(*reports)
    assert sum(r.counted for r in results) == len(listeners)
    # Two aggregators racing each other still count each play once.
    await asyncio.gather(plays.flush(batch=120), plays.flush(batch=120), plays.flush(batch=120))
    while await plays.flush():
        pass
    assert await _plays(release) == len(listeners)
    assert await Play.count().where(Play.release_id == release["id"]) == len(listeners)
    days = await PlayDaily.select(PlayDaily.plays).where(PlayDaily.release_id == release["id"])
    assert sum(d["plays"] for d in days) == len(listeners)
    assert await plays.pending_counts([release["public_id"]]) == {}


async def test_storing_a_batch_twice_counts_it_once(make_user):
    creator = await make_user("cora@example.com")
    release = await quick_release(creator)
    for uid in (1, 2, 3):
        await plays.report(
            aged(release, plays.listener_of(uid, None), 31), user_id=uid, anon_id=None, ip="1.2.3.4"
        )
    await plays._ensure_group()
    entries = await plays._read_batch(100)
    assert await plays.store(entries) == 3
    assert await plays.store(entries) == 0  # a job that ran twice
    await plays._acknowledge(entries)
    assert await _plays(release) == 3


async def test_pending_plays_show_at_once_and_are_not_counted_twice(client, make_user):
    creator = await make_user("cora@example.com")
    release = await quick_release(creator)
    await plays.report(aged(release, plays.listener_of(7, None), 31), user_id=7, anon_id=None, ip="1.1.1.1")
    body = await gql(client, STREAM, {"id": release["public_id"]})
    assert body["data"]["release"]["stats"]["plays"] == 1  # before aggregation
    await plays.flush()
    body = await gql(client, STREAM, {"id": release["public_id"]})
    assert body["data"]["release"]["stats"]["plays"] == 1  # after: moved, not doubled


async def test_the_report_play_mutation_counts_like_the_endpoint(client, make_user):
    creator = await make_user("cora@example.com")
    listener = await make_user("finn@example.com")
    release = await quick_release(creator)
    await log_in(client, "finn@example.com")
    mutation = "mutation($t: String!) { reportPlay(token: $t) { report { counted reason retryAfter } errors { code } } }"
    body = await gql(client, mutation, {"t": aged(release, plays.listener_of(listener["id"], None), 31)})
    assert body["data"]["reportPlay"]["report"] == {"counted": True, "reason": "counted", "retryAfter": 0}
    body = await gql(client, mutation, {"t": aged(release, plays.listener_of(listener["id"], None), 31)})
    assert body["data"]["reportPlay"]["report"]["reason"] == "duplicate"


async def test_the_aggregator_runs_in_the_workers(client, make_user, workers):
    creator = await make_user("cora@example.com")
    release = await quick_release(creator)
    await plays.report(aged(release, plays.listener_of(5, None), 31), user_id=5, anon_id=None, ip="1.1.1.1")
    deadline = time.monotonic() + 10
    while await _plays(release) != 1:
        assert time.monotonic() < deadline, "the flush cron did not aggregate the play"
        await asyncio.sleep(0.2)
