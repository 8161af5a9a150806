"""Notifications: one for each kind of event, delivered live (GraphQL subscription and the pages'
server-sent bell), per-type preferences, read state, and the daily digest in the user's language."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import websockets

from backend.accounts import services as accounts
from backend.accounts.tables import User
from backend.core import clock
from backend.mail.tables import OutboxEmail
from backend.social import digest, engagement, follows, notifications
from backend.social.tables import Digest, Notification
from tests.fixtures import actor_of, gql, log_in
from tests.social.helpers import quick_release, run_jobs_inline

LIST = "{ unreadNotificationCount notifications(first: 20) { nodes { kind message url read actor { handle } release { title } } } }"


async def _kinds(user) -> list[str]:
    rows = (
        await Notification.select(Notification.kind)
        .where(Notification.user_id == user["id"])
        .order_by(Notification.id)
    )
    return [r["kind"] for r in rows]


async def test_each_kind_of_event_notifies_the_right_person(client, make_user):
    cora = await make_user("cora@example.com", display_name="Cora")
    finn = await make_user("finn@example.com", display_name="Finn")
    await follows.follow(actor_of(finn), cora["public_id"])
    release = await quick_release(cora, "Tide")
    await run_jobs_inline("social.announce_release")
    await engagement.like(actor_of(finn), release["public_id"])
    await engagement.repost(actor_of(finn), release["public_id"])
    await engagement.comment(actor_of(finn), release["public_id"], "Great turn at the chorus", at_seconds=83)
    await engagement.like(actor_of(cora), release["public_id"])  # your own like tells nobody
    assert await _kinds(cora) == ["follow", "like", "repost", "comment"]
    assert await _kinds(finn) == ["release"]
    await log_in(client, "cora@example.com")
    body = await gql(client, LIST)
    data = body["data"]
    assert data["unreadNotificationCount"] == 4
    messages = [n["message"] for n in data["notifications"]["nodes"]]
    assert messages == [
        "Finn commented on “Tide” at 1:23",
        "Finn reposted “Tide”",
        "Finn liked “Tide”",
        "Finn followed you",
    ]
    assert data["notifications"]["nodes"][0]["url"] == f"/tracks/{release['public_id']}?t=83"


async def test_like_unlike_like_does_not_spam(make_user):
    cora = await make_user("cora@example.com")
    finn = await make_user("finn@example.com")
    release = await quick_release(cora)
    for _ in range(3):
        await engagement.like(actor_of(finn), release["public_id"])
        await engagement.unlike(actor_of(finn), release["public_id"])
    assert await _kinds(cora) == ["like"]


async def test_preferences_turn_kinds_off_in_the_app(client, make_user):
    cora = await make_user("cora@example.com")
    finn = await make_user("finn@example.com")
    release = await quick_release(cora)
    await notifications.update_preferences(
        actor_of(cora), app_off=["like", "follow"], email_off=[], digest=True
    )
    await engagement.like(actor_of(finn), release["public_id"])
    await follows.follow(actor_of(finn), cora["public_id"])
    await engagement.comment(actor_of(finn), release["public_id"], "nice")
    assert await _kinds(cora) == ["comment"]
    await log_in(client, "cora@example.com")
    body = await gql(
        client,
        'mutation { updateNotificationPreferences(input: {appOff: ["nope"]}) { errors { code message } } }',
    )
    assert body["data"]["updateNotificationPreferences"]["errors"][0]["code"] == "NOTIFICATION_KIND_UNKNOWN"
    assert (await notifications.preferences(cora["id"]))["app_off"] == ["follow", "like"]  # unchanged


async def test_mark_read_one_or_all(client, make_user):
    cora = await make_user("cora@example.com")
    for n in range(3):
        fan = await make_user(f"fan{n}@example.com", display_name=f"Fan {n}")
        await follows.follow(actor_of(fan), cora["public_id"])
    await log_in(client, "cora@example.com")
    first = (await notifications.list_for(actor_of(cora), 1, None)).items[0]["public_id"]
    body = await gql(
        client,
        "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) { unreadCount errors { code } } }",
        {"ids": [first]},
    )
    assert body["data"]["markNotificationsRead"]["unreadCount"] == 2
    body = await gql(client, "mutation { markNotificationsRead(all: true) { unreadCount } }")
    assert body["data"]["markNotificationsRead"]["unreadCount"] == 0
    body = await gql(client, "mutation { markNotificationsRead { unreadCount errors { code } } }")
    assert body["data"]["markNotificationsRead"]["errors"][0]["code"] == "NOTHING_SELECTED"


async def test_the_subscription_delivers_notifications_live(live_url, make_user):
    cora = await make_user("cora@example.com", display_name="Cora")
    finn = await make_user("finn@example.com", display_name="Finn")
    _, secret = await accounts.create_api_key(actor_of(cora), "ws", ["read"])
    ws = await websockets.connect(f"ws://{live_url}/graphql", subprotocols=["graphql-transport-ws"])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {secret}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    query = "subscription { notifications { unreadCount notification { kind message } } }"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
    first = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert first["payload"]["data"]["notifications"] == {"unreadCount": 0, "notification": None}
    await follows.follow(actor_of(finn), cora["public_id"])
    event = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert event["payload"]["data"]["notifications"] == {
        "unreadCount": 1,
        "notification": {"kind": "follow", "message": "Finn followed you"},
    }
    await notifications.mark_read(actor_of(cora), None, True)
    event = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert event["payload"]["data"]["notifications"]["unreadCount"] == 0
    await ws.close()


async def test_the_bell_streams_its_count_to_pages(live_url, make_user):
    cora = await make_user("cora@example.com", display_name="Cora", locale="de")
    finn = await make_user("finn@example.com", display_name="Finn")
    async with httpx.AsyncClient(base_url=f"http://{live_url}", timeout=20) as http:
        await log_in(http, "cora@example.com")
        page = await http.get("/feed")
        assert 'sse-connect="/notifications/live"' in page.text
        seen: list[str] = []
        async with http.stream("GET", "/notifications/live") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    seen.append(line[6:])
                    if len(seen) == 1:
                        await follows.follow(actor_of(finn), cora["public_id"])
                    elif 'data-count="1"' in line:
                        break
        assert 'data-count="0"' in seen[0]
        assert 'data-count="1"' in seen[-1] and "1 ungelesen" in seen[-1]
        async with http.stream("GET", "/notifications/live/items") as stream:
            lines = stream.aiter_lines()
            async for line in lines:
                if line.startswith("data: "):
                    break  # the current state (no item)
            await engagement.like(actor_of(finn), (await quick_release(cora, "Tide"))["public_id"])
            async for line in lines:
                if "notification-text" in line:
                    assert "Finn gefällt „Tide“" in line
                    break


async def test_the_daily_digest_is_sent_once_in_the_users_language(make_user, workers):
    cora = await make_user("cora@example.com", display_name="Cora", locale="ja")
    await User.update({User.time_zone: "Asia/Tokyo"}).where(User.id == cora["id"])
    finn = await make_user("finn@example.com", display_name="Finn")
    sam = await make_user("sam@example.com", display_name="Sam")
    release = await quick_release(cora, "潮騒")
    await follows.follow(actor_of(finn), cora["public_id"])
    await engagement.like(actor_of(sam), release["public_id"])
    await notifications.update_preferences(actor_of(cora), app_off=[], email_off=["follow"], digest=True)
    tokyo = ZoneInfo("Asia/Tokyo")
    later = datetime.now(tokyo).replace(hour=8, minute=1, second=0, microsecond=0)
    if later < clock.now():
        later += timedelta(days=1)  # the next 8 o'clock in Tokyo, within a day of the notifications
    assert await digest.send_digests(later) == 1
    assert await digest.send_digests(later) == 0  # the same day: once only
    mail = await OutboxEmail.select().where(OutboxEmail.kind == "social_digest").first()
    assert mail["to_address"] == "cora@example.com" and mail["locale"] == "ja"
    assert mail["subject"] == "Cadenzaの新着1件"
    assert "Samさんが「潮騒」にいいねしました" in mail["body_text"]
    assert "Finnさんがあなたをフォローしました" not in mail["body_text"]  # follows are off by email
    assert "http://testserver.local/settings/notifications" in mail["body_text"]
    assert await Digest.count() == 1


async def test_no_digest_at_another_hour_or_when_turned_off(make_user):
    cora = await make_user("cora@example.com", display_name="Cora")
    finn = await make_user("finn@example.com", display_name="Finn")
    await follows.follow(actor_of(finn), cora["public_id"])
    noon = clock.now().replace(hour=12)
    assert await digest.send_digests(noon) == 0  # UTC user, 12 o'clock
    await notifications.update_preferences(actor_of(cora), app_off=[], email_off=[], digest=False)
    assert await digest.send_digests(noon.replace(hour=8)) == 0
    assert await OutboxEmail.count().where(OutboxEmail.kind == "social_digest") == 0
