"""Verification: apply with links; moderators grant or decline with a reason; the badge follows; every
decision is logged; nobody else can decide."""

from __future__ import annotations

from backend.social import verification
from backend.social.tables import AuditEntry, Profile, VerificationRequest
from tests.fixtures import actor_of, csrf_token, gql, log_in

APPLY = "mutation($i: VerificationInput!) { applyForVerification(input: $i) { request { id status } errors { field code message } } }"
DECIDE = "mutation($id: ID!, $g: Boolean!, $r: String!) { decideVerification(id: $id, grant: $g, reason: $r) { request { status reason } errors { field code message } } }"


async def _apply(client, links=("https://cora.example", "https://bandcamp.example/cora")):
    body = await gql(client, APPLY, {"i": {"links": list(links), "evidence": "I play at the Crane Bar."}})
    return body["data"]["applyForVerification"]


async def test_apply_grant_badge_and_log(client, make_user):
    cora = await make_user("cora@example.com", display_name="Cora")
    await make_user("mod@example.com", display_name="Mo", role="moderator")
    await log_in(client, "cora@example.com")
    result = await _apply(client)
    assert result["errors"] == [] and result["request"]["status"] == "pending"
    again = await _apply(client)
    assert again["errors"][0]["code"] == "VERIFICATION_PENDING"
    body = await gql(client, "{ verificationQueue { nodes { id } } }")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # creators can't see the queue
    body = await gql(client, DECIDE, {"id": result["request"]["id"], "g": True, "r": ""})
    assert body["data"]["decideVerification"]["errors"][0]["code"] == "FORBIDDEN"
    await log_in(client, "mod@example.com")
    body = await gql(client, "{ verificationQueue { nodes { id links applicant { handle } } } }")
    assert [n["applicant"]["handle"] for n in body["data"]["verificationQueue"]["nodes"]] == [cora["handle"]]
    body = await gql(
        client, DECIDE, {"id": result["request"]["id"], "g": True, "r": "Known venue, matching links."}
    )
    assert body["data"]["decideVerification"]["request"]["status"] == "granted"
    body = await gql(client, DECIDE, {"id": result["request"]["id"], "g": False, "r": "changed my mind"})
    assert body["data"]["decideVerification"]["errors"][0]["code"] == "ALREADY_DECIDED"
    log = await AuditEntry.select().output(load_json=True)
    assert [(e["action"], e["data"]["reason"]) for e in log] == [
        ("verification.granted", "Known venue, matching links.")
    ]
    page = await client.get(f"/@{cora['handle']}")
    assert 'data-testid="verified-badge"' in page.text
    await log_in(client, "cora@example.com")
    body = await gql(client, "{ notifications { nodes { kind message url } } }")
    assert body["data"]["notifications"]["nodes"][0] == {
        "kind": "verification",
        "message": "Your profile is now verified.",
        "url": "/settings/verification",
    }
    assert (await _apply(client))["errors"][0]["code"] == "ALREADY_VERIFIED"


async def test_decline_needs_a_reason_and_the_creator_may_apply_again(client, make_user):
    cora = await make_user("cora@example.com", display_name="Cora", locale="de")
    mod = await make_user("mod@example.com", role="admin")
    await log_in(client, "cora@example.com")
    request_id = (await _apply(client))["request"]["id"]
    await log_in(client, "mod@example.com")
    body = await gql(client, DECIDE, {"id": request_id, "g": False, "r": "  "})
    assert body["data"]["decideVerification"]["errors"][0]["code"] == "REASON_REQUIRED"
    body = await gql(
        client, DECIDE, {"id": request_id, "g": False, "r": "The links don't mention this profile."}
    )
    assert body["data"]["decideVerification"]["request"]["status"] == "declined"
    assert await Profile.count().where(Profile.user_id == cora["id"], Profile.verified_at.is_not_null()) == 0
    await log_in(client, "cora@example.com")
    page = await client.get("/settings/verification")
    assert 'data-state="declined"' in page.text and "The links don&#39;t mention this profile." in page.text
    assert (await _apply(client))["errors"] == []
    assert mod["id"]


async def test_bad_applications_are_refused(client, make_user):
    await make_user("cora@example.com")
    await log_in(client, "cora@example.com")
    assert (await _apply(client, links=[]))["errors"][0]["code"] == "VERIFICATION_LINKS_REQUIRED"
    assert (await _apply(client, links=["javascript:alert(1)"]))["errors"][0]["code"] == "LINK_INVALID"
    assert await VerificationRequest.count() == 0


async def test_moderators_cannot_decide_their_own_request(make_user):
    mod = await make_user("mod@example.com", role="moderator")
    row = await verification.apply(actor_of(mod), ["https://mod.example"], "")
    try:
        await verification.decide(actor_of(mod), row["public_id"], True, "")
    except Exception as exc:  # noqa: BLE001 - asserting the refusal
        assert getattr(exc, "code", "") == "OWN_VERIFICATION"
    else:
        raise AssertionError("a moderator verified themselves")


async def test_the_queue_page_grants_from_a_form(client, make_user):
    cora = await make_user("cora@example.com", display_name="Cora")
    await make_user("mod@example.com", role="moderator", locale="es")
    row = await verification.apply(actor_of(cora), ["https://cora.example"], "")
    await log_in(client, "mod@example.com")
    token = await csrf_token(client, "/moderation/verification")
    page = await client.get("/moderation/verification")
    assert 'data-testid="verification-request"' in page.text and "Solicitudes de verificación" in page.text
    response = await client.post(
        f"/moderation/verification/{row['public_id']}",
        data={"_csrf_token": token, "decision": "grant", "reason": ""},
    )
    assert response.status_code == 303
    page = await client.get("/moderation/verification")
    assert 'data-testid="queue-empty"' in page.text and "Concedida" in page.text
