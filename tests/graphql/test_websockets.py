"""Subscriptions over websockets: graphql-transport-ws only, authenticated, Origin-checked, capped."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from backend.accounts import services as accounts
from backend.core import jobs
from tests.fixtures import actor_of

PROTOCOL = "graphql-transport-ws"
SUBSCRIBE = "subscription($id: ID!) { jobProgress(id: $id) { id status progress done } }"


async def _connect(live_url: str, payload: dict | None = None, **kwargs):
    ws = await websockets.connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL], **kwargs)
    await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
    return ws


async def _key_for(make_user, email: str = "sub@example.com") -> tuple[dict, str]:
    user = await make_user(email)
    _, secret = await accounts.create_api_key(actor_of(user), "ws", ["read"])
    return user, secret


async def test_job_progress_streams_until_the_job_is_done(live_url, make_user, workers):
    user, secret = await _key_for(make_user)
    row = await jobs.create_job("ops.probe", {"seconds": 0.5, "steps": 5}, owner_id=user["id"])
    ws = await _connect(live_url, {"authorization": f"Bearer {secret}"})
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"id": row["public_id"]}},
            }
        )
    )
    first = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert first["payload"]["data"]["jobProgress"]["status"] == "QUEUED"
    await jobs.dispatch(row)
    statuses = []
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] == "complete":
            break
        statuses.append(message["payload"]["data"]["jobProgress"]["status"])
    assert statuses[-1] == "DONE" and "RUNNING" in statuses
    await ws.close()


async def test_someone_elses_job_is_not_found(live_url, make_user):
    owner = await make_user("owner@example.com")
    _, secret = await _key_for(make_user, "other@example.com")
    row = await jobs.create_job("ops.probe", {}, owner_id=owner["id"])
    ws = await _connect(live_url, {"authorization": f"Bearer {secret}"})
    await ws.recv()
    await ws.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"id": row["public_id"]}},
            }
        )
    )
    message = json.loads(await asyncio.wait_for(ws.recv(), 5))
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert message["type"] == "error" or message["payload"]["data"] is None
    await ws.close()


async def test_an_unauthenticated_connection_is_closed(live_url):
    ws = await _connect(live_url, {})
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 4403


async def test_a_forged_key_is_refused(live_url):
    ws = await _connect(live_url, {"authorization": "Bearer cdz_abcdefgh_" + "y" * 40})
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 4403


async def test_a_browser_on_a_foreign_origin_is_refused_at_the_handshake(live_url):
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(
            f"ws://{live_url}/graphql", subprotocols=[PROTOCOL], origin="https://evil.example"
        )
    assert refused.value.response.status_code == 403


async def test_the_legacy_graphql_ws_protocol_is_not_offered(live_url):
    try:
        ws = await websockets.connect(f"ws://{live_url}/graphql", subprotocols=["graphql-ws"])
    except websockets.InvalidHandshake:
        return
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 4406


async def test_subscriptions_per_connection_are_capped(live_url, make_user):
    user, secret = await _key_for(make_user)
    row = await jobs.create_job("ops.probe", {}, owner_id=user["id"])
    ws = await _connect(live_url, {"authorization": f"Bearer {secret}"})
    await ws.recv()
    for i in range(21):
        await ws.send(
            json.dumps(
                {
                    "id": str(i),
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": {"id": row["public_id"]}},
                }
            )
        )
    refused = None
    try:
        while refused is None:
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if message["type"] == "error":
                refused = message
    except websockets.ConnectionClosed as closed:
        refused = {"closed": closed.rcvd.code}
    assert refused is not None
