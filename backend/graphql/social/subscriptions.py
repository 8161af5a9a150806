from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from backend.core import events
from backend.graphql.permissions import IsAuthenticated
from backend.graphql.social.types import Notification, NotificationEvent
from backend.social import services as social


@strawberry.type
class SocialSubscriptions:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Your unread count now, then every new notification (and every change of the count).",
    )
    async def notifications(self, info: Info) -> AsyncGenerator[NotificationEvent, None]:
        actor = info.context.actor
        async with events.listen(social.notifications.channel(actor.user_id)) as queue:
            # Registered before reading, so nothing can slip between the count and the stream.
            yield NotificationEvent(unread_count=await social.notifications.unread_count(actor.user_id))
            while True:
                event = await queue.get()
                # A long-lived subscription must not answer from the first event's cached rows.
                info.context._loaders.clear()
                row = await social.notifications.get_for(actor, event["id"]) if event.get("id") else None
                unread = event.get("unread")
                if unread is None:
                    unread = await social.notifications.unread_count(actor.user_id)
                yield NotificationEvent(
                    unread_count=int(unread), notification=Notification(row=row) if row else None
                )
