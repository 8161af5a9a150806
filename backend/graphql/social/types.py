"""Community types. Each holds its row privately; relations resolve through DataLoaders.

A ``Release`` object is only ever built from a row that already passed ``access.can_view_release``
for the viewer (services filter lists; single lookups check): the type itself adds nothing hidden.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend import taxonomy
from backend.core.i18n import t
from backend.core.storage import signed_url
from backend.graphql.loaders import UserByIdLoader
from backend.graphql.pagination import Connection, connection
from backend.graphql.social.loaders import (
    MISSING,
    CommentByIdLoader,
    CreditsByReleaseIdLoader,
    PendingPlaysLoader,
    ProfileByUserIdLoader,
    ReleaseByIdLoader,
    StatsByReleaseIdLoader,
    ViewerFollowsLoader,
    ViewerLikedLoader,
    ViewerRepostedLoader,
    ready,
)
from backend.social import services as social

LISTENER_STATE = "cdz_listener"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a placeholder until __post_init__ fills the real value

# A waveform is a few hundred numbers: as one JSON scalar it is serialized once, where a [Float!]
# list would complete every number through the executor (that was 90% of a feed page's time).
Levels = JSON


@strawberry.enum
class Visibility(Enum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    PRIVATE = "private"


@strawberry.enum
class ReleaseStatus(Enum):
    PROCESSING = "processing"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"
    FAILED = "failed"
    DELETED = "deleted"


@strawberry.enum
class ProfileLayout(Enum):
    CLASSIC = "classic"
    SPOTLIGHT = "spotlight"
    MINIMAL = "minimal"


@strawberry.enum
class FeedItemKind(Enum):
    RELEASE = "release"
    REPOST = "repost"


def _url(key: str | None) -> str | None:
    return signed_url(key) if key else None


def viewer_id(info: Info) -> int | None:
    actor = info.context.actor
    return actor.user_id if actor is not None else None


def anon_listener(info: Info) -> str | None:
    """The anonymous listener cookie (or the one a page handler just minted for this response)."""
    request = info.context.request
    if request is None:
        return None
    minted = (request.scope.get("state") or {}).get(LISTENER_STATE)
    if minted:
        return str(minted)
    cookies = getattr(request, "cookies", None) or {}
    return cookies.get(social.plays.ANON_COOKIE)


# ----------------------------------------------------------------------------- taxonomy


@strawberry.type(description="A genre of the shared taxonomy.")
class Genre:
    id: strawberry.ID
    family: str = strawberry.field(description="The id of its family.")
    ai: bool = strawberry.field(description="Music intelligence has a model for it.")

    @strawberry.field
    def name(self, info: Info) -> str:
        return taxonomy.genre_name(str(self.id), info.context.locale)

    @strawberry.field
    def family_name(self, info: Info) -> str:
        return taxonomy.family_name(self.family, info.context.locale)

    @classmethod
    def of(cls, genre_id: str) -> Genre | None:
        found = taxonomy.genre(genre_id)
        return cls(id=strawberry.ID(found.id), family=found.family, ai=found.ai) if found else None


@strawberry.type
class GenreFamily:
    id: strawberry.ID

    @strawberry.field
    def name(self, info: Info) -> str:
        return taxonomy.family_name(str(self.id), info.context.locale)

    @strawberry.field
    def genres(self) -> list[Genre]:
        return [g for g in (Genre.of(x.id) for x in taxonomy.genres_in(str(self.id))) if g]


@strawberry.type
class Tag:
    id: strawberry.ID

    @strawberry.field
    def name(self, info: Info) -> str:
        return taxonomy.tag_name(str(self.id), info.context.locale)


# ----------------------------------------------------------------------------- profiles


@strawberry.type
class ProfileLink:
    label: str
    url: str


@strawberry.type
class DayCount:
    day: date
    count: int


@strawberry.type(description="Bio, photos, picked tracks and a contact: shareable as one link.")
class PressKit:
    profile: strawberry.Private[dict[str, Any]]
    owner_id: strawberry.Private[int]

    @strawberry.field
    def bio(self) -> str:
        return self.profile["press_bio"] or self.profile["bio"]

    @strawberry.field
    def contact(self) -> str:
        return self.profile["press_contact"]

    @strawberry.field
    def photo_urls(self) -> list[str]:
        return [signed_url(k) for k in self.profile["press_photos"] or []]

    @strawberry.field
    def photo_keys(self) -> list[str]:
        return list(self.profile["press_photos"] or [])

    @strawberry.field(description="The picked tracks that are still public.")
    async def releases(self, info: Info) -> list[Release]:
        rows = await social.queries.releases_by_public_ids(list(self.profile["press_releases"] or []))
        by_id = {r["public_id"]: r for r in rows}
        picked = [by_id.get(p) for p in self.profile["press_releases"] or []]
        return [Release(row=r) for r in picked if r is not None and social.access.is_listed(r)]


@strawberry.type(description="A user's public profile in the community.")
class Profile:
    user: strawberry.Private[dict[str, Any]]
    row: strawberry.Private[dict[str, Any]]
    # Plain values, filled from the rows: resolving them costs nothing per field (a feed shows
    # forty profiles a page; see ``Levels`` for why that matters).
    id: strawberry.ID = strawberry.field(default=strawberry.ID(""), description="The user's id.")
    handle: str = ""
    display_name: str = ""
    bio: str = ""
    location: str = ""
    links: list[ProfileLink] = strawberry.field(default_factory=list)
    genres: list[Genre] = strawberry.field(default_factory=list)
    avatar_url: str | None = None
    banner_url: str | None = None
    logo_url: str | None = None
    theme_color: str = strawberry.field(
        default="", description="A hex colour like #7c5cff, or empty for the default."
    )
    layout: ProfileLayout = ProfileLayout.CLASSIC
    verified: bool = False
    follower_count: int = 0
    following_count: int = 0
    member_since: datetime = EPOCH

    def __post_init__(self) -> None:
        user, row = self.user, self.row
        self.id = strawberry.ID(user["public_id"])
        self.handle = user["handle"]
        self.display_name = user["display_name"]
        self.bio = row["bio"]
        self.location = row["location"]
        self.links = [ProfileLink(label=x["label"], url=x["url"]) for x in row["links"] or []]
        self.genres = [g for g in (Genre.of(x) for x in row["genres"] or []) if g]
        self.avatar_url = _url(row["avatar_key"])
        self.banner_url = _url(row["banner_key"])
        self.logo_url = _url(row["logo_key"])
        self.theme_color = row["theme_color"]
        self.layout = ProfileLayout(row["layout"])
        self.verified = row["verified_at"] is not None
        self.follower_count = int(row["follower_count"])
        self.following_count = int(row["following_count"])
        self.member_since = user["created_at"]

    @strawberry.field(description="True when the signed-in user is this person.")
    def is_viewer(self, info: Info) -> bool:
        return viewer_id(info) == self.user["id"]

    @strawberry.field
    async def viewer_follows(self, info: Info) -> bool:
        viewer = viewer_id(info)
        if viewer is None or viewer == self.user["id"]:
            return False
        return await info.context.loader(ViewerFollowsLoader).load((viewer, self.user["id"]))

    @strawberry.field(description="Releases: all of them for their owner, listed ones for everyone else.")
    async def releases(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Release]:
        page = await social.releases.of_owner(info.context.actor, self.user["id"], first, after)
        await prefetch(info, page.items)
        return connection(page, Release)

    @strawberry.field
    async def followers(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Profile]:
        page = await social.follows.followers(self.user["id"], first, after)
        return await profile_connection(info, page)

    @strawberry.field
    async def following(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Profile]:
        page = await social.follows.following(self.user["id"], first, after)
        return await profile_connection(info, page)

    @strawberry.field
    def press_kit(self) -> PressKit:
        return PressKit(profile=self.row, owner_id=self.user["id"])

    @strawberry.field(
        description="Followers at the end of each of the last days; only for the profile's owner."
    )
    async def follower_growth(self, info: Info, days: int = 30) -> list[DayCount] | None:
        series = await social.charts.follower_growth(info.context.actor, self.user["id"], days)
        return None if series is None else [DayCount(day=d, count=n) for d, n in series]


async def load_profile(info: Info, user_id: int) -> Profile | None:
    user = await info.context.loader(UserByIdLoader).load(user_id)
    if user is None or not user["is_active"]:
        return None
    row = await info.context.loader(ProfileByUserIdLoader).load(user_id)
    return Profile(user=user, row=row)


def profile_now(info: Info, user_id: int) -> Any:
    """The profile at once when the list resolver prefetched it, else an awaitable of it."""
    user = ready(info.context.loader(UserByIdLoader), user_id)
    row = ready(info.context.loader(ProfileByUserIdLoader), user_id)
    if user is MISSING or row is MISSING:
        return load_profile(info, user_id)
    return Profile(user=user, row=row) if user is not None and user["is_active"] else None


def _selected(info: Info) -> set[str]:
    names: set[str] = set()
    stack = list(info.selected_fields)
    while stack:
        field = stack.pop()
        names.add(getattr(field, "name", ""))
        stack.extend(getattr(field, "selections", None) or [])
    return names


async def prefetch(info: Info, releases: list[dict[str, Any]], people: Iterable[int] = ()) -> None:
    """Load, in one batch per kind, what the selected fields of these releases will read — so their
    resolvers answer synchronously (see ``ready``). The number of queries stays the same."""
    names = _selected(info)
    context = info.context
    waits: list[Any] = []
    if {"creator", "actor", "author"} & names:
        users = {r["owner_id"] for r in releases} | set(people)
        waits += [context.loader(UserByIdLoader).load(u) for u in users]
        waits += [context.loader(ProfileByUserIdLoader).load(u) for u in users]
    if "stats" in names:
        waits += [context.loader(StatsByReleaseIdLoader).load(r["id"]) for r in releases]
        waits += [context.loader(PendingPlaysLoader).load(r["public_id"]) for r in releases]
    viewer = viewer_id(info)
    if viewer is not None and "viewerLiked" in names:
        waits += [context.loader(ViewerLikedLoader).load((viewer, r["id"])) for r in releases]
    if viewer is not None and "viewerReposted" in names:
        waits += [context.loader(ViewerRepostedLoader).load((viewer, r["id"])) for r in releases]
    if waits:
        await asyncio.gather(*waits)


async def profile_connection(info: Info, page: Any) -> Connection[Profile]:
    """A page of follow rows (``user_id`` each) as profiles, loaded in two batched queries."""
    from backend.graphql.pagination import Edge, PageInfo

    profiles = await asyncio.gather(*(load_profile(info, row["user_id"]) for row in page.items))
    edges = [Edge(cursor=c, node=p) for p, c in zip(profiles, page.cursors, strict=True) if p is not None]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None
        ),
    )


# ----------------------------------------------------------------------------- releases


@strawberry.type
class Credit:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def role(self) -> str:
        return self.row["role"]

    @strawberry.field(description="The credited person's name (their display name when they are a user).")
    async def name(self, info: Info) -> str:
        if self.row["user_id"] is not None:
            user = await info.context.loader(UserByIdLoader).load(self.row["user_id"])
            if user is not None:
                return user["display_name"]
        return self.row["name"]

    @strawberry.field
    async def profile(self, info: Info) -> Profile | None:
        return await load_profile(info, self.row["user_id"]) if self.row["user_id"] is not None else None


@strawberry.type
class ReleaseStats:
    plays: int
    likes: int
    reposts: int
    comments: int


@strawberry.type(description="What a player needs: a signed, range-capable URL and a play token.")
class Stream:
    url: str
    play_token: str = strawberry.field(
        description="Report it (POST /plays or reportPlay) once the listener passed `threshold` seconds."
    )
    threshold: int


@strawberry.type
class Comment:
    row: strawberry.Private[dict[str, Any]]
    release_row: strawberry.Private[dict[str, Any] | None] = None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def body(self) -> str:
        return self.row["body"]

    @strawberry.field(description="The moment of the track it is about, in seconds.")
    def at_seconds(self) -> float | None:
        return self.row["at_seconds"]

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]

    @strawberry.field
    async def author(self, info: Info) -> Profile | None:
        return await load_profile(info, self.row["user_id"])

    @strawberry.field
    def can_delete(self, info: Info) -> bool:
        actor = info.context.actor
        if actor is None or self.release_row is None:
            return False
        return social.access.can_delete_comment(actor, self.row, self.release_row)


@strawberry.type
class Release:
    row: strawberry.Private[dict[str, Any]]
    # The secret link the viewer came with (unlisted releases), so links they share keep working.
    key: strawberry.Private[str | None] = None
    # Plain values, filled from the row (cheap to resolve; the viewer-dependent ones are methods).
    id: strawberry.ID = strawberry.ID("")
    title: str = ""
    description: str = ""
    genre: Genre | None = None
    tags: list[Tag] = strawberry.field(default_factory=list)
    artwork_url: str | None = None
    duration: float | None = strawberry.field(default=None, description="Seconds.")
    peaks: Levels = strawberry.field(
        default_factory=list,
        description="Loudness levels in [0, 1] to draw the waveform from (a JSON array).",
    )
    visibility: Visibility = Visibility.PUBLIC
    status: ReleaseStatus = ReleaseStatus.PROCESSING
    publish_at: datetime | None = None
    published_at: datetime | None = None
    created_at: datetime = EPOCH

    def __post_init__(self) -> None:
        row = self.row
        self.id = strawberry.ID(row["public_id"])
        self.title = row["title"]
        self.description = row["description"]
        self.genre = Genre.of(row["genre"])
        self.tags = [Tag(id=strawberry.ID(x)) for x in row["tags"] or []]
        self.artwork_url = _url(row["artwork_key"])
        self.duration = row["duration"]
        self.peaks = row["peaks"] or []  # type: ignore[assignment]
        self.visibility = Visibility(row["visibility"])
        self.status = ReleaseStatus("deleted" if row["deleted_at"] is not None else row["status"])
        self.publish_at = row["publish_at"]
        self.published_at = row["published_at"]
        self.created_at = row["created_at"]

    def _owner(self, info: Info) -> bool:
        return viewer_id(info) == self.row["owner_id"]

    def _with_key(self, info: Info) -> bool:
        return self._owner(info) or social.access.has_link(self.row, self.key)

    @strawberry.field(description="Why the audio could not be prepared (owner only).")
    def problem(self, info: Info) -> str | None:
        if not self._owner(info) or not self.row["error_key"]:
            return None
        return t(self.row["error_key"], info.context.locale)

    @strawberry.field
    def is_owner(self, info: Info) -> bool:
        return self._owner(info)

    @strawberry.field(
        description="The page's path; for an unlisted release, with its secret when you hold it."
    )
    def path(self, info: Info) -> str:
        return social.sharing.track_path(self.row, with_key=self._with_key(info))

    @strawberry.field(description="The absolute URL to share.")
    def share_url(self, info: Info) -> str:
        return social.sharing.absolute(social.sharing.track_path(self.row, with_key=self._with_key(info)))

    @strawberry.field
    def embed_url(self, info: Info) -> str:
        return social.sharing.absolute(social.sharing.embed_path(self.row, with_key=self._with_key(info)))

    @strawberry.field(description="HTML to paste into another site: an iframe of the embeddable player.")
    def embed_code(self, info: Info) -> str:
        return social.sharing.iframe(
            self.row, social.sharing.EMBED_WIDTH, social.sharing.EMBED_HEIGHT, with_key=self._with_key(info)
        )

    @strawberry.field(description="The unlisted link's secret (owner only).")
    def secret_key(self, info: Info) -> str | None:
        return (
            self.row["secret_token"] if self._owner(info) and self.row["visibility"] == "unlisted" else None
        )

    @strawberry.field
    def creator(self, info: Info) -> Profile | None:
        return profile_now(info, self.row["owner_id"])  # type: ignore[no-any-return]

    @strawberry.field
    async def credits(self, info: Info) -> list[Credit]:
        rows = await info.context.loader(CreditsByReleaseIdLoader).load(self.row["id"])
        return [Credit(row=r) for r in rows]

    @strawberry.field
    def stats(self, info: Info) -> ReleaseStats:
        stored = ready(info.context.loader(StatsByReleaseIdLoader), self.row["id"])
        pending = ready(info.context.loader(PendingPlaysLoader), self.row["public_id"])
        if stored is MISSING or pending is MISSING:
            return self._stats_later(info)  # type: ignore[return-value]
        return _stats(stored, pending)

    async def _stats_later(self, info: Info) -> ReleaseStats:
        stored = await info.context.loader(StatsByReleaseIdLoader).load(self.row["id"])
        pending = await info.context.loader(PendingPlaysLoader).load(self.row["public_id"])
        return _stats(stored, pending)

    @strawberry.field
    def viewer_liked(self, info: Info) -> bool:
        return _viewer_flag(info, ViewerLikedLoader, self.row["id"])  # type: ignore[no-any-return]

    @strawberry.field
    def viewer_reposted(self, info: Info) -> bool:
        return _viewer_flag(info, ViewerRepostedLoader, self.row["id"])  # type: ignore[no-any-return]

    @strawberry.field
    def can_repost(self, info: Info) -> bool:
        actor = info.context.actor
        return actor is not None and social.access.can_repost(actor, self.row)

    @strawberry.field(
        description="Signed streaming URL and a fresh play token; null until the audio is ready."
    )
    def stream(self, info: Info) -> Stream | None:
        if not self.row["stream_key"]:
            return None
        listener = social.plays.listener_of(viewer_id(info), anon_listener(info))
        return Stream(
            url=signed_url(self.row["stream_key"], ttl=6 * 3600),
            play_token=social.plays.issue_token(self.row, listener),
            threshold=social.plays.threshold_for(self.row["duration"]),
        )

    @strawberry.field
    async def comments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Comment]:
        page = await social.engagement.comments(info.context.actor, self.row, first, after)
        return connection(page, lambda row: Comment(row=row, release_row=self.row))

    @strawberry.field(description="Plays per day over the last days; only for the release's owner.")
    async def plays_per_day(self, info: Info, days: int = 30) -> list[DayCount] | None:
        series = await social.charts.plays_per_day(info.context.actor, self.row, days)
        return None if series is None else [DayCount(day=d, count=n) for d, n in series]


def _stats(stored: dict[str, Any], pending: int) -> ReleaseStats:
    return ReleaseStats(
        plays=int(stored["plays"]) + pending,
        likes=int(stored["likes"]),
        reposts=int(stored["reposts"]),
        comments=int(stored["comments"]),
    )


def _viewer_flag(info: Info, loader_class: Any, release_id: int) -> Any:
    viewer = viewer_id(info)
    if viewer is None:
        return False
    loader = info.context.loader(loader_class)
    found = ready(loader, (viewer, release_id))
    return loader.load((viewer, release_id)) if found is MISSING else found


# ----------------------------------------------------------------------------- feeds


@strawberry.type
class FeedItem:
    entry: strawberry.Private[Any]

    @strawberry.field
    def kind(self) -> FeedItemKind:
        return FeedItemKind(self.entry.kind)

    @strawberry.field(description="When it was released or reposted.")
    def at(self) -> datetime:
        return self.entry.at

    @strawberry.field(description="The creator, or who reposted it.")
    def actor(self, info: Info) -> Profile | None:
        return profile_now(info, self.entry.actor_id)  # type: ignore[no-any-return]

    @strawberry.field
    def release(self) -> Release:
        return Release(row=self.entry.release)


# ----------------------------------------------------------------------------- notifications


@strawberry.type
class Notification:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def kind(self) -> str:
        return self.row["kind"]

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]

    @strawberry.field
    def read(self) -> bool:
        return self.row["read_at"] is not None

    @strawberry.field
    async def actor(self, info: Info) -> Profile | None:
        return await load_profile(info, self.row["actor_id"]) if self.row["actor_id"] else None

    async def _release_row(self, info: Info) -> dict[str, Any] | None:
        if not self.row["release_id"]:
            return None
        return await info.context.loader(ReleaseByIdLoader).load(self.row["release_id"])

    @strawberry.field(description="The release it is about, if the reader may still see it.")
    async def release(self, info: Info) -> Release | None:
        row = await self._release_row(info)
        if row is None or not social.access.can_view_release(info.context.actor, row):
            return None
        return Release(row=row)

    async def _text(self, info: Info) -> tuple[str, str]:
        actor_user = None
        if self.row["actor_id"]:
            actor_user = await info.context.loader(UserByIdLoader).load(self.row["actor_id"])
        comment = None
        if self.row["comment_id"]:
            comment = await info.context.loader(CommentByIdLoader).load(self.row["comment_id"])
        return social.texts.describe(
            self.row,
            recipient=info.context.actor,
            actor_user=actor_user,
            release=await self._release_row(info),
            comment=comment,
            locale=info.context.locale,
        )

    @strawberry.field(description="What happened, in the reader's language.")
    async def message(self, info: Info) -> str:
        return (await self._text(info))[0]

    @strawberry.field(description="Where to go to see it (a path on this site), or empty.")
    async def url(self, info: Info) -> str:
        return (await self._text(info))[1]


@strawberry.type(description="A live update of the notification centre.")
class NotificationEvent:
    unread_count: int
    notification: Notification | None = None


@strawberry.type
class NotificationPreferences:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="Every kind of notification there is.")
    def kinds(self) -> list[str]:
        return list(social.notifications.NOTIFICATION_KINDS)

    @strawberry.field(description="Kinds not shown in the app at all.")
    def app_off(self) -> list[str]:
        return list(self.row["app_off"] or [])

    @strawberry.field(description="Kinds left out of the daily email.")
    def email_off(self) -> list[str]:
        return list(self.row["email_off"] or [])

    @strawberry.field
    def digest(self) -> bool:
        return bool(self.row["digest"])


# ----------------------------------------------------------------------------- verification


@strawberry.type
class VerificationRequest:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def status(self) -> str:
        return self.row["status"]

    @strawberry.field
    def links(self) -> list[str]:
        return list(self.row["links"] or [])

    @strawberry.field
    def evidence(self) -> str:
        return self.row["evidence"]

    @strawberry.field
    def reason(self) -> str:
        return self.row["reason"]

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]

    @strawberry.field
    def decided_at(self) -> datetime | None:
        return self.row["decided_at"]

    @strawberry.field
    async def applicant(self, info: Info) -> Profile | None:
        return await load_profile(info, self.row["user_id"])


@strawberry.type(description="A logged moderation decision.")
class AuditEntry:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def action(self) -> str:
        return self.row["action"]

    @strawberry.field
    def subject(self) -> str:
        return self.row["subject"]

    @strawberry.field
    def reason(self) -> str:
        return str((self.row["data"] or {}).get("reason", ""))

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]

    @strawberry.field
    async def moderator(self, info: Info) -> Profile | None:
        return await load_profile(info, self.row["actor_id"])

    @strawberry.field
    async def about(self, info: Info) -> Profile | None:
        user_id = (self.row["data"] or {}).get("user_id")
        return await load_profile(info, int(user_id)) if user_id else None


@strawberry.type
class ProfileImage:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def kind(self) -> str:
        return self.row["kind"]

    @strawberry.field
    def status(self) -> str:
        return self.row["status"]

    @strawberry.field
    def job_id(self) -> str | None:
        return self.row.get("job_id")

    @strawberry.field
    def url(self) -> str | None:
        return _url(self.row.get("storage_key"))

    @strawberry.field
    def problem(self, info: Info) -> str | None:
        key = self.row.get("error_key")
        return t(key, info.context.locale) if key else None


@strawberry.type
class PlayReport:
    counted: bool
    reason: str
    retry_after: int
