"""Invitations by email and by handle, answered from a notification or the emailed link; roles."""

from __future__ import annotations

import re

from backend.collab import services as collab
from backend.mail.tables import OutboxEmail
from backend.social.tables import Notification
from tests.collab.helpers import person, shared_project
from tests.fixtures import gql

MY_INVITATIONS = "{ myProjectInvitations { id role projectTitle invitedBy { displayName } invitee } }"


async def test_invite_by_handle_notifies_and_accepting_from_the_notification_joins(
    client, make_user, monkeypatch
):
    shared = await shared_project(client, make_user, monkeypatch, roles=())
    friend = await person(make_user, "friend@example.com", "Fran Friend", "editor")
    handle = friend.user["handle"]
    body = await gql(
        client,
        "mutation($p: ID!, $i: String!) { inviteCollaborator(projectId: $p, invitee: $i, role: COMMENTER) { invitation { id invitee role status } errors { code } } }",
        {"p": shared.project, "i": f"@{handle}"},
        key=shared.owner.key,
    )
    invitation = body["data"]["inviteCollaborator"]["invitation"]
    assert invitation["invitee"] == f"@{handle}" and invitation["status"] == "PENDING"
    # The bell: a notification with a link to the invitation page.
    note = (
        await Notification.select()
        .where(Notification.user_id == friend.user["id"], Notification.kind == "project_invite")
        .output(load_json=True)
        .first()
    )
    assert note is not None and note["data"]["url"].startswith("/project-invitations/")
    listed = (await gql(client, MY_INVITATIONS, key=friend.key))["data"]["myProjectInvitations"]
    assert [(i["id"], i["projectTitle"], i["role"]) for i in listed] == [
        (invitation["id"], "Shared song", "COMMENTER")
    ]
    accepted = await gql(
        client,
        "mutation($i: ID!) { acceptProjectInvitation(invitationId: $i) { role project { id title } errors { code } } }",
        {"i": invitation["id"]},
        key=friend.key,
    )
    assert accepted["data"]["acceptProjectInvitation"]["role"] == "COMMENTER"
    assert accepted["data"]["acceptProjectInvitation"]["project"]["title"] == "Shared song"
    assert (await gql(client, MY_INVITATIONS, key=friend.key))["data"]["myProjectInvitations"] == []
    # Accepting twice is refused, with a reason.
    again = await gql(
        client,
        "mutation($i: ID!) { acceptProjectInvitation(invitationId: $i) { errors { code } } }",
        {"i": invitation["id"]},
        key=friend.key,
    )
    assert again["data"]["acceptProjectInvitation"]["errors"][0]["code"] == "INVITATION_ACCEPTED"


async def test_invite_by_email_sends_a_link_that_only_that_address_can_use(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch, roles=())
    invitation, _ = await collab.invite(shared.owner.actor, shared.project, "Newcomer@Example.com", "editor")
    assert invitation["email"] == "newcomer@example.com" and invitation["user_id"] is None
    mail = await OutboxEmail.select().where(OutboxEmail.to_address == "newcomer@example.com").first()
    assert mail is not None and "Shared song" in mail["subject"]
    token = re.search(r"/project-invitations/([A-Za-z0-9_-]+)", mail["body_text"]).group(1)
    # Someone else signed in can't use the link.
    stranger = await person(make_user, "stranger@example.com", "Stranger", "none")
    wrong = await gql(
        client,
        "mutation($t: String!) { acceptProjectInvitation(token: $t) { errors { code } } }",
        {"t": token},
        key=stranger.key,
    )
    assert wrong["data"]["acceptProjectInvitation"]["errors"][0]["code"] == "INVITATION_WRONG_ACCOUNT"
    # The newcomer signs up with that address and accepts.
    newcomer = await person(make_user, "newcomer@example.com", "New Comer", "editor")
    ok = await gql(
        client,
        "mutation($t: String!) { acceptProjectInvitation(token: $t) { role errors { code } } }",
        {"t": token},
        key=newcomer.key,
    )
    assert ok["data"]["acceptProjectInvitation"] == {"role": "EDITOR", "errors": []}
    people = await gql(
        client,
        "query($p: ID!) { projectCollaboration(projectId: $p) { role members { role user { displayName } } canEdit } }",
        {"p": shared.project},
        key=newcomer.key,
    )
    data = people["data"]["projectCollaboration"]
    assert data["role"] == "EDITOR" and data["canEdit"] is True
    assert [(m["user"]["displayName"], m["role"]) for m in data["members"]] == [
        ("Olive Owner", "OWNER"),
        ("New Comer", "EDITOR"),
    ]


async def test_bad_invitations_are_refused_with_reasons(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    query = "mutation($p: ID!, $i: String!, $r: ProjectRole!) { inviteCollaborator(projectId: $p, invitee: $i, role: $r) { errors { code field } } }"
    cases = [
        ("@nobody_here", "EDITOR", "NO_SUCH_HANDLE"),
        ("not an address", "EDITOR", "BAD_INVITEE"),
        (shared.owner.user["email"], "EDITOR", "INVITE_SELF"),
        (shared["editor"].user["email"], "VIEWER", "ALREADY_MEMBER"),
        ("x@example.com", "OWNER", "BAD_ROLE"),
    ]
    for invitee, role, code in cases:
        body = await gql(client, query, {"p": shared.project, "i": invitee, "r": role}, key=shared.owner.key)
        assert body["data"]["inviteCollaborator"]["errors"][0]["code"] == code, invitee
    # Only the owner invites.
    body = await gql(
        client, query, {"p": shared.project, "i": "y@example.com", "r": "EDITOR"}, key=shared["editor"].key
    )
    assert body["data"]["inviteCollaborator"]["errors"][0]["code"] == "NOT_ALLOWED"


async def test_decline_revoke_and_leave(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    guest = await person(make_user, "guest@example.com", "Guest", "viewer")
    first, _ = await collab.invite(shared.owner.actor, shared.project, "guest@example.com", "viewer")
    declined = await collab.decline(guest.actor, first["public_id"])
    assert declined["status"] == "declined"
    second, token = await collab.invite(shared.owner.actor, shared.project, "guest@example.com", "viewer")
    await collab.revoke(shared.owner.actor, second["public_id"])
    body = await gql(
        client,
        "mutation($t: String!) { acceptProjectInvitation(token: $t) { errors { code } } }",
        {"t": token},
        key=guest.key,
    )
    assert body["data"]["acceptProjectInvitation"]["errors"][0]["code"] == "INVITATION_REVOKED"
    # A collaborator may leave on their own.
    editor = shared["editor"]
    left = await gql(
        client,
        "mutation($p: ID!, $u: ID!) { removeCollaborator(projectId: $p, userId: $u) { removedUserId errors { code } } }",
        {"p": shared.project, "u": editor.id},
        key=editor.key,
    )
    assert left["data"]["removeCollaborator"]["removedUserId"] == editor.id
    shared_list = await gql(client, "{ sharedProjects { nodes { projectId } } }", key=editor.key)
    assert shared_list["data"]["sharedProjects"]["nodes"] == []
