from __future__ import annotations

from piccolo.columns import JSONB, Boolean, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

PLATFORM_ROLES = ("listener", "creator", "moderator", "admin")
ORG_ROLES = ("owner", "admin", "member")
API_SCOPES = ("read", "write")


class User(Table, tablename="app_user"):
    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    email = Varchar(length=254, unique=True, index=True)  # stored lower-cased
    email_confirmed_at = Timestamptz(null=True, default=None)
    password_hash = Varchar(length=200)
    display_name = Varchar(length=80)
    handle = Varchar(length=40, unique=True, index=True)
    region = Varchar(length=8, default="eu")
    locale = Varchar(length=8, default="en")
    time_zone = Varchar(length=64, default="UTC")
    platform_role = Varchar(length=12, default="creator")
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class EmailToken(Table, tablename="email_token"):
    """One-time links: email confirmation and password reset. Only the hash is stored."""

    id: Serial  # added by Piccolo; declared for the type checker
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    purpose = Varchar(length=16)  # confirm | reset
    token_hash = Varchar(length=64, unique=True, index=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Organization(Table, tablename="organization"):
    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    name = Varchar(length=80)
    slug = Varchar(length=60, unique=True, index=True)
    region = Varchar(length=8, default="eu")
    settings = JSONB(default={})
    created_at = Timestamptz(default=TimestamptzNow())


class Membership(Table, tablename="membership"):
    id: Serial  # added by Piccolo; declared for the type checker
    organization = ForeignKey(Organization, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=8, default="member")
    created_at = Timestamptz(default=TimestamptzNow())
    # (organization, user) is unique: see the raw index in this app's first migration.


class Invitation(Table, tablename="invitation"):
    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    organization = ForeignKey(Organization, on_delete=OnDelete.cascade, index=True)
    email = Varchar(length=254, index=True)
    role = Varchar(length=8, default="member")
    token_hash = Varchar(length=64, unique=True, index=True)
    invited_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True)
    expires_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class ApiKey(Table, tablename="api_key"):
    """Shown once at creation; stored as a SHA-256 of the secret with a visible prefix."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=80)
    prefix = Varchar(length=16, unique=True, index=True)
    key_hash = Varchar(length=64)
    scopes = Varchar(length=120, default="read")  # comma separated, from API_SCOPES
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
