from __future__ import annotations

import re

import pytest

from backend.mail.tables import OutboxEmail
from tests.fixtures import PASSWORD, csrf_token, gql, log_in, wait_for_job

SIGN_UP = """
mutation($input: SignUpInput!) {
  signUp(input: $input) { viewer { id email emailConfirmed handle } errors { field code message } }
}
"""


async def test_sign_up_sends_a_confirmation_link_that_works_once(client, workers):
    body = await gql(
        client,
        SIGN_UP,
        {"input": {"email": "Nina@Example.com", "password": PASSWORD, "displayName": "Nina Simone"}},
    )
    payload = body["data"]["signUp"]
    assert payload["errors"] == []
    assert payload["viewer"]["email"] == "nina@example.com"
    assert payload["viewer"]["emailConfirmed"] is False
    assert payload["viewer"]["handle"] == "nina_simone"

    mail = await OutboxEmail.select().where(OutboxEmail.to_address == "nina@example.com").first()
    assert mail is not None and mail["kind"] == "confirm_email"
    job = await wait_for_job(await _job_for(mail["public_id"]))
    assert job["status"] == "done"
    token = re.search(r"token=([\w-]+)", mail["body_text"]).group(1)

    confirm = "mutation($t: String!) { confirmEmail(token: $t) { viewer { emailConfirmed } errors { code message } } }"
    first = await gql(client, confirm, {"t": token})
    assert first["data"]["confirmEmail"]["viewer"]["emailConfirmed"] is True
    again = await gql(client, confirm, {"t": token})
    assert again["data"]["confirmEmail"]["errors"][0]["code"] == "CONFIRM_LINK_USED"


async def _job_for(email_public_id: str) -> str:
    from backend.core.tables import Job

    rows = (
        await Job.select(Job.public_id, Job.args)
        .where(Job.kind == "mail.deliver_email")
        .output(load_json=True)
    )
    return next(r["public_id"] for r in rows if r["args"]["email_id"] == email_public_id)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "already exists"),
        ("es", "Ya existe"),
        ("pt-BR", "Já existe"),
        ("de", "bereits ein Konto"),
        ("ja", "すでに存在"),
    ],
)
async def test_duplicate_email_is_a_translated_field_error(client, make_user, locale, expected):
    await make_user("taken@example.com")
    body = await gql(
        client,
        SIGN_UP,
        {"input": {"email": "TAKEN@example.com", "password": PASSWORD, "displayName": "Someone"}},
        headers={"Accept-Language": locale},
    )
    errors = body["data"]["signUp"]["errors"]
    assert errors[0]["field"] == "email" and errors[0]["code"] == "EMAIL_TAKEN"
    assert expected in errors[0]["message"]


async def test_weak_password_and_bad_email_are_reported_together(client):
    body = await gql(
        client, SIGN_UP, {"input": {"email": "not-an-email", "password": "short", "displayName": "X"}}
    )
    errors = {e["field"]: e["code"] for e in body["data"]["signUp"]["errors"]}
    assert errors == {"email": "EMAIL_INVALID", "password": "PASSWORD_TOO_SHORT"}
    common = await gql(
        client, SIGN_UP, {"input": {"email": "a@example.com", "password": "password123", "displayName": "X"}}
    )
    assert common["data"]["signUp"]["errors"][0]["code"] == "PASSWORD_COMMON"


async def test_wrong_password_is_rate_limited(client, make_user):
    await make_user("locked@example.com")
    query = "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { viewer { id } errors { code } } }"
    codes = []
    for _ in range(11):
        body = await gql(client, query, {"e": "locked@example.com", "p": "wrong password!!"})
        codes.append(body["data"]["logIn"]["errors"][0]["code"])
    assert codes[:10] == ["BAD_CREDENTIALS"] * 10
    assert codes[10] == "RATE_LIMITED"
    # Even the right password is refused while the limit holds.
    body = await gql(client, query, {"e": "locked@example.com", "p": PASSWORD})
    assert body["data"]["logIn"]["errors"][0]["code"] == "RATE_LIMITED"


async def test_log_in_sets_a_session_that_viewer_sees_and_log_out_ends(client, make_user):
    user = await make_user("kim@example.com", display_name="Kim")
    anonymous = await gql(client, "{ viewer { id } }")
    assert anonymous["data"]["viewer"] is None
    await log_in(client, "kim@example.com")
    me = await gql(client, "{ viewer { id displayName auth } }")
    assert me["data"]["viewer"] == {"id": user["public_id"], "displayName": "Kim", "auth": "SESSION"}
    stolen = client.cookies.get("cdz_session")
    await gql(client, "mutation { logOut { ok } }")
    assert (await gql(client, "{ viewer { id } }"))["data"]["viewer"] is None
    # The old cookie is dead on the server too, not just forgotten by this browser.
    client.cookies.set("cdz_session", stolen)
    body = await gql(client, "{ viewer { id } }", expect_status=401)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_sign_up_page_works_without_javascript(client):
    token = await csrf_token(client, "/signup")
    response = await client.post(
        "/signup",
        data={
            "_csrf_token": token,
            "email": "form@example.com",
            "password": PASSWORD,
            "display_name": "Form User",
            "region": "br",
            "locale": "pt-BR",
            "time_zone": "America/Sao_Paulo",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    home = await client.get("/")
    assert "Form User" in home.text
    assert 'lang="pt-BR"' in home.text
    assert "form@example.com" in home.text  # the confirm banner names the address


async def test_sign_up_form_shows_errors_in_place(client):
    token = await csrf_token(client, "/signup")
    response = await client.post(
        "/signup",
        data={"_csrf_token": token, "email": "bad", "password": "x", "display_name": ""},
        headers={"Accept-Language": "de"},
    )
    assert response.status_code == 422
    assert "Gib eine gültige E-Mail-Adresse ein." in response.text
    assert 'aria-invalid="true"' in response.text


async def test_form_post_without_csrf_token_is_refused(client):
    await client.get("/signup")
    response = await client.post(
        "/signup", data={"email": "x@example.com", "password": PASSWORD, "display_name": "X"}
    )
    assert response.status_code == 403
    from backend.accounts.tables import User

    assert await User.count() == 0
