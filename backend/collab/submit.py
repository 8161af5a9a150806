"""Submitting a client's batch: the server side of operational transformation.

A client sends operations made on ``base_revision``. The server

1. validates them on *that* revision's document (rewound from the current one with the log's
   inverses) — an operation that was already invalid there is bad input, refused and translated;
2. transforms them against every operation committed since (``transform.py``);
3. commits the result through the studio's ``apply_operations`` *at the current revision*; if
   another commit lands in between (``StaleRevision``), it transforms against that one too and tries
   again. The studio publishes the commit (with the client's batch id) to every subscriber.

All or nothing: if the transformed batch no longer validates (a constraint spanning concurrent
edits, e.g. fades longer than a clip someone trimmed meanwhile), nothing is committed and the client
is told to resynchronise (``RESYNC_REQUIRED``). So is a client whose base is older than the
transform window (``COLLAB_TRANSFORM_WINDOW`` operations; the log itself is kept forever).

A batch whose every operation became a noop commits nothing; its author learns it from the answer
and from a ``dropped`` event. The client batch id makes a resend idempotent: the first answer is
returned again (a ``pending`` record whose commit may have landed is checked against the log).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from backend.audio import operations as ops
from backend.audio import services as audio
from backend.collab import access, channels, history, queries, roles
from backend.collab import transform as ot
from backend.collab.errors import Busy, ResyncRequired
from backend.collab.tables import Submission
from backend.core import clock, db
from backend.core.actor import Actor
from backend.core.errors import DomainError
from backend.core.redis import key, redis_client
from backend.core.settings import get_settings

RETRIES = 25
LOCK_SECONDS = 30
_CLIENT_BATCH = re.compile(r"^[A-Za-z0-9_-]{8,40}$")


@dataclass(frozen=True, slots=True)
class Submitted:
    project_id: str
    client_batch_id: str
    base_revision: int  # the client's
    committed_on: int  # the revision the (transformed) batch was applied on
    revision: int  # after the commit; for a dropped batch, the revision it was dropped at
    operations: list[dict[str, Any]] = field(default_factory=list)  # as committed
    dropped: int = 0  # operations that became noops
    replayed: bool = False  # the stored answer to an earlier send of the same batch


def _check(base_revision: Any, operations: Any, client_batch_id: Any) -> None:
    if not isinstance(client_batch_id, str) or not _CLIENT_BATCH.match(client_batch_id):
        raise DomainError("collab.errors.bad_client_batch_id", field="clientBatchId")
    if isinstance(base_revision, bool) or not isinstance(base_revision, int) or base_revision < 0:
        raise DomainError("audio.errors.bad_revision", field="baseRevision")
    if not isinstance(operations, list) or not operations:
        raise DomainError("audio.errors.no_operations", field="operations")
    if len(operations) > ops.MAX_OPERATIONS:
        raise DomainError("audio.errors.too_many_operations", field="operations", max=ops.MAX_OPERATIONS)


def _public(op: dict[str, Any]) -> dict[str, Any]:
    """Drop what only transformation uses (normalize drops ``index`` of removals by itself)."""
    return {k: v for k, v in op.items() if k != "rescue"}


def _answer(row: dict[str, Any]) -> Submitted:
    return Submitted(
        project_id=row["project_id"],
        client_batch_id=row["client_batch_id"],
        base_revision=row["base_revision"],
        committed_on=row["attempt_revision"],
        revision=row["revision"] if row["revision"] is not None else row["attempt_revision"],
        operations=list(row["operations"] or []),
        dropped=row["dropped"],
        replayed=True,
    )


async def submit(
    actor: Actor, project_id: str, base_revision: int, operations: list[Any], client_batch_id: str
) -> Submitted:
    _check(base_revision, operations, client_batch_id)
    project = await audio.get_project(actor, project_id)
    access.require(
        access.can_edit(actor, await roles.role_of(actor, project)), "audio.errors.project_read_only"
    )
    current = int(project["revision"])
    if base_revision > current:
        raise DomainError("collab.errors.future_revision", field="baseRevision", current=current)
    window = get_settings().collab.transform_window
    if current - base_revision > window:
        raise ResyncRequired(current=current, window=window)
    lock = key("collab", "submit", project_id, actor.user_id, client_batch_id)
    if not await redis_client().set(lock, b"1", nx=True, ex=LOCK_SECONDS):
        raise Busy()  # the same batch is being committed by another request right now
    try:
        earlier = await queries.submission(project_id, actor.user_id, client_batch_id)
        if earlier is not None:
            if earlier["status"] != "pending":
                return _answer(earlier)
            landed = await _landed(actor, project_id, earlier)
            if landed is not None:
                return landed
        else:
            await Submission.insert(
                Submission(
                    project_id=project_id,
                    author_id=actor.user_id,
                    client_batch_id=client_batch_id,
                    base_revision=base_revision,
                    attempt_revision=current,
                    status="pending",
                    created_at=clock.now(),
                )
            )
        return await _commit(actor, project, base_revision, operations, client_batch_id)
    finally:
        await redis_client().delete(lock)


async def _commit(
    actor: Actor, project: dict[str, Any], base: int, operations: list[Any], client_batch_id: str
) -> Submitted:
    project_id, current = project["public_id"], int(project["revision"])
    since = await history.log_rows(actor, project_id, base, current)
    base_doc = history.rewind(project["document"], since)
    ctx = await audio.operation_context(actor, project, operations)
    # Bad input is bad on the revision it was made on: refused as the studio refuses it.
    made = ops.apply_batch(base_doc, operations, ctx)
    mine = [ot.annotate_from_inverse(op, inv) for op, inv in zip(made.operations, made.inverses, strict=True)]
    pending, _ = ot.transform_batches(
        mine, [ot.annotate_from_inverse(r["payload"], r["inverse"]) for r in since]
    )
    at = current
    for _ in range(RETRIES):
        batch = [_public(op) for op in pending]
        if not batch:
            return await _dropped(actor, project_id, base, at, client_batch_id, len(operations))
        await Submission.update({Submission.attempt_revision: at}).where(
            *_row(project_id, actor, client_batch_id)
        )
        try:
            committed = await audio.apply_operations(actor, project_id, at, batch, batch_id=client_batch_id)
        except audio.StaleRevision:
            newer = await history.log_rows(actor, project_id, at)
            if not newer:
                continue
            pending, _ = ot.transform_batches(
                pending, [ot.annotate_from_inverse(r["payload"], r["inverse"]) for r in newer]
            )
            at = newer[-1]["revision"]
            continue
        except ops.OperationError as exc:
            raise ResyncRequired(
                "collab.errors.conflict", current=at, cause=exc, locale=actor.locale
            ) from None
        await Submission.update(
            {
                Submission.status: "committed",
                Submission.revision: committed.project["revision"],
                Submission.operations: committed.operations,
                Submission.dropped: len(operations) - len(committed.operations),
            }
        ).where(*_row(project_id, actor, client_batch_id))
        return Submitted(
            project_id=project_id,
            client_batch_id=client_batch_id,
            base_revision=base,
            committed_on=committed.base_revision,
            revision=committed.project["revision"],
            operations=committed.operations,
            dropped=max(0, len(operations) - len(committed.operations)),
        )
    raise Busy()


def _row(project_id: str, actor: Actor, client_batch_id: str) -> tuple[Any, ...]:
    return (
        Submission.project_id == project_id,
        Submission.author_id == actor.user_id,
        Submission.client_batch_id == client_batch_id,
    )


async def _dropped(
    actor: Actor, project_id: str, base: int, at: int, client_batch_id: str, count: int
) -> Submitted:
    async with db.transaction():
        await Submission.update(
            {
                Submission.status: "dropped",
                Submission.revision: at,
                Submission.operations: [],
                Submission.dropped: count,
            }
        ).where(*_row(project_id, actor, client_batch_id))
    await channels.publish(
        project_id,
        {
            "type": "dropped",
            "author": actor.public_id,
            "batch_id": client_batch_id,
            "revision": at,
            "count": count,
        },
    )
    return Submitted(
        project_id=project_id,
        client_batch_id=client_batch_id,
        base_revision=base,
        committed_on=at,
        revision=at,
        operations=[],
        dropped=count,
    )


async def _landed(actor: Actor, project_id: str, earlier: dict[str, Any]) -> Submitted | None:
    """Did the commit attempt of a pending record land? It would be right after its base."""
    rows = await history.log_rows(
        actor, project_id, earlier["attempt_revision"], earlier["attempt_revision"] + ops.MAX_OPERATIONS
    )
    mine = [
        r for r in rows if r["batch_id"] == earlier["client_batch_id"] and r["author_id"] == actor.user_id
    ]
    if not mine or mine[0]["revision"] != earlier["attempt_revision"] + 1:
        return None
    committed = [r["payload"] for r in mine]
    revision = mine[-1]["revision"]
    await Submission.update(
        {Submission.status: "committed", Submission.revision: revision, Submission.operations: committed}
    ).where(Submission.id == earlier["id"])
    return Submitted(
        project_id=project_id,
        client_batch_id=earlier["client_batch_id"],
        base_revision=earlier["base_revision"],
        committed_on=earlier["attempt_revision"],
        revision=revision,
        operations=committed,
        replayed=True,
    )
