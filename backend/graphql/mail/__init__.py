"""The development mailbox: outgoing mail, readable only when DEV_MAILBOX is on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from backend.graphql.pagination import Connection, connection
from backend.mail import services as mail


@strawberry.type
class OutboxEmail:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def to(self) -> str:
        return self.row["to_address"]

    @strawberry.field
    def kind(self) -> str:
        return self.row["kind"]

    @strawberry.field
    def subject(self) -> str:
        return self.row["subject"]

    @strawberry.field
    def body(self) -> str:
        return self.row["body_text"]

    @strawberry.field
    def status(self) -> str:
        return self.row["status"]

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row["created_at"]


@strawberry.type
class Queries:
    @strawberry.field(description="Development only: mail Cadenza has sent. Refused in production.")
    async def dev_mailbox(
        self, first: int | None = None, after: str | None = None, to: str | None = None
    ) -> Connection[OutboxEmail]:
        return connection(await mail.dev_mailbox(first, after, to), OutboxEmail)
