"""Mail leaves through SMTP when it is configured — to a real SMTP server in the test."""

from __future__ import annotations

import asyncio
import re
import socket
from datetime import timedelta

from aiosmtpd.controller import Controller

from backend.core import clock
from backend.mail.tables import OutboxEmail
from tests.fixtures import gql, settings_override, wait_for_job

PASSWORD = "correct horse battery staple"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


async def test_confirmation_mail_is_sent_over_smtp_when_configured(client, workers):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with settings_override(smtp__host="127.0.0.1", smtp__port=port, smtp__use_tls=False):
            body = await gql(
                client,
                "mutation($i: SignUpInput!) { signUp(input: $i) { errors { code } } }",
                {
                    "i": {
                        "email": "mailme@example.com",
                        "password": PASSWORD,
                        "displayName": "Mail Me",
                        "locale": "es",
                    }
                },
            )
            assert body["data"]["signUp"]["errors"] == []
            for _ in range(200):
                if inbox.messages:
                    break
                await asyncio.sleep(0.02)
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    _sender, recipients, content = inbox.messages[0]
    assert recipients == ["mailme@example.com"]
    text = content.decode()
    assert "Subject: Confirma tu cuenta de Cadenza" in text or "=?utf-8?" in text
    assert re.search(r"http://testserver\.local/confirm\?token=[\w-]+", text)
    for _ in range(200):
        row = await OutboxEmail.select().where(OutboxEmail.to_address == "mailme@example.com").first()
        if row["status"] == "sent":
            break
        await asyncio.sleep(0.02)
    assert row["status"] == "sent" and row["transport"] == "smtp"


async def test_an_expired_confirmation_link_says_so(client, make_user):
    await make_user("slow@example.com", confirmed=False)
    mail = await OutboxEmail.select().where(OutboxEmail.to_address == "slow@example.com").first()
    token = re.search(r"token=([\w-]+)", mail["body_text"]).group(1)
    later = clock.now() + timedelta(days=4)
    clock.set_clock(lambda: later)
    try:
        body = await gql(
            client,
            "mutation($t: String!) { confirmEmail(token: $t) { viewer { id } errors { code message } } }",
            {"t": token},
        )
        page = await client.get("/confirm", params={"token": token, "lang": "de"})
    finally:
        clock.set_clock(None)
    assert body["data"]["confirmEmail"]["errors"][0]["code"] == "CONFIRM_LINK_EXPIRED"
    assert page.status_code == 400 and "abgelaufen" in page.text


async def test_a_failing_smtp_server_is_retried_and_then_marked_failed(workers):
    from backend.core import jobs
    from backend.mail import services as mail

    with settings_override(smtp__host="127.0.0.1", smtp__port=1, smtp__use_tls=False):
        _, job = await mail.queue_email(to="x@example.com", kind="test", subject="s", body="b")
        await jobs.dispatch(job)
        final = await wait_for_job(job["public_id"], within=60)
    assert final["status"] == "failed" and final["attempts"] == 5
    row = await OutboxEmail.select().where(OutboxEmail.to_address == "x@example.com").first()
    assert row["status"] == "pending"  # never claimed as sent
