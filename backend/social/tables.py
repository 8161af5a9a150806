"""Community tables. Users are referenced by ``app_user.id`` without a foreign key: a domain's tables
never import another domain's."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Real,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

VISIBILITIES = ("public", "unlisted", "private")
# processing: audio is being prepared; scheduled: waits for publish_at; published: live;
# unpublished: taken down by its owner (can be published again); failed: the audio was unusable.
RELEASE_STATUSES = ("processing", "scheduled", "published", "unpublished", "failed")
LAYOUTS = ("classic", "spotlight", "minimal")
NOTIFICATION_KINDS = ("release", "follow", "comment", "like", "repost", "verification")
IMAGE_KINDS = ("avatar", "banner", "logo", "artwork", "press")


class Profile(Table, tablename="social_profile"):
    """The public face of a user. A user without a row has the default (empty) profile."""

    id: Serial  # added by Piccolo; declared for the type checker
    user_id = BigInt(unique=True, index=True)
    bio = Text(default="")
    location = Varchar(length=80, default="")
    links = JSONB(default=[])  # [{"label": str, "url": str}]
    genres = JSONB(default=[])  # taxonomy genre ids
    avatar_key = Varchar(length=300, default="")
    banner_key = Varchar(length=300, default="")
    logo_key = Varchar(length=300, default="")
    theme_color = Varchar(length=7, default="")
    layout = Varchar(length=12, default="classic")
    press_bio = Text(default="")
    press_contact = Varchar(length=254, default="")
    press_photos = JSONB(default=[])  # storage keys of processed press photos
    press_releases = JSONB(default=[])  # release public ids picked for the press kit
    verified_at = Timestamptz(null=True, default=None)
    follower_count = Integer(default=0)
    following_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Image(Table, tablename="social_image"):
    """A picture on its way from an upload to a resized, re-encoded file (done by a job)."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    owner_id = BigInt(index=True)
    upload_id = Varchar(length=40)
    kind = Varchar(length=10)  # IMAGE_KINDS
    # What the finished image is for: "profile" (avatar/banner/logo/press) or a release public id.
    target = Varchar(length=40, default="profile")
    status = Varchar(length=12, default="processing")  # processing ready failed
    storage_key = Varchar(length=300, default="")
    width = Integer(default=0)
    height = Integer(default=0)
    error_key = Varchar(length=120, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Release(Table, tablename="social_release"):
    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    owner_id = BigInt(index=True)
    title = Varchar(length=120)
    description = Text(default="")
    genre = Varchar(length=40, default="", index=True)
    tags = JSONB(default=[])
    artwork_key = Varchar(length=300, default="")
    # Where the audio came from: an upload or a studio render, by public id.
    source_kind = Varchar(length=10, default="upload")
    source_id = Varchar(length=40, default="")
    asset_id = Varchar(length=40, default="")
    stream_key = Varchar(length=300, default="")
    duration = Real(null=True, default=None)
    peaks = JSONB(null=True, default=None)  # a few hundred levels in [0, 1] for the waveform
    visibility = Varchar(length=10, default="public")
    secret_token = Varchar(length=40, default="")  # in the link of an unlisted release
    status = Varchar(length=12, default="processing", index=True)
    error_key = Varchar(length=120, default="")
    publish_at = Timestamptz(null=True, default=None)
    published_at = Timestamptz(null=True, default=None, index=True)
    # Set once followers were told (feeds and notifications): a release is announced at most once.
    announced_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    deleted_at = Timestamptz(null=True, default=None)


class Credit(Table, tablename="social_credit"):
    """Who did what on a release; ``user_id`` links a Cadenza user, ``name`` is shown otherwise."""

    id: Serial  # added by Piccolo; declared for the type checker
    release = ForeignKey(Release, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=40)
    user_id = BigInt(null=True, default=None, index=True)
    name = Varchar(length=80, default="")
    position = Integer(default=0)


class ReleaseStats(Table, tablename="social_release_stats"):
    """Counters kept apart from the release row, so edits never wait on a busy track's counts.

    ``plays`` moves only in batches (see ``plays.py``); likes, reposts and comments move with the
    row that changes them, in the same transaction."""

    id: Serial  # added by Piccolo; declared for the type checker
    release_id = BigInt(unique=True, index=True)
    plays = BigInt(default=0)
    likes = Integer(default=0)
    reposts = Integer(default=0)
    comments = Integer(default=0)


class PlayDaily(Table, tablename="social_play_daily"):
    """Plays per release per UTC day, for the charts (upserted by the play aggregator)."""

    id: Serial  # added by Piccolo; declared for the type checker
    release_id = BigInt(index=True)
    day = Date()
    plays = Integer(default=0)
    # (release_id, day) is unique: see this app's hand-made index migration.


class Play(Table, tablename="social_play"):
    """Every counted play, appended by the aggregator. ``entry_id`` is the Redis stream id, so a
    batch written twice (a job run twice) counts once. Partition by month when it grows."""

    id: Serial  # added by Piccolo; declared for the type checker
    entry_id = Varchar(length=40, unique=True)
    release_id = BigInt(index=True)
    user_id = BigInt(null=True, default=None)
    listener = Varchar(length=32)  # a keyed hash of the listener: no raw IPs are stored
    source = Varchar(length=10, default="page")
    played_at = Timestamptz(default=TimestamptzNow())


class Like(Table, tablename="social_like"):
    id: Serial  # added by Piccolo; declared for the type checker
    user_id = BigInt(index=True)
    release = ForeignKey(Release, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    # (user_id, release) is unique: see this app's hand-made index migration.


class Repost(Table, tablename="social_repost"):
    id: Serial  # added by Piccolo; declared for the type checker
    user_id = BigInt(index=True)
    release = ForeignKey(Release, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    # (user_id, release) is unique: see this app's hand-made index migration.


class Comment(Table, tablename="social_comment"):
    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    release = ForeignKey(Release, on_delete=OnDelete.cascade, index=True)
    user_id = BigInt(index=True)
    body = Text()
    at_seconds = Real(null=True, default=None)  # the moment of the track it talks about
    created_at = Timestamptz(default=TimestamptzNow())
    deleted_at = Timestamptz(null=True, default=None)


class Follow(Table, tablename="social_follow"):
    id: Serial  # added by Piccolo; declared for the type checker
    follower_id = BigInt(index=True)
    followee_id = BigInt(index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    # (follower_id, followee_id) is unique: see this app's hand-made index migration.


class FeedItem(Table, tablename="social_feed_item"):
    """A listener's home feed, written ahead of reading (fan-out on write, see ``feeds.py``)."""

    id: Serial  # added by Piccolo; declared for the type checker
    user_id = BigInt()
    release_id = BigInt(index=True)
    actor_id = BigInt()  # who put it there: the creator (release) or a reposter (repost)
    kind = Varchar(length=8, default="release")  # release | repost
    created_at = Timestamptz(default=TimestamptzNow())
    # (user_id, created_at, release_id, actor_id) is indexed and (user_id, release_id, actor_id, kind)
    # unique: see this app's hand-made index migration.


class StarterPick(Table, tablename="social_starter_pick"):
    """The starter feed: recent popular public releases, ranked by a periodic job."""

    id: Serial  # added by Piccolo; declared for the type checker
    rank = Integer(unique=True, index=True)
    release_id = BigInt()
    score = Real(default=0.0)


class Notification(Table, tablename="social_notification"):
    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    user_id = BigInt(index=True)
    kind = Varchar(length=20)
    actor_id = BigInt(null=True, default=None)
    release_id = BigInt(null=True, default=None)
    comment_id = BigInt(null=True, default=None)
    data = JSONB(default={})
    # Makes a fan-out idempotent: a job that runs twice can't notify anyone twice.
    dedupe_key = Varchar(length=80, null=True, default=None, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)


class NotificationSettings(Table, tablename="social_notification_settings"):
    """Per-type choices; a user without a row gets everything in the app and a daily digest."""

    id: Serial  # added by Piccolo; declared for the type checker
    user_id = BigInt(unique=True, index=True)
    app_off = JSONB(default=[])  # kinds not shown in the app at all
    email_off = JSONB(default=[])  # kinds left out of the digest
    digest = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class Digest(Table, tablename="social_digest"):
    """One daily digest per user per local day: the row is written before the mail is queued."""

    id: Serial  # added by Piccolo; declared for the type checker
    user_id = BigInt(index=True)
    day = Date()
    notification_count = Integer(default=0)
    email_id = Varchar(length=40, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    # (user_id, day) is unique: see this app's hand-made index migration.


class VerificationRequest(Table, tablename="social_verification"):
    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    user_id = BigInt(index=True)
    links = JSONB(default=[])
    evidence = Text(default="")
    status = Varchar(length=10, default="pending", index=True)  # pending granted declined
    reason = Text(default="")
    decided_by = BigInt(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class AuditEntry(Table, tablename="social_audit"):
    """Every moderation decision, append-only."""

    id: Serial  # added by Piccolo; declared for the type checker
    actor_id = BigInt(index=True)
    action = Varchar(length=40)
    subject = Varchar(length=40, index=True)  # public id of what was decided on
    data = JSONB(default={})
    created_at = Timestamptz(default=TimestamptzNow())


ALL_TABLES = [
    Profile,
    Image,
    Release,
    Credit,
    ReleaseStats,
    PlayDaily,
    Play,
    Like,
    Repost,
    Comment,
    Follow,
    FeedItem,
    StarterPick,
    Notification,
    NotificationSettings,
    Digest,
    VerificationRequest,
    AuditEntry,
]
