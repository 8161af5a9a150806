"""/graphql over HTTP: status codes, methods, authentication, limits."""

from __future__ import annotations

import pytest

from backend.accounts import services as accounts
from tests.fixtures import actor_of, gql


async def test_malformed_query_is_a_400_with_a_graphql_error(client):
    response = await client.post("/graphql", json={"query": "{ viewer { id "})
    assert response.status_code == 400
    body = response.json()
    assert body["data"] is None and "Syntax Error" in body["errors"][0]["message"]


async def test_unknown_field_is_a_400(client):
    response = await client.post("/graphql", json={"query": "{ nope }"})
    assert response.status_code == 400


async def test_body_that_is_not_json_is_a_400_and_form_posts_are_refused(client):
    response = await client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    form = await client.post("/graphql", data={"query": "{ viewer { id } }"})
    assert form.status_code == 415


async def test_queries_work_over_get_and_mutations_do_not(client):
    ok = await client.get("/graphql", params={"query": "{ viewer { id } }"})
    assert ok.status_code == 200 and ok.json() == {"data": {"viewer": None}}
    refused = await client.get("/graphql", params={"query": "mutation { logOut { ok } }"})
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"


async def test_too_deep_query_is_refused_before_execution(client):
    inner = "user { id }"
    for _ in range(5):  # each round adds three levels: members { nodes { organization { … } } }
        inner = f"members {{ nodes {{ organization {{ {inner} }} }} }}"
    deep = f"{{ viewer {{ organizations {{ nodes {{ organization {{ {inner} }} }} }} }} }}"
    response = await client.post("/graphql", json={"query": deep})
    assert response.status_code == 400
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]
    assert response.json()["data"] is None


async def test_too_many_aliases_is_refused(client):
    query = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(40)) + " }"
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 400


async def test_too_costly_query_is_refused_with_its_cost(client):
    query = (
        "{ viewer { organizations(first: 100) { nodes { organization { members(first: 100) "
        "{ nodes { user { id displayName handle } } } } } } } }"
    )
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["cost"] > error["extensions"]["maxCost"]


async def test_first_above_100_is_refused(client, make_user):
    user = await make_user()
    await accounts.create_api_key(actor_of(user), "k", ["read"])
    from tests.fixtures import log_in

    await log_in(client, user["email"])
    body = await gql(client, "{ viewer { apiKeys(first: 101) { nodes { id } } } }")
    assert body["errors"][0]["extensions"]["code"] == "PAGE_TOO_LARGE"


@pytest.mark.parametrize(
    "header", ["Bearer cdz_aaaaaaaa_" + "x" * 40, "Bearer nonsense", "Basic abc", "Bearer "]
)
async def test_forged_or_malformed_key_is_a_401(client, header):
    response = await client.post(
        "/graphql", json={"query": "{ viewer { id } }"}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_forged_session_cookie_is_a_401(client):
    client.cookies.set("cdz_session", "forged-session-token-that-does-not-exist")
    response = await client.post("/graphql", json={"query": "{ viewer { id } }"})
    assert response.status_code == 401


async def test_api_key_authenticates_and_revocation_takes_effect_at_once(client, make_user):
    user = await make_user("partner@example.com")
    row, secret = await accounts.create_api_key(actor_of(user), "partner", ["read", "write"])
    body = await gql(client, "{ viewer { email auth } }", key=secret)
    assert body["data"]["viewer"] == {"email": "partner@example.com", "auth": "API_KEY"}
    await accounts.revoke_api_key(actor_of(user), row["public_id"])
    await gql(client, "{ viewer { email } }", key=secret, expect_status=401)


async def test_a_read_only_key_cannot_mutate(client, make_user):
    user = await make_user()
    _, secret = await accounts.create_api_key(actor_of(user), "reader", ["read"])
    body = await gql(
        client,
        'mutation { createOrganization(name: "Nope Inc") { organization { id } errors { code } } }',
        key=secret,
    )
    assert body["errors"][0]["extensions"]["code"] == "MISSING_SCOPE"
    from backend.accounts.tables import Organization

    assert await Organization.count() == 0


async def test_api_keys_are_rate_limited_per_key(client, make_user):
    from tests.fixtures import settings_override

    user = await make_user()
    _, secret = await accounts.create_api_key(actor_of(user), "busy", ["read"])
    with settings_override(security__api_requests_per_minute=3):
        statuses = []
        for _ in range(4):
            response = await client.post(
                "/graphql", json={"query": "{ viewer { id } }"}, headers={"Authorization": f"Bearer {secret}"}
            )
            statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
    assert int(response.headers["retry-after"]) > 0


async def test_server_faults_are_masked_outside_debug(client, make_user, monkeypatch):
    user = await make_user()
    from tests.fixtures import log_in

    await log_in(client, user["email"])

    async def boom(*_args, **_kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(accounts, "list_api_keys", boom)
    body = await gql(client, "{ viewer { apiKeys { nodes { id } } } }")
    assert "hunter2" not in str(body)
    assert body["errors"][0]["message"] == "Unexpected error."


async def test_errors_are_translated_for_the_callers_language(client):
    body = await gql(client, '{ organization(id: "org_x") { id } }', headers={"Accept-Language": "ja"})
    assert body["errors"][0]["message"] == "先にログインしてください。"
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_keys_rate_limit_comes_from_its_owners_plan(client, make_user):
    from tests.fixtures import settings_override

    user = await make_user("free@example.com")
    _, secret = await accounts.create_api_key(actor_of(user), "free", ["read"])
    with settings_override(security__api_requests_per_minute=0):  # 0: the plan decides (Free: 60 a minute)
        statuses = [
            (
                await client.post(
                    "/graphql",
                    json={"query": "{ viewer { id } }"},
                    headers={"Authorization": f"Bearer {secret}"},
                )
            ).status_code
            for _ in range(61)
        ]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429


async def test_api_calls_count_against_the_monthly_allowance(client, make_user):
    from backend.billing import usage

    user = await make_user("counted@example.com")
    _, secret = await accounts.create_api_key(actor_of(user), "counted", ["read"])
    for _ in range(3):
        await gql(client, "{ viewer { id } }", key=secret)
    assert await usage.api_calls_this_month(user["id"]) == 3
