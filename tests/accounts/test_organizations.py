"""Organizations: create, invite by email, accept, roles, removal; lists cost a constant number of queries."""

from __future__ import annotations

import re

from backend.accounts import services as accounts
from backend.mail.tables import OutboxEmail
from tests.fixtures import actor_of, count_queries, gql, log_in

CREATE = "mutation($n: String!) { createOrganization(name: $n) { organization { id slug viewerRole } errors { field code } } }"
INVITE = "mutation($o: ID!, $e: String!, $r: OrgRole!) { inviteMember(organizationId: $o, email: $e, role: $r) { invitation { id } errors { field code } } }"
ACCEPT = "mutation($t: String!) { acceptInvitation(token: $t) { organization { id name } errors { code } } }"


async def _invite_token(email: str) -> str:
    mail = (
        await OutboxEmail.select()
        .where(OutboxEmail.to_address == email, OutboxEmail.kind == "org_invitation")
        .first()
    )
    return re.search(r"token=([\w-]+)", mail["body_text"]).group(1)


async def test_owner_invites_a_member_who_accepts_with_the_emailed_link(client, make_user):
    await make_user("owner@example.com", display_name="Olga Owner")
    await make_user("member@example.com", display_name="Max Member")
    await log_in(client, "owner@example.com")
    created = (await gql(client, CREATE, {"n": "Sound Factory"}))["data"]["createOrganization"]
    org = created["organization"]
    assert created["errors"] == [] and org["slug"] == "sound-factory" and org["viewerRole"] == "OWNER"
    invited = await gql(client, INVITE, {"o": org["id"], "e": "Member@Example.com", "r": "MEMBER"})
    assert invited["data"]["inviteMember"]["errors"] == []
    token = await _invite_token("member@example.com")

    client.cookies.clear()
    await log_in(client, "member@example.com")
    accepted = await gql(client, ACCEPT, {"t": token})
    assert accepted["data"]["acceptInvitation"]["organization"]["name"] == "Sound Factory"
    again = await gql(client, ACCEPT, {"t": token})
    assert again["data"]["acceptInvitation"]["errors"][0]["code"] == "INVITE_LINK_USED"
    members = await gql(
        client,
        "query($id: ID!) { organization(id: $id) { viewerRole members { nodes { role user { displayName } } } } }",
        {"id": org["id"]},
    )
    data = members["data"]["organization"]
    assert data["viewerRole"] == "MEMBER"
    assert {(m["role"], m["user"]["displayName"]) for m in data["members"]["nodes"]} == {
        ("OWNER", "Olga Owner"),
        ("MEMBER", "Max Member"),
    }


async def test_an_invitation_for_someone_else_cannot_be_used(client, make_user):
    owner = await make_user("owner@example.com")
    await make_user("intruder@example.com")
    org = await accounts.create_organization(actor_of(owner), "Private Label")
    await accounts.invite_member(actor_of(owner), org["public_id"], "friend@example.com", "member")
    token = await _invite_token("friend@example.com")
    await log_in(client, "intruder@example.com")
    body = await gql(client, ACCEPT, {"t": token})
    assert body["data"]["acceptInvitation"]["errors"][0]["code"] == "INVITE_WRONG_ACCOUNT"


async def test_non_members_cannot_see_an_organization(client, make_user):
    owner = await make_user("owner@example.com")
    await make_user("stranger@example.com")
    org = await accounts.create_organization(actor_of(owner), "Secret Society")
    await log_in(client, "stranger@example.com")
    body = await gql(client, "query($id: ID!) { organization(id: $id) { name } }", {"id": org["public_id"]})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    page = await client.get(f"/orgs/{org['public_id']}", headers={"accept": "text/html"})
    assert page.status_code == 404 and "Secret Society" not in page.text


async def test_members_cannot_promote_themselves_and_the_last_owner_stays(client, make_user):
    owner = await make_user("owner@example.com")
    member = await make_user("member@example.com")
    org = await accounts.create_organization(actor_of(owner), "Band")
    from backend.accounts.tables import Membership

    await Membership.insert(Membership(organization=org["id"], user=member["id"], role="member"))
    await log_in(client, "member@example.com")
    change = "mutation($o: ID!, $u: ID!, $r: OrgRole!) { changeMemberRole(organizationId: $o, userId: $u, role: $r) { membership { role } errors { code } } }"
    body = await gql(client, change, {"o": org["public_id"], "u": member["public_id"], "r": "OWNER"})
    assert body["data"]["changeMemberRole"]["errors"][0]["code"] == "FORBIDDEN"
    client.cookies.clear()
    await log_in(client, "owner@example.com")
    body = await gql(client, change, {"o": org["public_id"], "u": owner["public_id"], "r": "MEMBER"})
    assert body["data"]["changeMemberRole"]["errors"][0]["code"] == "LAST_OWNER"


async def test_member_list_costs_the_same_number_of_queries_for_3_or_30_members(client, make_user):
    owner = await make_user("owner@example.com")
    org = await accounts.create_organization(actor_of(owner), "Choir")
    from backend.accounts.tables import Membership

    await log_in(client, "owner@example.com")
    query = "query($id: ID!) { organization(id: $id) { members(first: 100) { nodes { role user { displayName handle } } } } }"
    counts = []
    for target in (3, 30):
        while await Membership.count().where(Membership.organization == org["id"]) < target:
            n = await Membership.count()
            user = await make_user(f"singer{n}@example.com", display_name=f"Singer {n}")
            await Membership.insert(Membership(organization=org["id"], user=user["id"], role="member"))
        with count_queries() as counter:
            body = await gql(client, query, {"id": org["public_id"]})
        assert len(body["data"]["organization"]["members"]["nodes"]) == target
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


async def test_api_key_list_costs_a_constant_number_of_queries(client, make_user):
    user = await make_user()
    await log_in(client, user["email"])
    counts = []
    for total in (2, 20):
        while len((await accounts.list_api_keys(actor_of(user), 100, None)).items) < total:
            await accounts.create_api_key(actor_of(user), "k", ["read"])
        with count_queries() as counter:
            body = await gql(
                client, "{ viewer { createdAt apiKeys(first: 50) { nodes { id prefix scopes active } } } }"
            )
        assert len(body["data"]["viewer"]["apiKeys"]["nodes"]) == total
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


async def test_creating_a_key_with_no_scope_ticked_gives_a_read_key(client, make_user):
    from tests.fixtures import csrf_token

    await make_user("scopes@example.com")
    await log_in(client, "scopes@example.com")
    token = await csrf_token(client, "/settings/api-keys")
    response = await client.post("/settings/api-keys", data={"_csrf_token": token, "name": "no boxes"})
    assert response.status_code == 201
    assert "cdz_" in response.text
    keys = (await gql(client, "{ viewer { apiKeys { nodes { scopes } } } }"))["data"]["viewer"]["apiKeys"][
        "nodes"
    ]
    assert keys == [{"scopes": ["READ"]}]
