"""Tables every domain leans on: the job record and uploaded files."""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, Boolean, Integer, Real, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Job(Table, tablename="job"):
    """The truth about background work; Redis only carries the wake-up call."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    kind = Varchar(length=80)
    queue = Varchar(length=20, default="default")
    status = Varchar(length=12, default="queued", index=True)  # queued running done failed cancelled
    progress = Real(default=0.0)
    message = Varchar(length=200, default="")
    args = JSONB(default={})
    result = JSONB(null=True, default=None)
    error = Text(default="")
    attempts = Integer(default=0)
    max_attempts = Integer(default=3)
    # users.id of whoever asked for it; no foreign key, the core knows no domains.
    owner_id = BigInt(null=True, default=None, index=True)
    subject = Varchar(length=40, default="", index=True)
    cancel_requested = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class Upload(Table, tablename="upload"):
    """A file received through the streaming upload endpoint, before a domain claims it."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    owner_id = BigInt(index=True)
    storage_key = Varchar(length=300)
    filename = Varchar(length=255, default="")
    declared_type = Varchar(length=120, default="")
    size = BigInt(default=0)
    sha256 = Varchar(length=64, default="")
    purpose = Varchar(length=30, default="")
    claimed = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
