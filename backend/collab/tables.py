"""Collaboration tables. Projects are the studio's: they are named by their public id, without a
foreign key (a domain's tables never import another domain's); users by ``app_user.id``.

Presence is not here: it is ephemeral, in Redis (``presence.py``).
"""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, Boolean, Integer, Real, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

ROLES = ("editor", "commenter", "viewer")
INVITATION_STATUSES = ("pending", "accepted", "declined", "revoked")


class Member(Table, tablename="collab_member"):
    """Someone the owner shared a project with, and their role. The owner is not a row."""

    id: Serial  # added by Piccolo; declared for the type checker
    project_id = Varchar(length=40, index=True)
    user_id = BigInt(index=True)
    role = Varchar(length=12)
    added_by = BigInt(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # (project_id, user_id) is unique: see the hand-made index migration.


class Invitation(Table, tablename="collab_invitation"):
    """An invitation by email address or by handle; accepted from a notification or a link."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    project_id = Varchar(length=40, index=True)
    # By email: the address (lower case); by handle: the account it named (then ``email`` is blank).
    email = Varchar(length=320, default="", index=True)
    user_id = BigInt(null=True, default=None, index=True)
    role = Varchar(length=12)
    token_hash = Varchar(length=64, unique=True)
    invited_by = BigInt()
    status = Varchar(length=12, default="pending")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    responded_at = Timestamptz(null=True, default=None)


class Comment(Table, tablename="collab_comment"):
    """A comment pinned to a time on the timeline (and maybe a track), or a reply to one."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    project_id = Varchar(length=40, index=True)
    thread_id = BigInt(null=True, default=None, index=True)  # a reply's root comment (row id)
    author_id = BigInt()
    body = Text()
    time = Real(default=0.0)  # seconds from the start of the timeline
    track_id = Varchar(length=40, default="")
    revision = Integer(default=0)  # the project revision it was written against
    resolved_at = Timestamptz(null=True, default=None)
    resolved_by = BigInt(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Snapshot(Table, tablename="collab_snapshot"):
    """A named version: the revision and a copy of its document (restoring needs no replay)."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    project_id = Varchar(length=40, index=True)
    name = Varchar(length=120)
    revision = Integer()
    document = JSONB(default={})
    author_id = BigInt()
    created_at = Timestamptz(default=TimestamptzNow())


class SharedProject(Table, tablename="collab_project"):
    """Per-project collaboration settings: may it be forked, and was it forked from another."""

    id: Serial  # added by Piccolo; declared for the type checker
    project_id = Varchar(length=40, unique=True, index=True)
    allow_forks = Boolean(default=False)
    forked_from = Varchar(length=40, default="", index=True)
    # Kept here so the "forked from" link still reads if the source is renamed or deleted.
    forked_from_title = Varchar(length=120, default="")
    forked_from_owner = BigInt(null=True, default=None)
    forked_from_revision = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Submission(Table, tablename="collab_submission"):
    """One client batch, by its client batch id: a client that resends after a lost answer gets the
    first answer back instead of committing twice."""

    id: Serial  # added by Piccolo; declared for the type checker
    project_id = Varchar(length=40)
    author_id = BigInt()
    client_batch_id = Varchar(length=40)
    base_revision = Integer()  # what the client's batch was made on
    attempt_revision = Integer()  # the revision the last commit attempt was based on
    revision = Integer(null=True, default=None)  # after the commit
    status = Varchar(length=12, default="pending")  # pending | committed | dropped
    operations = JSONB(null=True, default=None)  # as committed (transformed)
    dropped = Integer(default=0)  # operations that became noops
    created_at = Timestamptz(default=TimestamptzNow())
    # (project_id, author_id, client_batch_id) is unique: see the hand-made index migration.


TABLES = [Member, Invitation, Comment, Snapshot, SharedProject, Submission]
