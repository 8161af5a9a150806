"""Community jobs (each idempotent: a job can run twice) and the periodic tasks of the default worker.

``CRON_JOBS`` lists what ``workers/settings.py`` schedules on the default queue: the play
aggregator, the starter-feed ranking, the daily digest and the feed trim. They call their service
directly (no job row each time): they are frequent, cheap and safe to skip once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import PurePosixPath
from typing import Any

from backend.core import clock, jobs
from backend.core.errors import DomainError
from backend.core.jobs import JobContext, job
from backend.core.storage import storage
from backend.core.tables import Upload
from backend.social import digest, feeds, images, notifications, plays, profiles, queries, releases, waveform
from backend.social.tables import Image

log = logging.getLogger(__name__)

NOTIFY_CHUNK = 2000
PREPARE_WAIT_SECONDS = 20
PREPARE_MAX_ROUNDS = 90  # about half an hour of waiting for the studio in all


@job(queue="default", timeout=30, retries=2)
async def process_image(ctx: JobContext, image_id: str) -> dict[str, Any]:
    image = await queries.image_by_public_id(image_id)
    if image is None or image["status"] != "processing":
        return {"status": image["status"] if image else "missing"}
    upload = await Upload.select().where(Upload.public_id == image["upload_id"]).first()
    try:
        if upload is None:
            raise DomainError("social.errors.upload_not_found")
        data, size = await images.render_image(storage().local_path(upload["storage_key"]), image["kind"])
    except DomainError as exc:
        await Image.update({Image.status: "failed", Image.error_key: exc.key}).where(Image.id == image["id"])
        raise
    key = f"social/images/{image['public_id']}.{images.extension(image['kind'], data)}"
    await storage().save_bytes(key, data)
    await Image.update(
        {
            Image.status: "ready",
            Image.storage_key: key,
            Image.width: size["width"],
            Image.height: size["height"],
        }
    ).where(Image.id == image["id"])
    if image["target"] == "profile":
        await profiles.set_image_key(image["owner_id"], image["kind"], key)
    else:
        await releases.set_artwork(image["target"], image["owner_id"], key)
    return {"key": key, **size}


@job(queue="default", timeout=30, retries=3)
async def prepare_release(ctx: JobContext, release_id: str, round: int = 0) -> dict[str, Any]:
    """Wait (briefly) for the studio to finish the release's audio, then copy it and go live."""
    release = await queries.release_by_public_id(release_id)
    if release is None or release["status"] != "processing":
        return {"status": release["status"] if release else "missing"}
    deadline = time.monotonic() + PREPARE_WAIT_SECONDS
    while True:
        state, media = await releases.prepare_source(release)
        if state != "wait" or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    if state == "failed":
        await releases.audio_failed(release, "social.errors.audio_failed")
        return {"status": "failed"}
    if state == "wait":
        if round >= PREPARE_MAX_ROUNDS:
            await releases.audio_failed(release, "social.errors.audio_timeout")
            return {"status": "failed"}
        follow_up = await jobs.create_job(
            "social.prepare_release",
            {"release_id": release_id, "round": round + 1},
            owner_id=release["owner_id"],
            subject=release_id,
        )
        await jobs.dispatch(follow_up, defer_seconds=2)
        return {"status": "waiting", "next": follow_up["public_id"]}
    assert media is not None
    source = storage().local_path(media["key"])
    suffix = PurePosixPath(media["key"]).suffix or ".mp3"
    stream_key = f"releases/{release_id}/stream{suffix}"
    await storage().save_file(stream_key, source)
    levels = waveform.from_peaks(media.get("peaks"))
    duration = media.get("duration")
    if not levels or not duration:
        measured, seconds = await waveform.from_file(source)
        levels = levels or measured
        duration = duration or seconds
    row = await releases.audio_ready(release, stream_key, duration, levels)
    return {"status": row["status"]}


@job(queue="default", timeout=30, retries=3)
async def publish_scheduled(ctx: JobContext, release_id: str) -> dict[str, Any]:
    return {"status": await releases.publish_due(release_id)}


@job(queue="default", timeout=30, retries=3)
async def announce_release(ctx: JobContext, release_id: str, after: int = 0) -> dict[str, Any]:
    """Fan a new release out: feeds (one statement), then followers' notifications in chunks."""
    release = await queries.release_by_public_id(release_id)
    if release is None or not (release["status"] == "published" and release["deleted_at"] is None):
        return {"status": "skipped"}
    if release["visibility"] != "public":
        return {"status": "skipped"}
    fed = await feeds.fan_out_release(release) if after == 0 else 0
    followers = await queries.follower_ids_after(release["owner_id"], after, NOTIFY_CHUNK)
    told = await notifications.notify_many(
        [f["follower_id"] for f in followers],
        "release",
        actor_id=release["owner_id"],
        release_id=release["id"],
        dedupe_prefix=f"release:{release['id']}",
    )
    await ctx.progress(0.9 if len(followers) == NOTIFY_CHUNK else 1.0)
    if len(followers) == NOTIFY_CHUNK:
        follow_up = await jobs.create_job(
            "social.announce_release",
            {"release_id": release_id, "after": followers[-1]["id"]},
            owner_id=release["owner_id"],
            subject=release_id,
        )
        await jobs.dispatch(follow_up)
    return {"feeds": fed, "notified": told}


@job(queue="default", timeout=30, retries=3)
async def announce_repost(ctx: JobContext, release_id: str, user_id: int) -> dict[str, Any]:
    release = await queries.release_by_public_id(release_id)
    if release is None:
        return {"feeds": 0}
    reposted = await queries.reposted_among(user_id, [release["id"]])
    if not reposted:
        return {"feeds": 0}  # undone before the job ran
    return {"feeds": await feeds.fan_out_repost(user_id, release["id"], clock.now())}


# ----------------------------------------------------------------------------- periodic


async def flush_plays(ctx: dict[str, Any]) -> int:
    total = 0
    for _ in range(20):  # at most 100,000 plays per tick; the next tick takes the rest
        moved = await plays.flush()
        total += moved
        if moved == 0:
            break
    return total


async def rank_starter_feed(ctx: dict[str, Any]) -> int:
    return await feeds.rebuild_starter()


async def daily_digests(ctx: dict[str, Any]) -> int:
    return await digest.send_digests()


TRIM_BUDGET = 45.0


async def trim_feeds(ctx: dict[str, Any]) -> int:
    return await feeds.trim_feeds(budget_seconds=TRIM_BUDGET)


CRON_JOBS: list[dict[str, Any]] = [
    {"coroutine": flush_plays, "name": "social.flush_plays", "second": set(range(0, 60, 2)), "timeout": 25},
    {
        "coroutine": rank_starter_feed,
        "name": "social.rank_starter_feed",
        "minute": set(range(0, 60, 10)),
        "second": {7},
    },
    # Default-queue jobs keep short timeouts: a killed worker's jobs wait for the longest of them
    # (plus 10 s) before another worker takes them. So the long sweeps run in slices that resume.
    # Each user's digest goes out when it is 8 o'clock where they are; six runs in that hour each
    # pick up whoever is still without today's digest (it is sent once per day).
    {
        "coroutine": daily_digests,
        "name": "social.daily_digests",
        "minute": set(range(1, 60, 10)),
        "second": {0},
        "timeout": 60,
    },
    # Hourly, at most TRIM_BUDGET seconds a run; a feed already trimmed costs one query.
    {
        "coroutine": trim_feeds,
        "name": "social.trim_feeds",
        "minute": {23},
        "second": {0},
        "timeout": 60,
    },
]
