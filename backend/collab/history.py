"""Version history: every change with its author (the studio's log), named snapshots, restoring an
earlier version as *new* operations, and forks.

The log is never rewritten. A restore computes the operations from the current document to the
chosen version (``diff.py``) and commits them like any edit, attributed to whoever restored, after
saving the current state as a snapshot ("before restoring …") so the restore itself can be undone.
"""

from __future__ import annotations

from typing import Any

from backend.audio import operations as ops
from backend.audio import services as audio
from backend.collab import access, channels, diff, queries, roles
from backend.collab.errors import Busy
from backend.collab.tables import SharedProject, Snapshot
from backend.core import clock
from backend.core.actor import Actor
from backend.core.errors import DomainError, NotFound
from backend.core.i18n import t
from backend.core.ids import new_id
from backend.core.pagination import Page, encode_cursor, int_after, make_page, page_size

NAME_MAX = 120
LOG_PAGE = 100


async def _editable(actor: Actor, project_id: str) -> dict[str, Any]:
    project = await audio.get_project(actor, project_id)
    access.require(
        access.can_edit(actor, await roles.role_of(actor, project)), "audio.errors.project_read_only"
    )
    return project


async def log_rows(
    actor: Actor, project_id: str, after: int, upto: int | None = None
) -> list[dict[str, Any]]:
    """Log rows with revision in (after, upto], oldest first, through the studio's paged log."""
    rows: list[dict[str, Any]] = []
    cursor = encode_cursor(after) if after > 0 else None
    while True:
        page = await audio.operation_log(actor, project_id, LOG_PAGE, cursor)
        for row in page.items:
            if upto is not None and row["revision"] > upto:
                return rows
            rows.append(row)
        if not page.has_next or not page.items:
            return rows
        cursor = page.cursors[-1]


