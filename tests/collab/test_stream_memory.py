"""What a long-lived ``projectEvents`` stream keeps: not the document it started from.

A web process holds a thousand of these; the GraphQL layers above the stream keep the last event
until the next one comes (in a quiet project, for hours), so the synced document is let go as soon
as it has been sent, while every subscriber still receives it whole.
"""

from __future__ import annotations

import asyncio

from backend.collab import channels
from backend.collab import services as collab
from tests.collab.helpers import Stream, shared_project


async def test_the_document_arrives_whole_and_the_stream_lets_it_go_once_sent(
    client, make_user, monkeypatch, live_url
):
    shared = await shared_project(client, make_user, monkeypatch)
    # Over the websocket, as the studio gets it.
    async with Stream.open(live_url, shared["editor"], shared.project) as editor:
        synced = await editor.next()
        assert [t["id"] for t in synced["document"]["tracks"]] == ["trk_drums0001", "trk_keys00002"]
        assert [c["id"] for c in synced["document"]["tracks"][0]["clips"]] == ["clp_beat00001"]
    # The stream itself: once asked for the next event, its synced event holds no document.
    events = collab.project_events(shared.owner.actor, shared.project)
    try:
        first = await anext(events)
        assert first["type"] == "synced" and len(first["document"]["tracks"]) == 2
        following = asyncio.ensure_future(anext(events))
        await channels.publish(shared.project, {"type": "snapshot", "snapshot": "snp_x", "deleted": True})
        event = await asyncio.wait_for(following, 10)
        assert event["type"] == "snapshot"
        assert first["document"] == {}
    finally:
        await events.aclose()
