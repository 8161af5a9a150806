from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from backend.graphql.errors import FieldError, returns_payload
from backend.graphql.permissions import CanWrite
from backend.graphql.social.types import (
    Comment,
    NotificationPreferences,
    PlayReport,
    Profile,
    ProfileImage,
    ProfileLayout,
    Release,
    VerificationRequest,
    Visibility,
    anon_listener,
    load_profile,
)
from backend.social import services as social

MAX_LIST = 20


@strawberry.enum
class ProfileImageKind(Enum):
    AVATAR = "avatar"
    BANNER = "banner"
    LOGO = "logo"
    PRESS = "press"


@strawberry.input
class ProfileLinkInput:
    label: str = ""
    url: str


@strawberry.input
class CreatorProfileInput:
    bio: str | None = None
    location: str | None = None
    links: list[ProfileLinkInput] | None = None
    genres: list[str] | None = None
    theme_color: str | None = strawberry.field(default=None, description="#rrggbb, or empty for the default.")
    layout: ProfileLayout | None = None
    press_bio: str | None = None
    press_contact: str | None = None
    press_release_ids: list[strawberry.ID] | None = None


@strawberry.input
class CreditInput:
    role: str
    handle: str = strawberry.field(default="", description="A Cadenza user, linked on the release page.")
    name: str = strawberry.field(default="", description="Or a name, for someone not on Cadenza.")


@strawberry.input
class PublishReleaseInput:
    title: str
    genre: str = strawberry.field(description="A genre id of the taxonomy (see `genres`).")
    upload_id: strawberry.ID | None = strawberry.field(
        default=None, description="An audio upload (POST /uploads)."
    )
    render_id: strawberry.ID | None = strawberry.field(
        default=None, description="Or a finished studio render."
    )
    description: str = ""
    tags: list[str] = strawberry.field(default_factory=list)
    visibility: Visibility = Visibility.PUBLIC
    publish_at: datetime | None = strawberry.field(default=None, description="Schedule it (in the future).")
    credits: list[CreditInput] = strawberry.field(default_factory=list)
    artwork_upload_id: strawberry.ID | None = None


@strawberry.input
class UpdateReleaseInput:
    title: str | None = None
    description: str | None = None
    genre: str | None = None
    tags: list[str] | None = None
    visibility: Visibility | None = None
    publish_at: datetime | None = None
    publish_now: bool = strawberry.field(default=False, description="Drop the schedule and publish at once.")
    credits: list[CreditInput] | None = None
    artwork_upload_id: strawberry.ID | None = None


@strawberry.input
class NotificationPreferencesInput:
    app_off: list[str] = strawberry.field(default_factory=list)
    email_off: list[str] = strawberry.field(default_factory=list)
    digest: bool = True


@strawberry.input
class VerificationInput:
    links: list[str]
    evidence: str = ""


@strawberry.type
class ProfilePayload:
    profile: Profile | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class ProfileImagePayload:
    image: ProfileImage | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class ReleasePayload:
    release: Release | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class CommentPayload:
    comment: Comment | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class MarkNotificationsReadPayload:
    unread_count: int = 0
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class NotificationPreferencesPayload:
    preferences: NotificationPreferences | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class VerificationPayload:
    request: VerificationRequest | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class ReportPlayPayload:
    report: PlayReport | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


def _credits(items: list[CreditInput] | None) -> list[social.CreditInput] | None:
    if items is None:
        return None
    return [social.CreditInput(role=c.role, handle=c.handle, name=c.name) for c in items[: MAX_LIST + 1]]


async def _profile(info: Info, user_id: int) -> Profile | None:
    return await load_profile(info, user_id)


