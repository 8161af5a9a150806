"""Organizations subscribe to Enterprise per seat; members holding a seat inherit it."""

from __future__ import annotations

from backend.accounts import services as accounts
from backend.accounts.tables import Membership
from backend.billing import services as billing
from backend.core import clock
from tests.billing.helpers import subscribe
from tests.fixtures import actor_of, gql, log_in

ORG_BILLING = (
    "query($o: ID) { billing(organizationId: $o) { name seatsUsed subscription { plan { code } seats } } }"
)


async def _org_with_members(make_user, n: int):
    owner = await make_user("owner@example.com")
    org = await accounts.create_organization(actor_of(owner), "Studio Nine")
    members = []
    for i in range(n):
        member = await make_user(f"member{i}@example.com", display_name=f"Member {i}")
        await Membership.insert(
            Membership(organization=org["id"], user=member["id"], role="member", created_at=clock.now())
        )
        members.append(member)
    return owner, org, members


async def test_members_with_a_seat_inherit_enterprise_and_an_added_seat_reaches_the_next(
    sandbox, client, make_user
):
    owner, org, members = await _org_with_members(make_user, 2)
    await subscribe(actor_of(owner), "enterprise", organization=org["public_id"], seats=2)
    assert (await billing.entitlements(owner["id"])).plan.code == "enterprise"
    first = await billing.entitlements(members[0]["id"])
    assert first.plan.code == "enterprise" and first.source == "organization"
    assert (await billing.entitlements(members[1]["id"])).plan.code == "free"  # no seat left
    await billing.change_plan(
        actor_of(owner), org["public_id"], billing.PlanChange("enterprise", "month", seats=3)
    )
    assert (await billing.entitlements(members[1]["id"])).plan.code == "enterprise"
    await log_in(client, "owner@example.com")
    body = await gql(client, ORG_BILLING, {"o": org["public_id"]})
    assert body["data"]["billing"]["subscription"] == {"plan": {"code": "enterprise"}, "seats": 3}
    assert body["data"]["billing"]["seatsUsed"] == 3


async def test_only_owners_and_admins_see_or_change_an_organizations_billing(sandbox, client, make_user, app):
    import httpx

    owner, org, members = await _org_with_members(make_user, 1)
    await make_user("outsider@example.com")
    await log_in(client, "member0@example.com")
    member_view = await gql(client, ORG_BILLING, {"o": org["public_id"]})
    assert member_view["errors"][0]["extensions"]["code"] == "ORGANIZATION_ADMINS_ONLY"
    start = 'mutation($o: ID) { startCheckout(input: {plan: "enterprise", organizationId: $o, seats: 3}) { url errors { code } } }'
    refused = await gql(client, start, {"o": org["public_id"]})
    assert refused["data"]["startCheckout"]["errors"][0]["code"] == "ORGANIZATION_ADMINS_ONLY"
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50002))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as outsider:
        await log_in(outsider, "outsider@example.com")
        hidden = await gql(outsider, ORG_BILLING, {"o": org["public_id"]})
        assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert owner
