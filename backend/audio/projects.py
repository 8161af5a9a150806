"""Projects and their operation log.

``apply_operations`` is the one writer of a project's document: it locks the project row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has a single writer, and the update below is guarded
by the revision it read anyway), refuses a stale base revision, validates and applies the whole batch
in memory, then writes the document, the log rows and the asset links in one transaction. After
commit it publishes the committed operations on ``project:<public id>``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from backend.audio import access, queries
from backend.audio import operations as ops
from backend.audio.tables import Project, ProjectAsset, ProjectOperation
from backend.billing import services as billing
from backend.core import clock, db, events
from backend.core.actor import Actor
from backend.core.errors import DomainError, ValidationFailed
from backend.core.ids import new_id
from backend.core.pagination import Page, int_after, make_page, page_size
from backend.core.storage import storage

log = logging.getLogger(__name__)


class StaleRevision(DomainError):
    """The client edited an older revision; it should fetch ``current`` and try again."""

    def __init__(self, current: int) -> None:
        super().__init__("audio.errors.stale_revision", field="baseRevision", current=current)
        self.current = current


def channel(project_public_id: str) -> str:
    return f"project:{project_public_id}"


@dataclass(frozen=True, slots=True)
class Committed:
    project: dict[str, Any]
    base_revision: int
    operations: list[dict[str, Any]]
    batch_id: str


# ----------------------------------------------------------------------------- create / read


def _settings(title: str, tempo: float, time_signature: list[int], sample_rate: int) -> dict[str, Any]:
    """Validate the new-project form with the very checks ``set_project`` uses."""
    blank = ops.new_document("x")
    errors: list[DomainError] = []
    values: dict[str, Any] = {}
    for name, value, field in (
        ("title", title, "title"),
        ("tempo", tempo, "tempo"),
        ("time_signature", list(time_signature), "timeSignature"),
        ("sample_rate", sample_rate, "sampleRate"),
    ):
        try:
            values[name] = ops.normalize(
                {"kind": "set_project", "field": name, "value": value}, blank, ops.Context()
            )["value"]
        except DomainError as exc:
            errors.append(DomainError(exc.key, field=field, **exc.params))
    if errors:
        raise errors[0] if len(errors) == 1 else ValidationFailed(errors)
    return values


async def create_project(
    actor: Actor,
    title: str,
    *,
    tempo: float = 120.0,
    time_signature: list[int] | tuple[int, int] = (4, 4),
    sample_rate: int = 48000,
) -> dict[str, Any]:
    access.require_write(actor)
    values = _settings(title, tempo, list(time_signature), sample_rate)
    document = ops.new_document(
        values["title"],
        tempo=values["tempo"],
        time_signature=tuple(values["time_signature"]),  # type: ignore[arg-type]
        sample_rate=values["sample_rate"],
    )
    public_id = new_id("prj")
    now = clock.now()
    await Project.insert(
        Project(
            public_id=public_id,
            owner_id=actor.user_id,
            title=document["title"],
            revision=0,
            document=document,
            created_at=now,
            updated_at=now,
        )
    )
    row = await queries.project_by_public_id(public_id)
    assert row is not None
    return row


async def get_project(actor: Actor, project_id: str) -> dict[str, Any]:
    return await access.visible_project(actor, await queries.project_by_public_id(project_id))


async def list_projects(actor: Actor, first: int | None, after: str | None) -> Page[dict[str, Any]]:
    size = page_size(first)
    rows = await queries.projects_of(actor.user_id, size + 1, int_after(after))
    return make_page(rows, size, lambda r: r["id"])


async def operation_log(
    actor: Actor, project_id: str, first: int | None, after: str | None
) -> Page[dict[str, Any]]:
    """The log oldest first; the cursor is a revision, so a client can resume where it stopped."""
    project = await get_project(actor, project_id)
    size = page_size(first)
    rows = await queries.operations_of(project["id"], size + 1, int_after(after))
    return make_page(rows, size, lambda r: r["revision"])


async def delete_project(actor: Actor, project_id: str) -> dict[str, Any]:
    """Delete the project with its log, renders and exports (their files too)."""
    project = await access.visible_project(actor, await queries.project_by_public_id(project_id))
    if not access.can_delete_project(actor, project):
        raise DomainError("audio.errors.project_read_only")
    renders = await queries.renders_of(project["id"], 1000)
    exports = await queries.exports_of(project["id"], 1000)
    await Project.delete().where(Project.id == project["id"])
    from backend.audio import renders as render_service  # render jobs may be mid-flight

    for render in renders:
        await render_service.stop_render_work(render)
    for key in [e["file_key"] for e in exports if e["file_key"]]:
        await storage().delete(key)
    await storage().delete_prefix(render_service.project_prefix_of(project))
    return project


# ----------------------------------------------------------------------------- apply


async def _context(actor: Actor, project: dict[str, Any], batch: list[Any]) -> ops.Context:
    """Load the assets the batch and the document name, and the owner's track limit."""
    wanted: set[Any] = set(ops.asset_ids(project["document"]))
    for op in batch:
        if not isinstance(op, dict):
            continue
        clip = op.get("clip")
        if isinstance(clip, dict) and isinstance(clip.get("asset_id"), str):
            wanted.add(clip["asset_id"])
        track = op.get("track")
        if isinstance(track, dict) and isinstance(track.get("clips"), list):
            wanted.update(c.get("asset_id") for c in track["clips"] if isinstance(c, dict))
    names = sorted(w for w in wanted if isinstance(w, str))
    rows = await queries.assets_by_public_ids(names[:2000])
    # Sounds of someone other than the editor and the owner: ask whose a fork may use.
    strangers = any(row["owner_id"] not in (actor.user_id, project["owner_id"]) for row in rows)
    owners = await access.asset_owners(project) if strangers else {project["owner_id"]}
    infos = {
        row["public_id"]: ops.AssetInfo(
            id=row["public_id"],
            duration=float(row["duration"] or 0.0),
            usable=access.can_use_asset_in(actor, row, owners),
        )
        for row in rows
        if row["status"] != "deleted"
    }
    # The owner's plan decides how big their project may grow, whoever is editing it.
    limits = await billing.entitlements(project["owner_id"])
    return ops.Context(max_tracks=limits.limit("tracks_per_project"), assets=infos)


