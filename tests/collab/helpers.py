"""Helpers for collaboration tests: a shared project with an owner on Professional and collaborators
in each role, each with their own API key; GraphQL calls over HTTP and websockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from backend.accounts import services as accounts
from backend.billing import plans
from backend.billing import services as billing
from backend.collab import services as collab
from tests.audio.helpers import ready_asset
from tests.fixtures import actor_of, gql

PROTOCOL = "graphql-transport-ws"

CREATE = (
    "mutation($t: String!) { createProject(input: {title: $t}) { project { id revision } errors { code } } }"
)
SUBMIT = """
mutation($p: ID!, $b: Int!, $ops: [ProjectOperationInput!]!, $c: String!) {
  submitProjectOperations(projectId: $p, baseRevision: $b, operations: $ops, clientBatchId: $c) {
    revision committedOn operations dropped replayed resyncRequired currentRevision errors { field code message }
  }
}
"""
DOCUMENT = "query($id: ID!) { project(id: $id) { revision document } }"
EVENTS = """
subscription($p: ID!, $c: String) {
  projectEvents(projectId: $p, clientId: $c) {
    __typename
    ... on ProjectSynced { revision document role resumedFrom people { clientId user { id } } }
    ... on OperationsCommitted { baseRevision revision batchId authorId operations author { displayName } }
    ... on BatchDropped { batchId count revision }
    ... on PresenceChanged { left presence { clientId trackId clipId playhead inCall initials color user { id displayName } } }
    ... on CommentChanged { change threadId commentId }
    ... on CallSignal { kind payload fromUserId fromClientId toClientId }
    ... on MembershipChanged { membershipChange userId memberRole yourRole }
    ... on SnapshotChanged { snapshotId deleted }
    ... on AccessRevoked { projectId }
  }
}
"""


def op(kind: str, **payload: Any) -> dict[str, Any]:
    return {"kind": kind.upper(), "payload": payload}


@dataclass
class Person:
    user: dict[str, Any]
    key: str
    role: str

    @property
    def actor(self) -> Any:
        return actor_of(self.user)

    @property
    def id(self) -> str:
        return self.user["public_id"]


@dataclass
class Shared:
    project: str
    owner: Person
    people: dict[str, Person] = field(default_factory=dict)
    asset: str = ""

    def __getitem__(self, role: str) -> Person:
        return self.owner if role == "owner" else self.people[role]


def pin_professional(monkeypatch: Any, *user_ids: int) -> None:
    """The owner's plan is billing's business: pin the lookup to Professional for these users only."""
    real = billing.entitlements
    chosen = set(user_ids)

    async def entitlements(user_id: int) -> Any:
        found = await real(user_id)
        return type(found)(plan=plans.PROFESSIONAL) if user_id in chosen else found

    monkeypatch.setattr(billing, "entitlements", entitlements)


async def person(make_user: Any, email: str, name: str, role: str) -> Person:
    user = await make_user(email, display_name=name)
    _, secret = await accounts.create_api_key(actor_of(user), "collab tests", ["read", "write"])
    return Person(user=user, key=secret, role=role)


async def shared_project(
    client: httpx.AsyncClient, make_user: Any, monkeypatch: Any, roles: tuple[str, ...] = ("editor", "viewer")
) -> Shared:
    """An owner on Professional, a project with one track and one clip, collaborators who accepted."""
    owner = await person(make_user, "owner@example.com", "Olive Owner", "owner")
    pin_professional(monkeypatch, owner.user["id"])
    body = await gql(client, CREATE, {"t": "Shared song"}, key=owner.key)
    project = body["data"]["createProject"]["project"]["id"]
    asset = await ready_asset(owner.user["id"], duration=20.0, name="Beat")
    shared = Shared(project=project, owner=owner, asset=asset)
    await submit(
        client,
        owner,
        project,
        0,
        [
            op("add_track", track={"id": "trk_drums0001", "name": "Drums"}),
            op("add_track", track={"id": "trk_keys00002", "name": "Keys"}),
            op(
                "add_clip",
                track_id="trk_drums0001",
                clip={"id": "clp_beat00001", "asset_id": asset, "start": 1, "length": 4},
            ),
            op("add_effect", target="trk_drums0001", effect={"id": "fx_verb000001", "type": "reverb"}),
        ],
        "setup-batch-0001",
    )
    for index, role in enumerate(roles):
        member = await person(make_user, f"{role}{index}@example.com", f"{role.title()} Person", role)
        await join(shared, member, role)
        shared.people[role] = member
    return shared


async def join(shared: Shared, member: Person, role: str) -> None:
    _, token = await collab.invite(shared.owner.actor, shared.project, member.user["email"], role)
    await collab.accept(member.actor, token=token)


async def submit(
    client: httpx.AsyncClient,
    who: Person,
    project: str,
    base: int,
    operations: list[dict[str, Any]],
    batch: str,
    *,
    ok: bool = True,
) -> dict[str, Any]:
    body = await gql(client, SUBMIT, {"p": project, "b": base, "ops": operations, "c": batch}, key=who.key)
    assert "errors" not in body, body
    result = body["data"]["submitProjectOperations"]
    if ok:
        assert result["errors"] == [], result
    return result


async def document(client: httpx.AsyncClient, who: Person, project: str) -> dict[str, Any]:
    body = await gql(client, DOCUMENT, {"id": project}, key=who.key)
    assert "errors" not in body, body
    return body["data"]["project"]


class Stream:
    """One ``projectEvents`` subscription over a real websocket."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.closed = False

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, url: str, who: Person, project: str, client_id: str | None = None) -> Any:
        ws = await websockets.connect(f"ws://{url}/graphql", subprotocols=[PROTOCOL])
        try:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {who.key}"}})
            )
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": EVENTS, "variables": {"p": project, "c": client_id}},
                    }
                )
            )
            yield cls(ws)
        finally:
            await ws.close()

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next event's data; {"__complete__": True} when the server ends the stream."""
        message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        if message["type"] == "complete":
            self.closed = True
            return {"__typename": "__complete__"}
        if message["type"] == "error":
            return {"__typename": "__error__", "errors": message["payload"]}
        payload = message["payload"]
        if payload.get("errors"):
            return {"__typename": "__error__", "errors": payload["errors"]}
        return payload["data"]["projectEvents"]

    async def until(self, typename: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        """Skip events until one of ``typename`` whose fields match."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no {typename} {match} within {timeout}s")
            event = await self.next(left)
            if event["__typename"] == typename and all(event.get(k) == v for k, v in match.items()):
                return event
            if event["__typename"] in ("__complete__", "__error__") and typename != event["__typename"]:
                raise AssertionError(f"stream ended while waiting for {typename}: {event}")

    async def quiet(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Whatever arrives within ``seconds`` (to check that nothing does)."""
        found = []
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            while True:
                found.append(await self.next(seconds))
        return found
