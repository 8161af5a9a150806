from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.audio import services as audio
from backend.core import events
from backend.graphql.audio.types import ProjectRevisionEvent
from backend.graphql.permissions import IsAuthenticated


@strawberry.type
class AudioSubscriptions:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Every batch committed to a project from now on (first the current revision).",
    )
    async def project_revisions(
        self, info: Info, project_id: strawberry.ID
    ) -> AsyncGenerator[ProjectRevisionEvent, None]:
        actor = info.context.actor
        async with events.listen(audio.channel(str(project_id))) as queue:
            # Registered before reading, so no commit falls between the read and the stream.
            project = await audio.get_project(actor, str(project_id))
            yield ProjectRevisionEvent(
                project_id=strawberry.ID(project["public_id"]),
                revision=project["revision"],
                base_revision=project["revision"],
                batch_id="",
                author_id=None,
                operations=cast(JSON, []),
            )
            while True:
                event = await queue.get()
                # Someone the project is no longer shared with stops here (NOT_FOUND ends the stream).
                await audio.get_project(actor, str(project_id))
                yield ProjectRevisionEvent(
                    project_id=strawberry.ID(event["project"]),
                    revision=event["revision"],
                    base_revision=event["base_revision"],
                    batch_id=event["batch_id"],
                    author_id=strawberry.ID(event["author"]) if event.get("author") else None,
                    operations=event["operations"],
                )
