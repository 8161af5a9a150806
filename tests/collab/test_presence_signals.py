"""Presence (appears, follows the selection, disappears when the tab closes or goes quiet; floods are
throttled per client without touching others) and call signalling addressed to one collaborator."""

from __future__ import annotations

import asyncio

from backend.collab import services as collab
from tests.collab.helpers import Stream, shared_project
from tests.fixtures import gql, settings_override

PRESENCE = """
mutation($p: ID!, $c: String!, $t: ID, $h: Float) {
  updatePresence(projectId: $p, clientId: $c, trackId: $t, playhead: $h) { revision presence { clientId trackId } errors { code message } }
}
"""
SIGNAL = """
mutation($p: ID!, $to: ID!, $k: CallSignalKind!, $pl: JSON!, $from: String!, $toc: String) {
  sendCallSignal(projectId: $p, toUserId: $to, kind: $k, payload: $pl, fromClientId: $from, toClientId: $toc) { delivered errors { code } }
}
"""


async def test_presence_appears_follows_the_selection_and_leaves_when_the_tab_closes(
    client, make_user, monkeypatch, live_url
):
    shared = await shared_project(client, make_user, monkeypatch)
    async with Stream.open(live_url, shared.owner, shared.project, client_id="owner-tab-01") as owner:
        assert (await owner.next())["people"] == []
        async with Stream.open(
            live_url, shared["editor"], shared.project, client_id="editor-tab-1"
        ) as editor:
            synced = await editor.next()
            assert synced["role"] == "EDITOR"
            body = await gql(
                client,
                PRESENCE,
                {"p": shared.project, "c": "editor-tab-1", "t": "trk_drums0001", "h": 3.5},
                key=shared["editor"].key,
            )
            assert body["data"]["updatePresence"]["errors"] == []
            seen = await owner.until("PresenceChanged", left=False)
            assert seen["presence"]["trackId"] == "trk_drums0001" and seen["presence"]["playhead"] == 3.5
            assert (
                seen["presence"]["user"]["displayName"] == "Editor Person"
                and seen["presence"]["initials"] == "EP"
            )
            assert seen["presence"]["color"].startswith("#")
        # The editor's websocket closed: gone at once, not after a timeout.
        gone = await owner.until("PresenceChanged", timeout=5, left=True)
        assert gone["presence"]["clientId"] == "editor-tab-1"
    assert await collab.presence_of(shared.project) == []


async def test_someone_who_vanishes_without_a_word_is_gone_within_the_ttl(
    client, make_user, monkeypatch, live_url
):
    shared = await shared_project(client, make_user, monkeypatch)
    with settings_override(collab__presence_ttl_seconds=2):
        async with Stream.open(live_url, shared.owner, shared.project, client_id="owner-tab-02") as owner:
            await owner.next()
            # A heartbeat from a client that never opened a stream (its tab crashed afterwards).
            await gql(client, PRESENCE, {"p": shared.project, "c": "crashed-tab"}, key=shared["editor"].key)
            await owner.until("PresenceChanged", left=False)
            started = asyncio.get_running_loop().time()
            gone = await owner.until("PresenceChanged", timeout=6, left=True)
            assert gone["presence"]["clientId"] == "crashed-tab"
            assert asyncio.get_running_loop().time() - started < 4.5
        assert await collab.presence_of(shared.project) == []


async def test_a_presence_flood_is_throttled_without_affecting_others(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    editor, viewer = shared["editor"], shared["viewer"]
    with settings_override(collab__presence_updates_per_second=5):
        results = await asyncio.gather(
            *(
                gql(client, PRESENCE, {"p": shared.project, "c": "flooder-01", "h": float(i)}, key=editor.key)
                for i in range(40)
            )
        )
        codes = [
            r["data"]["updatePresence"]["errors"][0]["code"]
            if r["data"]["updatePresence"]["errors"]
            else "OK"
            for r in results
        ]
        assert codes.count("RATE_LIMITED") >= 30 and "OK" in codes
        # Meanwhile someone else's heartbeat goes through.
        calm = await gql(client, PRESENCE, {"p": shared.project, "c": "calm-tab-1"}, key=viewer.key)
        assert calm["data"]["updatePresence"]["errors"] == []


async def test_call_signals_reach_only_the_addressed_collaborator(client, make_user, monkeypatch, live_url):
    shared = await shared_project(client, make_user, monkeypatch)
    owner, editor, viewer = shared.owner, shared["editor"], shared["viewer"]
    async with (
        Stream.open(live_url, editor, shared.project, client_id="editor-tab-9") as to_editor,
        Stream.open(live_url, viewer, shared.project, client_id="viewer-tab-9") as to_viewer,
    ):
        await to_editor.next()
        await to_viewer.next()
        offer = {"type": "offer", "sdp": "v=0\r\n"}
        body = await gql(
            client,
            SIGNAL,
            {
                "p": shared.project,
                "to": editor.id,
                "k": "OFFER",
                "pl": offer,
                "from": "owner-tab-9",
                "toc": "editor-tab-9",
            },
            key=owner.key,
        )
        assert body["data"]["sendCallSignal"] == {"delivered": True, "errors": []}
        signal = await to_editor.until("CallSignal")
        assert signal == {
            "__typename": "CallSignal",
            "kind": "OFFER",
            "payload": offer,
            "fromUserId": owner.id,
            "fromClientId": "owner-tab-9",
            "toClientId": "editor-tab-9",
        }
        assert [e for e in await to_viewer.quiet(0.5) if e["__typename"] == "CallSignal"] == []
    outsider_target = await gql(
        client,
        SIGNAL,
        {"p": shared.project, "to": "usr_nobody000", "k": "ICE", "pl": {}, "from": "owner-tab-9"},
        key=owner.key,
    )
    assert outsider_target["data"]["sendCallSignal"]["errors"][0]["code"] == "NOT_A_MEMBER"
    configuration = await gql(
        client,
        "query($p: ID!) { projectCollaboration(projectId: $p) { iceServers } }",
        {"p": shared.project},
        key=editor.key,
    )
    assert (
        configuration["data"]["projectCollaboration"]["iceServers"] == []
    )  # none needed on a LAN by default
    with settings_override(collab__stun_urls=("stun:stun.example.org:3478",)):
        configured = await gql(
            client,
            "query($p: ID!) { projectCollaboration(projectId: $p) { iceServers } }",
            {"p": shared.project},
            key=editor.key,
        )
    assert configured["data"]["projectCollaboration"]["iceServers"] == [
        {"urls": ["stun:stun.example.org:3478"]}
    ]
