from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.types import Info

from backend.collab import services as collab
from backend.graphql.collab.types import ProjectEvent, event_type
from backend.graphql.permissions import IsAuthenticated


@strawberry.type
class CollabSubscriptions:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description=(
            "Everything happening in a project, for one collaborator: first `ProjectSynced` (revision, "
            "document, presence), then commits in revision order without gaps, presence, comments, "
            "snapshots, membership changes and call signals addressed to you. With `clientId`, you are "
            "present while the stream is open. With `afterRevision` (reconnecting), the commits you missed "
            "come first. Ends with `AccessRevoked` if you are removed."
        ),
    )
    async def project_events(
        self,
        info: Info,
        project_id: strawberry.ID,
        client_id: str | None = None,
        after_revision: int | None = None,
    ) -> AsyncGenerator[ProjectEvent, None]:  # type: ignore[valid-type]
        events = collab.project_events(info.context.actor, str(project_id), client_id, after_revision)
        try:
            async for event in events:
                item: Any = event_type(event)
                yield item
        finally:
            await events.aclose()  # type: ignore[attr-defined]
