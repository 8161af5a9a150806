"""The realtime bridge: a page's job progress streams as server-sent HTML fragments."""

from __future__ import annotations

import asyncio

import httpx

from backend.core import jobs
from tests.fixtures import log_in


async def test_job_progress_streams_rendered_fragments_until_done(live_url, make_user, workers):
    user = await make_user("live@example.com", locale="de")
    row = await jobs.create_job("ops.probe", {"seconds": 0.4, "steps": 4}, owner_id=user["id"])
    async with httpx.AsyncClient(base_url=f"http://{live_url}", timeout=20) as http:
        await log_in(http, "live@example.com")
        fragment = await http.get(f"/jobs/{row['public_id']}", headers={"HX-Request": "true"})
        assert 'sse-connect="/jobs/' in fragment.text and "Wartet" in fragment.text
        events: list[tuple[str, str]] = []
        async with http.stream("GET", f"/jobs/{row['public_id']}/live") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            await jobs.dispatch(row)
            event, data = "message", []
            async for line in stream.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif line == "":
                    events.append((event, "\n".join(data)))
                    event, data = "message", []
                    if events[-1][0] == "done":
                        break
    messages = [html for name, html in events if name == "message"]
    assert 'data-status="RUNNING"' in "".join(messages)
    assert 'data-status="DONE"' in messages[-1] and "Fertig" in messages[-1]
    assert events[-1][0] == "done"


async def test_someone_elses_job_stream_is_refused(live_url, make_user):
    owner = await make_user("owner@example.com")
    await make_user("snoop@example.com")
    row = await jobs.create_job("ops.probe", {}, owner_id=owner["id"])
    async with httpx.AsyncClient(base_url=f"http://{live_url}", timeout=10) as http:
        await log_in(http, "snoop@example.com")
        fragment = await http.get(f"/jobs/{row['public_id']}", headers={"Accept": "text/html"})
        assert fragment.status_code == 404
        async with http.stream("GET", f"/jobs/{row['public_id']}/live") as stream:
            body = b""
            async for chunk in stream.aiter_bytes():
                body += chunk
                if b"\n\n" in body:
                    break
        assert b"event: error" in body
    await asyncio.sleep(0)