def rewind(document: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The document before ``rows`` (consecutive log rows ending at ``document``'s revision)."""
    for row in reversed(rows):
        document = ops.apply(document, row["inverse"])
    return document


# ----------------------------------------------------------------------------- history


async def history(
    actor: Actor, project_id: str, first: int | None, after: str | None
) -> Page[dict[str, Any]]:
    """The log newest first; the cursor is a revision (the next page is older)."""
    project = await audio.get_project(actor, project_id)
    size = page_size(first)
    before = int_after(after)
    top = project["revision"] if before is None else min(before - 1, project["revision"])
    start = max(0, top - size)
    rows = [r for r in await log_rows(actor, project_id, start, top) if r["revision"] > start]
    rows.reverse()
    page = make_page(rows, size, lambda r: r["revision"])
    return Page(items=page.items, cursors=page.cursors, has_next=start > 0)


async def document_at(actor: Actor, project: dict[str, Any], revision: int) -> dict[str, Any]:
    if (
        isinstance(revision, bool)
        or not isinstance(revision, int)
        or not 0 <= revision <= project["revision"]
    ):
        raise DomainError("collab.errors.bad_revision", field="revision", max=project["revision"])
    # Start from the nearest snapshot at or after the revision, else from the current document.
    start_doc, start_rev = project["document"], project["revision"]
    nearest = await queries.snapshot_at_or_after(project["public_id"], revision)
    if nearest is not None and nearest["revision"] < start_rev:
        start_doc, start_rev = nearest["document"], nearest["revision"]
    return rewind(start_doc, await log_rows(actor, project["public_id"], revision, start_rev))


# ----------------------------------------------------------------------------- snapshots


def _name(value: Any) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not 1 <= len(text) <= NAME_MAX:
        raise DomainError("collab.errors.snapshot_name", field="name", max=NAME_MAX)
    return text


async def _snapshot(actor: Actor, project: dict[str, Any], name: str) -> dict[str, Any]:
    public_id = new_id("snp")
    await Snapshot.insert(
        Snapshot(
            public_id=public_id,
            project_id=project["public_id"],
            name=name,
            revision=project["revision"],
            document=project["document"],
            author_id=actor.user_id,
            created_at=clock.now(),
        )
    )
    row = await queries.snapshot_by_public_id(public_id)
    assert row is not None
    await channels.publish(project["public_id"], {"type": "snapshot", "snapshot": public_id})
    return row


async def create_snapshot(actor: Actor, project_id: str, name: str) -> dict[str, Any]:
    project = await _editable(actor, project_id)
    return await _snapshot(actor, project, _name(name))


async def snapshots(
    actor: Actor, project_id: str, first: int | None, after: str | None
) -> Page[dict[str, Any]]:
    await audio.get_project(actor, project_id)
    size = page_size(first)
    rows = await queries.snapshots_of(project_id, size + 1, int_after(after))
    return make_page(rows, size, lambda r: r["id"])


async def delete_snapshot(actor: Actor, snapshot_id: str) -> dict[str, Any]:
    row = await queries.snapshot_by_public_id(snapshot_id)
    if row is None:
        raise NotFound()
    project = await audio.get_project(actor, row["project_id"])
    role = await roles.role_of(actor, project)
    access.require(access.can_edit(actor, role) and (role == "owner" or row["author_id"] == actor.user_id))
    await Snapshot.delete().where(Snapshot.id == row["id"])
    await channels.publish(row["project_id"], {"type": "snapshot", "snapshot": snapshot_id, "deleted": True})
    return row


# ----------------------------------------------------------------------------- restore


async def restore(
    actor: Actor, project_id: str, *, revision: int | None = None, snapshot_id: str | None = None
) -> audio.Committed:
    """Make the project look like ``revision`` (or a snapshot) again, with new operations."""
    project = await _editable(actor, project_id)
    if snapshot_id:
        snapshot = await queries.snapshot_by_public_id(snapshot_id)
        if snapshot is None or snapshot["project_id"] != project_id:
            raise DomainError("collab.errors.snapshot_not_found", field="snapshotId")
        target, label = snapshot["document"], snapshot["name"]
    elif revision is not None:
        target, label = await document_at(actor, project, revision), str(revision)
    else:
        raise DomainError("collab.errors.restore_what", field="revision")
    saved = False
    for _ in range(5):
        project = await _editable(actor, project_id)
        # The context loads the sounds the target names as well as the current document's.
        wanted = [{"kind": "add_track", "track": track} for track in target["tracks"]]
        ctx = await audio.operation_context(actor, project, wanted)
        steps = diff.diff(project["document"], target, ctx)
        if not steps:
            raise DomainError("collab.errors.nothing_to_restore", field="revision")
        if not saved:
            await _snapshot(
                actor, project, t("collab.history.before_restore", actor.locale, version=label)[:NAME_MAX]
            )
            saved = True
        try:
            return await audio.apply_operations(actor, project_id, project["revision"], steps)
        except audio.StaleRevision:
            continue  # someone committed meanwhile: compute the difference again
    raise Busy()


# ----------------------------------------------------------------------------- forks


async def settings_of(project_id: str) -> dict[str, Any]:
    row = await queries.shared_project(project_id)
    return row or {"project_id": project_id, "allow_forks": False, "forked_from": "", "forked_from_title": ""}


async def set_forking(actor: Actor, project_id: str, allowed: bool) -> dict[str, Any]:
    project = await audio.get_project(actor, project_id)
    access.require(access.can_manage_members(actor, await roles.role_of(actor, project)))
    if await queries.shared_project(project_id) is None:
        await SharedProject.insert(
            SharedProject(
                project_id=project_id,
                allow_forks=bool(allowed),
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
    else:
        await SharedProject.update(
            {SharedProject.allow_forks: bool(allowed), SharedProject.updated_at: clock.now()}
        ).where(SharedProject.project_id == project_id)
    return await settings_of(project_id)


def _copy_operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [
        {"kind": "add_track", "index": i, "track": tr} for i, tr in enumerate(document["tracks"])
    ]
    steps += [
        {"kind": "add_effect", "target": "master", "index": i, "effect": e}
        for i, e in enumerate(document["master"]["effects"])
    ]
    master = document["master"]
    steps += [
        {"kind": "set_master", "field": f, "value": master[f]}
        for f in diff.MASTER_FIELDS
        if master[f] != ops.new_document("x")["master"][f]
    ]
    return steps


async def fork(actor: Actor, project_id: str, title: str | None = None) -> dict[str, Any]:
    """Copy the current version into a new project of the actor's, linked to where it came from."""
    source = await audio.get_project(actor, project_id)
    role = await roles.role_of(actor, source)
    allowed = (await settings_of(project_id))["allow_forks"]
    access.require(access.can_fork(actor, role, allowed), "collab.errors.forking_off")
    doc = source["document"]
    name = title if title else t("collab.fork.default_title", actor.locale, title=doc["title"])
    created = await audio.create_project(
        actor,
        name[:NAME_MAX],
        tempo=doc["tempo"],
        time_signature=list(doc["time_signature"]),
        sample_rate=doc["sample_rate"],
    )
    # The link first: it is what lets the fork use the source owner's sounds.
    await SharedProject.insert(
        SharedProject(
            project_id=created["public_id"],
            forked_from=source["public_id"],
            forked_from_title=doc["title"],
            forked_from_owner=source["owner_id"],
            forked_from_revision=source["revision"],
            created_at=clock.now(),
            updated_at=clock.now(),
        )
    )
    steps = _copy_operations(doc)
    if steps:
        try:
            await audio.apply_operations(actor, created["public_id"], 0, steps)
        except DomainError:
            # e.g. more tracks than the forker's plan allows: no half-made copy is left behind
            await audio.delete_project(actor, created["public_id"])
            await SharedProject.delete().where(SharedProject.project_id == created["public_id"])
            raise
    return await audio.get_project(actor, created["public_id"])


async def forked_from(actor: Actor, project_id: str) -> dict[str, Any] | None:
    """Where a project was forked from: id, title, and whether the viewer may open it."""
    await audio.get_project(actor, project_id)
    row = await queries.shared_project(project_id)
    if row is None or not row["forked_from"]:
        return None
    try:
        source = await audio.get_project(actor, row["forked_from"])
        title, visible = source["title"], True
    except NotFound:
        title, visible = row["forked_from_title"], False
    return {
        "project_id": row["forked_from"],
        "title": title,
        "owner_id": row["forked_from_owner"],
        "revision": row["forked_from_revision"],
        "visible": visible,
    }
