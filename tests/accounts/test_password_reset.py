from __future__ import annotations

import re
from datetime import timedelta

from backend.core import clock
from backend.mail.tables import OutboxEmail
from tests.fixtures import gql

REQUEST = "mutation($e: String!) { requestPasswordReset(email: $e) { ok errors { code } } }"
RESET = "mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p) { viewer { id } errors { field code } } }"
LOGIN = (
    "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { viewer { id } errors { code } } }"
)


async def _reset_token(email: str) -> str:
    mail = (
        await OutboxEmail.select()
        .where(OutboxEmail.to_address == email, OutboxEmail.kind == "password_reset")
        .first()
    )
    return re.search(r"token=([\w-]+)", mail["body_text"]).group(1)


async def test_reset_link_sets_a_new_password_once(client, make_user):
    await make_user("forgetful@example.com")
    assert (await gql(client, REQUEST, {"e": "forgetful@example.com"}))["data"]["requestPasswordReset"]["ok"]
    token = await _reset_token("forgetful@example.com")
    weak = await gql(client, RESET, {"t": token, "p": "short"})
    assert weak["data"]["resetPassword"]["errors"][0]["code"] == "PASSWORD_TOO_SHORT"
    done = await gql(client, RESET, {"t": token, "p": "a brand new passphrase"})
    assert done["data"]["resetPassword"]["errors"] == []
    assert (await gql(client, LOGIN, {"e": "forgetful@example.com", "p": "a brand new passphrase"}))["data"][
        "logIn"
    ]["errors"] == []
    reused = await gql(client, RESET, {"t": token, "p": "another passphrase here"})
    assert reused["data"]["resetPassword"]["errors"][0]["code"] == "RESET_LINK_USED"


async def test_unknown_address_gets_the_same_answer_and_no_mail(client):
    body = await gql(client, REQUEST, {"e": "nobody@example.com"})
    assert body["data"]["requestPasswordReset"] == {"ok": True, "errors": []}
    assert await OutboxEmail.count() == 0


async def test_an_expired_reset_link_says_so(client, make_user):
    await make_user("late@example.com")
    await gql(client, REQUEST, {"e": "late@example.com"})
    token = await _reset_token("late@example.com")
    real_now = clock.now()
    clock.set_clock(lambda: real_now + timedelta(hours=3))
    try:
        body = await gql(client, RESET, {"t": token, "p": "a brand new passphrase"})
    finally:
        clock.set_clock(None)
    assert body["data"]["resetPassword"]["errors"][0]["code"] == "RESET_LINK_EXPIRED"