@strawberry.type
class SocialMutations:
    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(ProfilePayload)
    async def update_creator_profile(self, info: Info, input: CreatorProfileInput) -> ProfilePayload:
        actor = info.context.actor
        changes = social.ProfileChanges(
            bio=input.bio,
            location=input.location,
            links=None
            if input.links is None
            else [{"label": x.label, "url": x.url} for x in input.links[:MAX_LIST]],
            genres=None if input.genres is None else input.genres[:MAX_LIST],
            theme_color=input.theme_color,
            layout=input.layout.value if input.layout else None,
            press_bio=input.press_bio,
            press_contact=input.press_contact,
            press_releases=None
            if input.press_release_ids is None
            else [str(x) for x in input.press_release_ids[:MAX_LIST]],
        )
        await social.profiles.update_profile(actor, changes)
        return ProfilePayload(profile=await _profile(info, actor.user_id))

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Use an image upload as avatar, banner, logo or press photo.",
    )
    @returns_payload(ProfileImagePayload)
    async def set_profile_image(
        self, info: Info, kind: ProfileImageKind, upload_id: strawberry.ID
    ) -> ProfileImagePayload:
        row = await social.images.attach_to_profile(info.context.actor, kind.value, str(upload_id))
        return ProfileImagePayload(image=ProfileImage(row=row))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(ProfilePayload)
    async def remove_profile_image(
        self, info: Info, kind: ProfileImageKind, photo_key: str | None = None
    ) -> ProfilePayload:
        await social.profiles.remove_image(info.context.actor, kind.value, photo_key)
        return ProfilePayload(profile=await _profile(info, info.context.actor.user_id))

    @strawberry.mutation(
        permission_classes=[CanWrite], description="Publish from an upload or a studio render."
    )
    @returns_payload(ReleasePayload)
    async def publish_release(self, info: Info, input: PublishReleaseInput) -> ReleasePayload:
        row = await social.releases.publish(
            info.context.actor,
            social.ReleaseInput(
                title=input.title,
                description=input.description,
                genre=input.genre,
                tags=input.tags[:MAX_LIST],
                visibility=input.visibility.value,
                publish_at=input.publish_at,
                credits=_credits(input.credits) or [],
                upload_id=str(input.upload_id) if input.upload_id else None,
                render_id=str(input.render_id) if input.render_id else None,
                artwork_upload_id=str(input.artwork_upload_id) if input.artwork_upload_id else None,
            ),
        )
        return ReleasePayload(release=Release(row=row))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(ReleasePayload)
    async def update_release(
        self, info: Info, id: strawberry.ID, input: UpdateReleaseInput
    ) -> ReleasePayload:
        row = await social.releases.update(
            info.context.actor,
            str(id),
            social.ReleaseChanges(
                title=input.title,
                description=input.description,
                genre=input.genre,
                tags=None if input.tags is None else input.tags[:MAX_LIST],
                visibility=input.visibility.value if input.visibility else None,
                publish_at=input.publish_at,
                clear_schedule=input.publish_now,
                credits=_credits(input.credits),
                artwork_upload_id=str(input.artwork_upload_id) if input.artwork_upload_id else None,
            ),
        )
        return ReleasePayload(release=Release(row=row))

    @strawberry.mutation(
        permission_classes=[CanWrite], description="Take a release down; publish it again later."
    )
    @returns_payload(ReleasePayload)
    async def unpublish_release(self, info: Info, id: strawberry.ID) -> ReleasePayload:
        return ReleasePayload(
            release=Release(row=await social.releases.unpublish(info.context.actor, str(id)))
        )

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(ReleasePayload)
    async def republish_release(self, info: Info, id: strawberry.ID) -> ReleasePayload:
        return ReleasePayload(
            release=Release(row=await social.releases.republish(info.context.actor, str(id)))
        )

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(ReleasePayload)
    async def delete_release(self, info: Info, id: strawberry.ID) -> ReleasePayload:
        return ReleasePayload(release=Release(row=await social.releases.delete(info.context.actor, str(id))))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(ProfilePayload)
    async def follow_user(self, info: Info, user_id: strawberry.ID) -> ProfilePayload:
        user = await social.follows.follow(info.context.actor, str(user_id))
        return ProfilePayload(profile=await _profile(info, user["id"]))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(ProfilePayload)
    async def unfollow_user(self, info: Info, user_id: strawberry.ID) -> ProfilePayload:
        user = await social.follows.unfollow(info.context.actor, str(user_id))
        return ProfilePayload(profile=await _profile(info, user["id"]))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(ReleasePayload)
    async def like_release(self, info: Info, id: strawberry.ID, key: str | None = None) -> ReleasePayload:
        row = await social.engagement.like(info.context.actor, str(id), key)
        return ReleasePayload(release=Release(row=row, key=key))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(ReleasePayload)
    async def unlike_release(self, info: Info, id: strawberry.ID, key: str | None = None) -> ReleasePayload:
        row = await social.engagement.unlike(info.context.actor, str(id), key)
        return ReleasePayload(release=Release(row=row, key=key))

    @strawberry.mutation(
        permission_classes=[CanWrite], description="Share a public release with your followers."
    )
    @returns_payload(ReleasePayload)
    async def repost_release(self, info: Info, id: strawberry.ID) -> ReleasePayload:
        return ReleasePayload(
            release=Release(row=await social.engagement.repost(info.context.actor, str(id)))
        )

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(ReleasePayload)
    async def undo_repost(self, info: Info, id: strawberry.ID) -> ReleasePayload:
        row = await social.engagement.undo_repost(info.context.actor, str(id))
        if not social.access.can_view_release(info.context.actor, row):
            return ReleasePayload()
        return ReleasePayload(release=Release(row=row))

    @strawberry.mutation(
        permission_classes=[CanWrite], description="Comment, optionally at a moment of the track."
    )
    @returns_payload(CommentPayload)
    async def add_comment(
        self,
        info: Info,
        release_id: strawberry.ID,
        body: str,
        at_seconds: float | None = None,
        key: str | None = None,
    ) -> CommentPayload:
        row = await social.engagement.comment(info.context.actor, str(release_id), body, at_seconds, key)
        return CommentPayload(comment=Comment(row=row))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(CommentPayload)
    async def delete_comment(self, info: Info, id: strawberry.ID) -> CommentPayload:
        await social.engagement.delete_comment(info.context.actor, str(id))
        return CommentPayload()

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(MarkNotificationsReadPayload)
    async def mark_notifications_read(
        self, info: Info, ids: list[strawberry.ID] | None = None, all: bool = False
    ) -> MarkNotificationsReadPayload:
        unread = await social.notifications.mark_read(
            info.context.actor, [str(i) for i in ids or []][:100], all
        )
        return MarkNotificationsReadPayload(unread_count=unread)

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(NotificationPreferencesPayload)
    async def update_notification_preferences(
        self, info: Info, input: NotificationPreferencesInput
    ) -> NotificationPreferencesPayload:
        row = await social.notifications.update_preferences(
            info.context.actor,
            app_off=input.app_off[:MAX_LIST],
            email_off=input.email_off[:MAX_LIST],
            digest=input.digest,
        )
        return NotificationPreferencesPayload(preferences=NotificationPreferences(row=row))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(VerificationPayload)
    async def apply_for_verification(self, info: Info, input: VerificationInput) -> VerificationPayload:
        row = await social.verification.apply(info.context.actor, input.links[:MAX_LIST], input.evidence)
        return VerificationPayload(request=VerificationRequest(row=row))

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Moderators: grant or decline (a reason is required to decline).",
    )
    @returns_payload(VerificationPayload)
    async def decide_verification(
        self, info: Info, id: strawberry.ID, grant: bool, reason: str = ""
    ) -> VerificationPayload:
        row = await social.verification.decide(info.context.actor, str(id), grant, reason)
        return VerificationPayload(request=VerificationRequest(row=row))

    @strawberry.mutation(permission_classes=[CanWrite], description="Moderators: take a verified badge away.")
    @returns_payload(ProfilePayload)
    async def revoke_verification(self, info: Info, user_id: strawberry.ID, reason: str) -> ProfilePayload:
        user = await social.verification.revoke(info.context.actor, str(user_id), reason)
        return ProfilePayload(profile=await _profile(info, user["id"]))

    @strawberry.mutation(
        description="Count a play (as POST /plays does): send the stream's token once past its threshold."
    )
    @returns_payload(ReportPlayPayload)
    async def report_play(self, info: Info, token: str, source: str = "api") -> ReportPlayPayload:
        actor = info.context.actor
        request = info.context.request
        agent = request.headers.get("user-agent", "") if request is not None else ""
        result = await social.plays.report(
            token,
            user_id=actor.user_id if actor else None,
            anon_id=anon_listener(info),
            ip=info.context.ip,
            user_agent=agent,
            source=source,
        )
        return ReportPlayPayload(
            report=PlayReport(counted=result.counted, reason=result.reason, retry_after=result.retry_after)
        )
