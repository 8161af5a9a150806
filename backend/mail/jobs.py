"""Email delivery: SMTP when configured, otherwise the message stays in the dev outbox."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from backend.core import clock
from backend.core.jobs import JobContext, job
from backend.core.settings import get_settings
from backend.mail import queries
from backend.mail.tables import OutboxEmail


def _send_smtp(message: EmailMessage) -> None:
    smtp = get_settings().smtp
    with smtplib.SMTP(smtp.host, smtp.port, timeout=20) as client:
        if smtp.use_tls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(message)


@job(queue="default", timeout=30, retries=5)
async def deliver_email(ctx: JobContext, email_id: str) -> dict[str, Any]:
    row = await queries.by_public_id(email_id)
    if row is None:
        return {"status": "missing"}
    if row["status"] == "sent":
        return {"status": "sent", "transport": row["transport"]}  # a second delivery of the job
    settings = get_settings()
    await OutboxEmail.update({OutboxEmail.attempts: OutboxEmail.attempts + 1}).where(
        OutboxEmail.id == row["id"]
    )
    transport = "outbox"
    if settings.smtp.enabled:
        message = EmailMessage()
        message["From"] = settings.smtp.sender
        message["To"] = row["to_address"]
        message["Subject"] = row["subject"]
        # A stable Message-ID lets receiving servers drop a duplicate if a retry re-sends.
        message["Message-ID"] = make_msgid(idstring=row["public_id"], domain="cadenza.local")
        message.set_content(row["body_text"])
        await asyncio.to_thread(_send_smtp, message)
        transport = "smtp"
    await OutboxEmail.update(
        {OutboxEmail.status: "sent", OutboxEmail.transport: transport, OutboxEmail.sent_at: clock.now()}
    ).where(OutboxEmail.id == row["id"])
    return {"status": "sent", "transport": transport}
