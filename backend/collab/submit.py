"""Submitting a client's batch: the server side of operational transformation.

A client sends operations made on ``base_revision``. The server

1. validates them on *that* revision's document (rewound from the current one with the log's
   inverses) — an operation that was already invalid there is bad input, refused and translated;
2. transforms them against every operation committed since (``transform.py``);
3. commits the result through the studio's ``apply_operations`` *at the current revision*; if
   another commit lands in between (``StaleRevision``), it transforms against that one too and tries
   again. The studio publishes the commit (with the client's batch id) to every subscriber.
   On PostgreSQL that last step needs no retry: the studio calls back (``rebase``) with the
   project row locked, and the batch catches up with what landed meanwhile right there.

All or nothing: if the transformed batch no longer validates (a constraint spanning concurrent
edits, e.g. fades longer than a clip someone trimmed meanwhile), nothing is committed and the client
is told to resynchronise (``RESYNC_REQUIRED``). So is a client whose base is older than the
transform window (``COLLAB_TRANSFORM_WINDOW`` operations; the log itself is kept forever).

A batch whose every operation became a noop commits nothing; its author learns it from the answer
and from a ``dropped`` event. The client batch id makes a resend idempotent: the first answer is
returned again (the record is marked committed in the commit's own transaction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from backend.audio import operations as ops
from backend.audio import services as audio
from backend.collab import access, channels, history, queries, roles
from backend.collab import transform as ot
from backend.collab.errors import Busy, Refused, ResyncRequired
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


async def _answer(actor: Actor, row: dict[str, Any]) -> Submitted:
    """The first answer again; the operations as committed come from the log."""
    committed: list[dict[str, Any]] = []
    if row["status"] == "committed":
        rows = await history.log_rows(actor, row["project_id"], row["attempt_revision"], row["revision"])
        committed = [r["payload"] for r in rows if r["batch_id"] == row["client_batch_id"]]
    return Submitted(
        project_id=row["project_id"],
        client_batch_id=row["client_batch_id"],
        base_revision=row["base_revision"],
        committed_on=row["attempt_revision"],
        revision=row["revision"] if row["revision"] is not None else row["attempt_revision"],
        operations=committed,
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
        if earlier is not None and earlier["status"] != "pending":
            return await _answer(actor, earlier)
        if earlier is None:
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
        try:
            return await _commit(actor, project, base_revision, operations, client_batch_id)
        except ops.OperationError as exc:
            raise Refused(exc, current) from None
    finally:
        await redis_client().delete(lock)


class _Dropped(Exception):  # noqa: N818 - a signal out of the studio's transaction, not an error
    def __init__(self, revision: int) -> None:
        self.revision = revision


async def _commit(
    actor: Actor, project: dict[str, Any], base: int, operations: list[Any], client_batch_id: str
) -> Submitted:
    project_id, current = project["public_id"], int(project["revision"])
    state: dict[str, Any] = {"pending": operations, "at": current, "normalized": False}

    async def normalize(since: list[dict[str, Any]]) -> None:
        """Validate on the revision the batch was made on (bad input there is refused as the
        studio refuses it) and annotate it for transformation."""
        base_doc = history.rewind(project["document"], since)
        ctx = await audio.operation_context(actor, project, operations)
        made = ops.apply_batch(base_doc, operations, ctx)
        mine = [
            ot.annotate_from_inverse(op, inv) for op, inv in zip(made.operations, made.inverses, strict=True)
        ]
        state["pending"], state["normalized"] = _rebased(mine, since), True

    if base < current:
        await normalize(await history.log_rows(actor, project_id, base, current))
    # else: made on the current revision: if nothing lands before the commit, the studio validates
    # it as it is (the common case, one validation instead of two).

    async def rebase(revision: int) -> list[dict[str, Any]]:
        """Called by the studio with the project row locked: catch up with what landed meanwhile."""
        if revision != state["at"]:
            if not state["normalized"]:
                await normalize([])
            newer = await history.log_rows(actor, project_id, state["at"], revision)
            state["pending"], state["at"] = _rebased(state["pending"], newer), revision
        batch = [_public(op) for op in state["pending"]]
        if not batch:
            raise _Dropped(revision)
        # In the commit's own transaction: a resend finds "committed" exactly when it was.
        await Submission.update(
            {
                Submission.status: "committed",
                Submission.attempt_revision: revision,
                Submission.revision: revision + len(batch),
                Submission.dropped: len(operations) - len(batch),
            }
        ).where(*_row(project_id, actor, client_batch_id))
        return batch

    for _ in range(RETRIES):
        try:
            committed = await audio.apply_operations(
                actor,
                project_id,
                None,
                [_public(op) for op in state["pending"]],
                batch_id=client_batch_id,
                rebase=rebase,
            )
        except _Dropped as dropped:
            return await _dropped(actor, project_id, base, dropped.revision, client_batch_id, len(operations))
        except audio.StaleRevision:
            continue  # without a row lock (SQLite) another writer can come first: catch up, retry
        except ops.OperationError as exc:
            if not state["normalized"]:
                raise  # bad input on the very revision it was made on: the studio's own refusal
            raise ResyncRequired(
                "collab.errors.conflict", current=state["at"], cause=exc, locale=actor.locale
            ) from None
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


def _rebased(pending: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    theirs = [ot.annotate_from_inverse(r["payload"], r["inverse"]) for r in rows]
    return ot.transform_batches(pending, theirs)[0]


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
