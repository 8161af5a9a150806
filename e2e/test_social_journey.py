"""A creator publishes; a fan who follows them sees the notification arrive live and the release at
the top of their feed; plays it past 30 seconds and the count goes up once; and the player, embedded
in a page served from another origin, plays there.

The seeded demo listener already follows the demo creator. The server, not the browser, decides when
a play counts: skipping ahead in the player changes nothing until 30 s have really passed since the
stream's token was issued, which is the only wait in this journey.
"""

from __future__ import annotations

import asyncio
import io
import re
import secrets
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import numpy as np

from e2e.conftest import LiveServer, free_port, log_in

CREATOR = "creator@demo.cadenza.local"
LISTENER = "listener@demo.cadenza.local"
AUDIO = "document.getElementById('cadenza-audio')"


def tune(seconds: float = 40.0, rate: int = 22050) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    melody = 0.3 * np.sin(2 * np.pi * (440 + 40 * np.sign(np.sin(2 * np.pi * 2 * t))) * t)
    data = (melody * (0.6 + 0.4 * np.sin(2 * np.pi * 0.2 * t)) * 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(data)
    return buffer.getvalue()


def other_site(embed_url: str) -> tuple[ThreadingHTTPServer, str]:
    """A blog on another origin (another port) that embeds the player."""
    page = (
        "<!doctype html><html><head><title>A music blog</title></head><body>"
        "<h1>Track of the day</h1>"
        f'<iframe id="player" src="{embed_url}" width="560" height="166" allow="autoplay" frameborder="0"></iframe>'
        "</body></html>"
    ).encode()

    class Blog(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Blog)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


async def bell(page) -> int:
    locator = page.locator("[data-testid=bell-count][data-count]")
    await locator.wait_for(state="attached")  # the live stream's first message: the current count
    return int(await locator.get_attribute("data-count"))


async def test_publish_notify_feed_play_once_and_embed(new_context, live_server: LiveServer):
    creator = await (await new_context()).new_page()
    fan = await (await new_context(locale="es-ES")).new_page()
    for page in (creator, fan):
        page.set_default_timeout(45_000)
    await log_in(creator, CREATOR)
    await log_in(fan, LISTENER)

    # The fan is on their feed; the bell shows the unread count, streamed by the server.
    await fan.goto("/feed")
    unread = await bell(fan)

    # The creator publishes a track from an upload.
    title = f"Journey Reel {secrets.token_hex(3)}"
    await creator.goto("/tracks/new")
    await creator.get_by_test_id("audio-file").set_input_files(
        {"name": "journey.wav", "mimeType": "audio/wav", "buffer": tune()}
    )
    await creator.locator("[data-upload-status=upload_id][data-state=done]").wait_for()
    await creator.get_by_test_id("field-title").fill(title)
    await creator.get_by_test_id("field-genre").select_option("reel")
    await creator.get_by_test_id("tag-fiddle").check()
    await creator.get_by_test_id("publish-submit").click()
    await creator.wait_for_url(re.compile(r"/tracks/trk_\w+$"))
    track_id = urlparse(creator.url).path.rsplit("/", 1)[-1]

    # Once its audio is ready, the fan's bell goes up without a reload…
    await fan.wait_for_function(
        "n => Number(document.querySelector('[data-testid=bell-count]').dataset.count) > n", arg=unread
    )
    # …and the release is at the top of their feed.
    await fan.reload()
    first = fan.get_by_test_id("feed-item").first.get_by_test_id("release-link")
    assert await first.inner_text() == title

    # The fan opens it and plays; skipping ahead to 0:31 does not count by itself.
    await first.click()
    await fan.wait_for_url(f"**/tracks/{track_id}")
    opened = time.monotonic()
    count = fan.get_by_test_id("play-count")
    assert await count.get_attribute("data-count") == "0"
    token = await fan.get_by_test_id(f"play-{track_id}").get_attribute("data-token")
    await fan.get_by_test_id(f"play-{track_id}").click()
    await fan.wait_for_function(f"() => {AUDIO} && !{AUDIO}.paused && {AUDIO}.currentTime > 0.2")
    await fan.evaluate(f"() => {{ {AUDIO}.currentTime = 31 }}")

    # Browsing on keeps the music playing: boosted navigation swaps #main, never the mini-player.
    await fan.get_by_test_id("nav-discover").click()
    await fan.wait_for_url("**/discover")
    await fan.get_by_test_id("search-form").wait_for()
    assert await fan.evaluate(f"() => !{AUDIO}.paused && {AUDIO}.currentTime > 31")
    assert await fan.get_by_test_id("mini-title").inner_text() == title
    await fan.get_by_test_id("mini-title").click()
    await fan.wait_for_url(f"**/tracks/{track_id}")
    await fan.get_by_test_id("track").wait_for()

    # While the server's 30 seconds run, the player is embedded in a page on another origin.
    blog, blog_url = other_site(f"{live_server.url}/embed/tracks/{track_id}?theme=light")
    try:
        reader = await (await new_context()).new_page()
        await reader.goto(blog_url)
        frame = reader.frame_locator("#player")
        await frame.get_by_test_id("embed-title").wait_for()
        assert await frame.get_by_test_id("embed-title").inner_text() == title
        await frame.get_by_test_id("embed-play").click()
        embed = next(f for f in reader.frames if "/embed/tracks/" in f.url)
        await embed.wait_for_function(
            "() => { const a = document.getElementById('cadenza-audio'); return !a.paused && a.currentTime > 1 }"
        )
        await embed.evaluate("() => document.getElementById('cadenza-audio').pause()")
    finally:
        blog.shutdown()

    # The count goes up once, and only after the listening time really passed.
    await fan.wait_for_function(
        "() => document.querySelector('[data-testid=play-count]').dataset.count === '1'"
    )
    assert time.monotonic() - opened >= 29
    # Sending the counted token again changes nothing.
    again = await fan.evaluate(
        "t => fetch('/plays', {method: 'POST', headers: {'Content-Type': 'application/json'},"
        " body: JSON.stringify({token: t})}).then(r => r.json())",
        token,
    )
    assert again["counted"] is False and again["reason"] in ("token_used", "duplicate")
    await asyncio.sleep(2.5)  # the aggregator's next tick
    await fan.reload()
    assert await fan.get_by_test_id("play-count").get_attribute("data-count") == "1"