def _check_revision(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DomainError("audio.errors.bad_revision", field="baseRevision")
    return value


async def apply_operations(
    actor: Actor,
    project_id: str,
    base_revision: int | None,
    batch: list[Any],
    *,
    batch_id: str | None = None,
    rebase: Callable[[int], Awaitable[list[Any]]] | None = None,
) -> Committed:
    """Apply ``batch`` on ``base_revision`` (``None``: whatever is current) atomically, or refuse.

    ``batch_id`` (default: a new ``opb_`` id) names the batch in the log and the event; collaboration
    passes the client's batch id so a client recognises its own commit in the stream.
    ``rebase(revision)``, called with the project row locked, returns ``batch`` transformed onto the
    current revision (collaboration's operational transformation), instead of a stale refusal."""
    base = _check_revision(base_revision)
    if not isinstance(batch, list):
        raise DomainError("audio.errors.bad_payload", field="operations", number=1)
    preview = await access.editable_project(actor, await queries.project_by_public_id(project_id))
    ctx = await _context(actor, preview, batch)
    batch_id = batch_id or new_id("opb")
    now = clock.now()
    async with db.transaction():
        project = await access.editable_project(
            actor, await queries.project_by_public_id(project_id, for_update=True)
        )
        revision = int(project["revision"])
        if rebase is not None:
            batch = await rebase(revision)
        elif base is not None and base != revision:
            raise StaleRevision(revision)
        applied = ops.apply_batch(project["document"], batch, ctx)
        new_revision = revision + len(applied.operations)
        updated = (
            await Project.update(
                {
                    Project.document: applied.document,
                    Project.revision: new_revision,
                    Project.title: applied.document["title"],
                    Project.updated_at: now,
                }
            )
            .where(Project.id == project["id"], Project.revision == revision)
            .returning(Project.id)
        )
        if not updated:
            # Only reachable without a row lock: another writer committed first.
            current = await queries.project_by_public_id(project_id)
            raise StaleRevision(int(current["revision"]) if current else revision)
        await ProjectOperation.insert(
            *(
                ProjectOperation(
                    project=project["id"],
                    revision=revision + i + 1,
                    batch_id=batch_id,
                    author_id=actor.user_id,
                    kind=op["kind"],
                    payload=op,
                    inverse=inverse,
                    created_at=now,
                )
                for i, (op, inverse) in enumerate(zip(applied.operations, applied.inverses, strict=True))
            )
        )
        await _sync_asset_links(project["id"], project["document"], applied.document)
    committed = {
        **project,
        "document": applied.document,
        "revision": new_revision,
        "updated_at": now,
        "title": applied.document["title"],
    }
    event = {
        "type": "operations",
        "project": project["public_id"],
        "base_revision": revision,
        "revision": new_revision,
        "batch_id": batch_id,
        "author": actor.public_id,
        "operations": applied.operations,
    }
    try:
        await events.publish(channel(project["public_id"]), event)
    except Exception:
        # The batch is committed: a lost notification must not turn it into an error for the
        # client. Listeners catch up from the log (``operations(after: <revision>)``).
        log.exception("could not publish revision %s of %s", new_revision, project["public_id"])
    return Committed(
        project=committed, base_revision=revision, operations=applied.operations, batch_id=batch_id
    )


async def _sync_asset_links(project_row_id: int, before: dict[str, Any], after: dict[str, Any]) -> None:
    old, new = ops.asset_ids(before), ops.asset_ids(after)
    if old == new:
        return
    rows = await queries.assets_by_public_ids(sorted(old ^ new))
    by_public = {r["public_id"]: r["id"] for r in rows}
    gone = [by_public[a] for a in old - new if a in by_public]
    if gone:
        await ProjectAsset.delete().where(
            ProjectAsset.project == project_row_id, ProjectAsset.asset.is_in(gone)
        )
    added = [by_public[a] for a in new - old if a in by_public]
    if added:
        await ProjectAsset.insert(*(ProjectAsset(project=project_row_id, asset=a) for a in added))


def clean_float(value: Any) -> float | None:
    """A finite number from a form field, or ``None`` (forms send text)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
