from __future__ import annotations

from piccolo.columns import BigInt, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class OutboxEmail(Table, tablename="outbox_email"):
    """Every message Cadenza sends is written here first; a job delivers it."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    to_address = Varchar(length=254, index=True)
    user_id = BigInt(null=True, default=None, index=True)
    kind = Varchar(length=40)
    locale = Varchar(length=8, default="en")
    subject = Varchar(length=300)
    body_text = Text()
    status = Varchar(length=10, default="pending", index=True)  # pending sent failed
    transport = Varchar(length=10, default="")  # smtp | outbox
    attempts = Integer(default=0)
    error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
