"""A server and several clients exchanging operations over FIFO channels, as the real ones do.

The server is ``submit_project_operations`` in miniature: transform the batch against what was
committed since its base, validate on the current document (refuse the whole batch if any part is
invalid), commit, broadcast. A client is ``collab.js`` in miniature: at most one batch in flight,
later edits buffered, remote commits transformed against both, its own commit recognised by its
batch id, a refusal answered by resynchronising. Channels are FIFO (a websocket each way) but the
order in which edits, deliveries and commits interleave is random.
"""

from __future__ import annotations

import copy
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from backend.audio import operations as ops
from backend.collab import transform as ot
from tests.collab import docgen


@dataclass
class Server:
    doc: dict[str, Any]
    revision: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)  # annotated, one per revision
    outboxes: list[deque[dict[str, Any]]] = field(default_factory=list)
    refused: int = 0
    dropped: int = 0

    def receive(self, author: int, batch_id: str, base: int, batch: list[dict[str, Any]]) -> None:
        mine, _ = ot.transform_batches(batch, self.log[base:])
        doc = self.doc
        committed = []
        try:
            for op in mine:
                normalized = ops.normalize(op, doc, docgen.CONTEXT)
                committed.append(ot.annotate(normalized, doc))
                doc = ops.apply(doc, normalized)
        except ops.OperationError:
            self.refused += 1
            self._send(author, {"type": "refused", "batch_id": batch_id})
            return
        if not committed:
            self.dropped += 1
            self._broadcast({"type": "ops", "author": author, "batch_id": batch_id, "ops": []})
            return
        base_revision = self.revision
        self.doc, self.revision = doc, self.revision + len(committed)
        self.log.extend(committed)
        self._broadcast(
            {
                "type": "ops",
                "author": author,
                "batch_id": batch_id,
                "base": base_revision,
                "revision": self.revision,
                "ops": committed,
            }
        )

    def snapshot(self) -> tuple[dict[str, Any], int]:
        return copy.deepcopy(self.doc), self.revision

    def _broadcast(self, event: dict[str, Any]) -> None:
        for box in self.outboxes:
            box.append({**event, "revision": event.get("revision", self.revision)})

    def _send(self, who: int, event: dict[str, Any]) -> None:
        self.outboxes[who].append({**event, "revision": self.revision})


@dataclass
class Client:
    number: int
    doc: dict[str, Any]
    revision: int
    view: dict[str, Any]
    outbox: deque[tuple[str, int, list[dict[str, Any]]]] = field(default_factory=deque)
    inflight: list[dict[str, Any]] | None = None
    inflight_id: str = ""
    buffer: list[dict[str, Any]] = field(default_factory=list)
    batches: int = 0

    def edit(self, rng: random.Random) -> None:
        op = docgen.operation(rng, self.view)
        if op is None:
            return
        self.buffer.append(ot.annotate(op, self.view))
        self.view = ops.apply(self.view, op)
        self.flush()

    def flush(self) -> None:
        if self.inflight is None and self.buffer:
            self.batches += 1
            self.inflight, self.buffer = self.buffer, []
            self.inflight_id = f"c{self.number}b{self.batches}"
            self.outbox.append((self.inflight_id, self.revision, self.inflight))

    def receive(self, event: dict[str, Any], server: Server) -> None:
        if event["type"] == "refused":
            # Resynchronise: the refused batch and what was built on it are dropped.
            self.doc, self.revision = server.snapshot()
            self.view = copy.deepcopy(self.doc)
            self.inflight, self.buffer = None, []
            return
        if event["author"] == self.number and event["batch_id"] == self.inflight_id:
            # Our own batch, as the server committed it (maybe transformed, maybe dropped).
            # The server transformed it against exactly what this client transformed it against.
            mine = [{k: v for k, v in op.items() if k != "rescue"} for op in self.inflight or []]
            assert event["ops"] == mine, (event["ops"], mine)
            if event["ops"]:
                self.doc = docgen.apply_all(self.doc, event["ops"])
                self.revision = event["revision"]
            self.inflight = None
            self.flush()
            return
        if not event["ops"] or event["revision"] <= self.revision:
            return  # someone else's dropped batch, or a commit we resynchronised past
        assert event["base"] == self.revision, "the stream must be gap-free and in order"
        remote = event["ops"]
        if self.inflight is not None:
            self.inflight, remote = ot.transform_batches(self.inflight, remote)
        # An in-flight batch that became empty stays in flight until the server answers for it.
        self.buffer, remote = ot.transform_batches(self.buffer, remote)
        self.doc = docgen.apply_all(self.doc, event["ops"])
        self.view = docgen.apply_all(self.view, remote)
        self.revision = event["revision"]


def run(seed: int, clients: int, steps: int = 60) -> tuple[Server, list[Client]]:
    """Random edits and deliveries, then drain every channel; return the final states."""
    rng = random.Random(seed)
    start = docgen.document(rng, max_tracks=3)
    server = Server(doc=copy.deepcopy(start))
    team = [Client(i, copy.deepcopy(start), 0, copy.deepcopy(start)) for i in range(clients)]
    server.outboxes = [deque() for _ in team]

    def deliver_up(client: Client) -> None:
        batch_id, base, batch = client.outbox.popleft()
        server.receive(client.number, batch_id, base, batch)

    def deliver_down(client: Client) -> None:
        client.receive(server.outboxes[client.number].popleft(), server)

    for _ in range(steps):
        client = rng.choice(team)
        action = rng.random()
        if action < 0.45:
            client.edit(rng)
        elif action < 0.7 and client.outbox:
            deliver_up(client)
        elif server.outboxes[client.number]:
            deliver_down(client)
    while any(c.outbox for c in team) or any(server.outboxes):
        for client in team:
            if client.outbox:
                deliver_up(client)
            while server.outboxes[client.number]:
                deliver_down(client)
    return server, team
