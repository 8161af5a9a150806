from __future__ import annotations

import strawberry
from strawberry.types import Info

from backend import taxonomy
from backend.core.errors import NotFound
from backend.graphql.pagination import Connection, Edge, PageInfo, connection
from backend.graphql.permissions import IsAuthenticated
from backend.graphql.social.types import (
    AuditEntry,
    FeedItem,
    Genre,
    GenreFamily,
    Notification,
    NotificationPreferences,
    Profile,
    ProfileImage,
    Release,
    Tag,
    VerificationRequest,
    load_profile,
    prefetch,
)
from backend.social import services as social


@strawberry.type
class SocialQueries:
    @strawberry.field(description="A community profile by handle (without the @).")
    async def profile(self, info: Info, handle: str) -> Profile | None:
        try:
            user = await social.profiles.user_by_handle(handle)
        except NotFound:
            return None
        return await load_profile(info, user["id"])

    @strawberry.field(description="A release you may see; `key` is the secret of an unlisted link.")
    async def release(self, info: Info, id: strawberry.ID, key: str | None = None) -> Release:
        row = await social.releases.get(info.context.actor, str(id), key)
        return Release(row=row, key=key)

    @strawberry.field(description="Search public releases by title and genre, newest first.")
    async def releases(
        self,
        info: Info,
        query: str = "",
        genre: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Release]:
        page = await social.releases.search(info.context.actor, query, genre, first, after)
        await prefetch(info, page.items)
        return connection(page, Release)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Releases and reposts from the people you follow, newest first.",
    )
    async def feed(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[FeedItem]:
        page = await social.feeds.home_feed(info.context.actor, first, after)
        await prefetch(info, [e.release for e in page.items], [e.actor_id for e in page.items])
        edges = [
            Edge(cursor=c, node=FeedItem(entry=e)) for e, c in zip(page.items, page.cursors, strict=True)
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None
            ),
        )

    @strawberry.field(description="Recent popular releases: where a new listener starts.")
    async def starter_feed(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Release]:
        page = await social.feeds.starter_feed(first, after)
        await prefetch(info, page.items)
        return connection(page, Release)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def notifications(
        self, info: Info, first: int | None = None, after: str | None = None, unread_only: bool = False
    ) -> Connection[Notification]:
        page = await social.notifications.list_for(info.context.actor, first, after, unread_only)
        return connection(page, Notification)

    @strawberry.field(permission_classes=[IsAuthenticated], description="Capped at 100.")
    async def unread_notification_count(self, info: Info) -> int:
        return await social.notifications.unread_count(info.context.actor.user_id)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def notification_preferences(self, info: Info) -> NotificationPreferences:
        return NotificationPreferences(row=await social.notifications.preferences(info.context.actor.user_id))

    @strawberry.field(description="The shared genre taxonomy, by family.")
    def genre_families(self) -> list[GenreFamily]:
        return [GenreFamily(id=strawberry.ID(f.id)) for f in taxonomy.families()]

    @strawberry.field(description="Every genre of the shared taxonomy.")
    def genres(self) -> list[Genre]:
        return [g for g in (Genre.of(x.id) for x in taxonomy.genres()) if g]

    @strawberry.field(description="The tag vocabulary.")
    def tags(self) -> list[Tag]:
        return [Tag(id=strawberry.ID(x)) for x in taxonomy.TAGS]

    @strawberry.field(permission_classes=[IsAuthenticated], description="Your latest verification request.")
    async def my_verification(self, info: Info) -> VerificationRequest | None:
        row = await social.verification.mine(info.context.actor)
        return VerificationRequest(row=row) if row else None

    @strawberry.field(
        permission_classes=[IsAuthenticated], description="Moderators: pending requests, oldest first."
    )
    async def verification_queue(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[VerificationRequest]:
        return connection(
            await social.verification.queue(info.context.actor, first, after), VerificationRequest
        )

    @strawberry.field(
        permission_classes=[IsAuthenticated], description="Moderators: every decision, newest first."
    )
    async def moderation_log(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AuditEntry]:
        return connection(await social.verification.audit_log(info.context.actor, first, after), AuditEntry)

    @strawberry.field(
        permission_classes=[IsAuthenticated], description="A picture you uploaded, as it is processed."
    )
    async def profile_image(self, info: Info, id: strawberry.ID) -> ProfileImage:
        return ProfileImage(row=await social.images.get_for(info.context.actor, str(id)))
