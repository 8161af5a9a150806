"""The demo community seeds through the real paths, quickly, and only once."""

from __future__ import annotations

from backend.accounts import demo as accounts_demo
from backend.social import demo
from backend.social.tables import Follow, Notification, Release


async def test_demo_seed_publishes_and_follows_idempotently():
    await accounts_demo.seed()
    await demo.seed()
    rows = await Release.select(Release.title, Release.status, Release.duration, Release.stream_key)
    reel = next(r for r in rows if r["title"] == demo.REEL_TITLE)
    assert reel["status"] == "published" and reel["duration"] > 40 and reel["stream_key"]
    assert await Follow.count() == 1
    assert await Notification.count().where(Notification.kind == "release") == len(rows)
    await demo.seed()
    assert await Release.count() == len(rows) and await Follow.count() == 1
