"""Studio tables. Users are referenced by ``app_user.id`` without a foreign key: a domain's tables
never import another domain's (the accounts tables change on their own schedule)."""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, ForeignKey, Integer, Real, Serial, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

ASSET_STATUSES = ("processing", "ready", "failed", "deleted")
RENDER_STATUSES = ("queued", "running", "done", "failed", "cancelled")


class Asset(Table, tablename="audio_asset"):
    """One uploaded sound in a creator's library, and what ingest learned about it."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    owner_id = BigInt(index=True)
    # The upload it was made from: unique, so claiming the same upload twice yields one asset.
    upload_id = Varchar(length=40, unique=True)
    name = Varchar(length=200)
    original_filename = Varchar(length=255, default="")
    status = Varchar(length=12, default="processing", index=True)
    error_key = Varchar(length=120, default="")
    job_id = Varchar(length=40, default="")
    storage_prefix = Varchar(length=200)
    original_key = Varchar(length=300, default="")
    decoded_key = Varchar(length=300, default="")
    preview_key = Varchar(length=300, default="")
    format = Varchar(length=16, default="")
    duration = Real(null=True, default=None)
    sample_rate = Integer(null=True, default=None)
    channels = Integer(null=True, default=None)
    bit_depth = Integer(null=True, default=None)
    lufs = Real(null=True, default=None)
    true_peak = Real(null=True, default=None)
    peaks = JSONB(null=True, default=None)  # ~1000 [min, max] pairs in [-1, 1]
    # Bytes of this asset counted in the owner's storage usage (see StorageUsage).
    charged_bytes = BigInt(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    deleted_at = Timestamptz(null=True, default=None)


class StorageUsage(Table, tablename="audio_storage_usage"):
    """Bytes of library media per user, changed only by conditional updates (never over the plan)."""

    id: Serial  # added by Piccolo; declared for the type checker
    user_id = BigInt(unique=True, index=True)
    used_bytes = BigInt(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())


class Project(Table, tablename="audio_project"):
    """A song: the current document and its revision (the number of operations ever applied)."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    owner_id = BigInt(index=True)
    title = Varchar(length=120)
    revision = Integer(default=0)
    document = JSONB(default={})
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)


class ProjectOperation(Table, tablename="audio_project_operation"):
    """The append-only log: one row per operation; ``revision`` is the revision it produced."""

    id: Serial  # added by Piccolo; declared for the type checker
    project = ForeignKey(Project, on_delete=OnDelete.cascade, index=True)
    revision = Integer()
    batch_id = Varchar(length=40)
    author_id = BigInt(null=True, default=None)
    kind = Varchar(length=24)
    payload = JSONB(default={})
    # The operation that undoes this one, computed against the document it was applied to.
    inverse = JSONB(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    # (project, revision) is unique: see this app's hand-made index migration.


class ProjectAsset(Table, tablename="audio_project_asset"):
    """Which assets the *current* document of a project uses (kept in step on every commit)."""

    id: Serial  # added by Piccolo; declared for the type checker
    project = ForeignKey(Project, on_delete=OnDelete.cascade, index=True)
    asset = ForeignKey(Asset, on_delete=OnDelete.restrict, index=True)


class Render(Table, tablename="audio_render"):
    """A mix of one document with some settings; cached by ``cache_key`` per project."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    project = ForeignKey(Project, on_delete=OnDelete.cascade, index=True)
    owner_id = BigInt(index=True)
    revision = Integer()
    cache_key = Varchar(length=64)
    settings = JSONB(default={})
    document = JSONB(default={})
    status = Varchar(length=12, default="queued", index=True)
    job_id = Varchar(length=40, default="")
    # The job doing the work right now (a render job, or an export job that needed the mix).
    claimed_by = Varchar(length=40, default="")
    error_key = Varchar(length=120, default="")
    mix_key = Varchar(length=300, default="")
    preview_key = Varchar(length=300, default="")
    stems_prefix = Varchar(length=300, default="")
    duration = Real(null=True, default=None)
    lufs = Real(null=True, default=None)
    true_peak = Real(null=True, default=None)
    peak = Real(null=True, default=None)
    metrics = JSONB(null=True, default=None)  # per-track peaks and anything else measured
    created_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    # (project, cache_key) is unique: see this app's hand-made index migration.


class Export(Table, tablename="audio_export"):
    """A downloadable file made from a render: a format, rate and depth, or stems, or a .dawproject."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    project = ForeignKey(Project, on_delete=OnDelete.cascade, index=True)
    render = ForeignKey(Render, on_delete=OnDelete.cascade, null=True, default=None)
    owner_id = BigInt(index=True)
    revision = Integer()
    settings = JSONB(default={})
    status = Varchar(length=12, default="queued", index=True)
    job_id = Varchar(length=40, default="")
    error_key = Varchar(length=120, default="")
    file_key = Varchar(length=300, default="")
    filename = Varchar(length=255, default="")
    size_bytes = BigInt(default=0)
    details = JSONB(null=True, default=None)  # what the file really is (rate, depth, …)
    created_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
