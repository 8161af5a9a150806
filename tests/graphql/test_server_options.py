"""Websockets as ``cadenza serve`` runs them (``cli.main.SERVER_OPTIONS``): uvicorn's sans-I/O
implementation without permessage-deflate, subscriptions and their order unchanged."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from tests.collab.helpers import Stream, op, shared_project, submit

PROTOCOL = "graphql-transport-ws"


async def test_a_client_offering_compression_gets_plain_frames(live_url):
    # Browsers offer permessage-deflate; its zlib state per connection costs more than it saves here.
    async with websockets.connect(
        f"ws://{live_url}/graphql", subprotocols=[PROTOCOL], compression="deflate"
    ) as ws:
        assert "permessage-deflate" in ws.request.headers["Sec-WebSocket-Extensions"]
        assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
        assert ws.subprotocol == PROTOCOL


async def test_a_message_larger_than_a_graphql_request_closes_only_its_connection(live_url):
    async with websockets.connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL], max_size=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"pad": "x" * 1_100_000}}))
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1009  # message too big
    # Just under the limit, the message reaches GraphQL, which answers it (no credentials: 4403).
    async with websockets.connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"pad": "x" * 900_000}}))
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 4403


async def test_collaborators_receive_commits_in_order(client, make_user, monkeypatch, live_url):
    shared = await shared_project(client, make_user, monkeypatch)
    async with Stream.open(live_url, shared.owner, shared.project) as owner:
        synced = await owner.next()
        assert synced["role"] == "OWNER" and len(synced["document"]["tracks"]) == 2
        base = synced["revision"]
        for number in range(5):
            await submit(
                client,
                shared["editor"],
                shared.project,
                base + number,
                [op("set_track", track_id="trk_keys00002", field="gain_db", value=-float(number))],
                f"order-batch-{number:04d}",
            )
        seen = [(await owner.until("OperationsCommitted"))["revision"] for _ in range(5)]
        assert seen == [base + 1 + n for n in range(5)]
