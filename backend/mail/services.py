"""Outgoing email: written to the outbox in the caller's transaction, delivered by a job."""

from __future__ import annotations

from typing import Any

from backend.core import clock, jobs
from backend.core.errors import Forbidden
from backend.core.ids import new_id
from backend.core.pagination import Page, int_after, make_page, page_size
from backend.core.settings import get_settings
from backend.mail import queries
from backend.mail.tables import OutboxEmail


async def queue_email(
    *, to: str, kind: str, subject: str, body: str, locale: str = "en", user_id: int | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Write the message and its delivery job; the caller dispatches the job after commit."""
    row: dict[str, Any] = {
        "public_id": new_id("eml"),
        "to_address": to.lower(),
        "user_id": user_id,
        "kind": kind,
        "locale": locale,
        "subject": subject[:300],
        "body_text": body,
        "status": "pending",
        "created_at": clock.now(),
    }
    await OutboxEmail.insert(OutboxEmail(**row))
    job = await jobs.create_job("mail.deliver_email", {"email_id": row["public_id"]}, owner_id=user_id)
    return row, job


def mailbox_enabled() -> bool:
    return get_settings().dev_mailbox


async def dev_mailbox(
    first: int | None, after: str | None, to_address: str | None = None
) -> Page[dict[str, Any]]:
    """The development outbox, newest first. Refused unless the dev mailbox is switched on."""
    if not mailbox_enabled():
        raise Forbidden()
    size = page_size(first)
    rows = await queries.recent(size + 1, before_id=int_after(after), to_address=to_address)
    return make_page(rows, size, lambda r: r["id"])
