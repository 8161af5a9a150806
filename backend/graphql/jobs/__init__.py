"""Background jobs as clients see them: status, progress, cancellation, live updates."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.core import events, jobs
from backend.core.actor import Actor
from backend.core.errors import NotFound
from backend.graphql.errors import FieldError, returns_payload
from backend.graphql.permissions import IsAuthenticated


@strawberry.enum
class JobStatus(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@strawberry.type
class Job:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.get("public_id") or self.row["id"])

    @strawberry.field
    def kind(self) -> str:
        return self.row["kind"]

    @strawberry.field
    def status(self) -> JobStatus:
        return JobStatus(self.row["status"])

    @strawberry.field(description="From 0 to 1.")
    def progress(self) -> float:
        return float(self.row.get("progress") or 0)

    @strawberry.field
    def message(self) -> str:
        return self.row.get("message") or ""

    @strawberry.field
    def error(self) -> str | None:
        return self.row.get("error") or None

    @strawberry.field
    def result(self) -> JSON | None:
        return self.row.get("result")

    @strawberry.field
    def done(self) -> bool:
        return self.row["status"] in jobs.TERMINAL

    @strawberry.field
    def created_at(self) -> datetime | None:
        return self.row.get("created_at")


async def visible_job(actor: Actor, job_id: str) -> dict[str, Any]:
    row = await jobs.get_job(job_id)
    if row is None or (row["owner_id"] != actor.user_id and not actor.is_admin):
        raise NotFound()
    return row


@strawberry.type
class JobPayload:
    job: Job | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class Queries:
    @strawberry.field(permission_classes=[IsAuthenticated])
    async def job(self, info: Info, id: strawberry.ID) -> Job:
        return Job(row=await visible_job(info.context.actor, str(id)))


@strawberry.type
class Mutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @returns_payload(JobPayload)
    async def cancel_job(self, info: Info, id: strawberry.ID) -> JobPayload:
        await visible_job(info.context.actor, str(id))
        row = await jobs.request_cancel(str(id))
        return JobPayload(job=Job(row=row) if row else None)


@strawberry.type
class Subscriptions:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated], description="Live status of one job, until it ends."
    )
    async def job_progress(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Job, None]:
        actor = info.context.actor
        await visible_job(actor, str(id))
        async with events.listen(jobs.channel(str(id))) as queue:
            # Registered before reading, so no update can fall between the read and the stream.
            row = await jobs.get_job(str(id))
            assert row is not None
            yield Job(row=row)
            status = row["status"]
            while status not in jobs.TERMINAL:
                event = await queue.get()
                status = event["status"]
                yield Job(row=event)
