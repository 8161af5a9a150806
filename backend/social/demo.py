"""Demo community for ``cadenza dev``: the demo creator's profile and releases, the demo listener
following them. Idempotent (it looks for the demo releases first) and quick: the audio is made with
numpy and goes through the real path — an upload, the studio's ingest (run inline here) or its render
of the demo project, then this domain's own prepare and announce jobs, also run inline.
"""

from __future__ import annotations

import io
import logging
import wave

import numpy as np
from PIL import Image, ImageDraw

from backend.accounts import services as accounts
from backend.audio import services as audio
from backend.core import clock, jobs
from backend.core.actor import Actor
from backend.core.ids import new_id
from backend.core.storage import storage
from backend.core.tables import Job, Upload
from backend.social import feeds, follows, profiles, queries, releases
from backend.social.tables import Profile, Release

log = logging.getLogger(__name__)

CREATOR = "creator@demo.cadenza.local"
LISTENER = "listener@demo.cadenza.local"
REEL_TITLE = "Harbour Lights Reel"
MIX_TITLE = "Demo song (studio mix)"
RATE = 44100


def reel(seconds: float = 42.0, seed: int = 3) -> bytes:
    """A fiddle-ish reel in D: eighth notes at 112 bpm, plucked envelope, a drone underneath."""
    rng = np.random.default_rng(seed)
    scale = [293.66, 329.63, 369.99, 392.0, 440.0, 493.88, 554.37, 587.33, 659.25, 739.99]
    eighth = 60.0 / 112 / 2
    samples_per = int(eighth * RATE)
    t = np.arange(samples_per) / RATE
    envelope = np.minimum(1.0, t / 0.01) * np.exp(-t * 5.0)
    notes, position = [], 4
    for _ in range(int(seconds / eighth)):
        position = int(np.clip(position + rng.choice([-2, -1, -1, 0, 1, 1, 2]), 0, len(scale) - 1))
        f = scale[position]
        tone = np.sin(2 * np.pi * f * t) + 0.4 * np.sin(4 * np.pi * f * t) + 0.2 * np.sin(6 * np.pi * f * t)
        notes.append(tone * envelope * 0.35)
    melody = np.concatenate(notes)
    full = np.arange(melody.size) / RATE
    drone = 0.12 * np.sin(2 * np.pi * 146.83 * full) * (0.8 + 0.2 * np.sin(2 * np.pi * 0.1 * full))
    phrase = 0.75 + 0.25 * np.sin(2 * np.pi * full / 8.0)  # swells every few bars, for the waveform
    mono = np.clip((melody + drone) * phrase, -1, 1)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((mono * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def avatar() -> bytes:
    image = Image.new("RGB", (400, 400), (15, 16, 32))
    draw = ImageDraw.Draw(image)
    for i in range(0, 400, 16):
        height = 60 + int(120 * abs(np.sin(i / 37)))
        draw.rectangle([i + 2, 200 - height // 2, i + 11, 200 + height // 2], fill=(124, 92, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


async def _upload(actor: Actor, name: str, data: bytes) -> str:
    upload_id = new_id("upl")
    key = f"uploads/{actor.public_id}/{upload_id}"
    stored = await storage().save_bytes(key, data)
    await Upload.insert(
        Upload(
            public_id=upload_id,
            owner_id=actor.user_id,
            storage_key=key,
            filename=name,
            declared_type="audio/wav",
            size=stored.size,
            sha256=stored.sha256,
            purpose="demo",
            created_at=clock.now(),
        )
    )
    return upload_id


async def _run(kind: str, subject: str | None = None) -> None:
    """Run this domain's (or the studio's) queued jobs inline: no worker runs during seeding."""
    spec = jobs.discover_jobs()[kind]
    for _ in range(50):
        query = Job.select(Job.public_id).where(Job.kind == kind, Job.status == "queued")
        if subject is not None:
            query = query.where(Job.subject == subject)
        rows = await query
        if not rows:
            return
        for row in rows:
            await jobs.run_job(spec, row["public_id"])


async def _exists(owner_id: int, title: str) -> bool:
    return await Release.exists().where(Release.owner_id == owner_id, Release.title == title)


async def _profile(creator: Actor) -> None:
    existing = await queries.profile_of(creator.user_id)
    if existing is not None and existing["bio"]:
        return
    await profiles.update_profile(
        creator,
        profiles.ProfileChanges(
            bio="Fiddle tunes, studio sketches and the odd reel written with Cadenza's genre models.",
            location="Galway",
            links=[{"label": "Cadenza", "url": "https://cadenza.example/demo"}],
            genres=["reel", "celtic", "ambient"],
            theme_color="#7c5cff",
            layout="spotlight",
            press_bio="Demo Creator writes and records traditional tunes with a modern studio.",
            press_contact="press@demo.cadenza.local",
        ),
    )
    key = f"social/images/demo-avatar-{creator.public_id}.jpg"
    await storage().save_bytes(key, avatar())
    await profiles.set_image_key(creator.user_id, "avatar", key)


async def _reel(creator: Actor) -> None:
    if await _exists(creator.user_id, REEL_TITLE):
        return
    upload_id = await _upload(creator, "harbour-lights.wav", reel())
    release = await releases.publish(
        creator,
        releases.ReleaseInput(
            title=REEL_TITLE,
            genre="reel",
            tags=["fiddle", "acoustic", "ai_assisted"],
            description="A reel in D, first drafted with the reel model and played through.",
            upload_id=upload_id,
            credits=[releases.CreditInput(role="Fiddle", handle="demo_creator")],
        ),
    )
    await _run("audio.ingest_asset")
    await _run("social.prepare_release", release["public_id"])


async def _mix(creator: Actor) -> None:
    """Publish the studio's demo project as a render, when the studio seeded one."""
    if await _exists(creator.user_id, MIX_TITLE):
        return
    project = next(
        (p for p in (await audio.list_projects(creator, 20, None)).items if p["title"] == "Demo song"), None
    )
    if project is None:
        return
    try:
        render = await audio.request_render(creator, project["public_id"])
        await _run("audio.render_mix")
        render = await audio.get_render(creator, render["public_id"])
    except Exception:  # the studio is optional for the community demo
        log.warning("demo render failed; publishing the reel only", exc_info=True)
        return
    if render["status"] != "done":
        return
    release = await releases.publish(
        creator,
        releases.ReleaseInput(
            title=MIX_TITLE, genre="ambient", tags=["synth", "chill"], render_id=render["public_id"]
        ),
    )
    await _run("social.prepare_release", release["public_id"])


async def seed() -> None:
    creator_row = await accounts.find_user_by_email(CREATOR)
    listener_row = await accounts.find_user_by_email(LISTENER)
    if creator_row is None or listener_row is None:
        return
    creator = await accounts.actor_for_user(creator_row["id"])
    listener = await accounts.actor_for_user(listener_row["id"])
    if creator is None or listener is None:
        return
    await _profile(creator)
    if not await queries.follow_row(listener.user_id, creator.user_id):
        await follows.follow(listener, creator.public_id)
    await _reel(creator)
    await _mix(creator)
    await _run("social.announce_release")
    await feeds.rebuild_starter()
    count = await Profile.count()
    log.info("social demo: %d profiles", count)
