"""Accounts' User and Viewer reach the community profile (one DataLoader batch for a list)."""

from __future__ import annotations

from backend.social import profiles
from tests.fixtures import actor_of, gql, log_in


async def test_user_and_viewer_have_their_profile(client, make_user):
    cora = await make_user("cora@example.com", display_name="Cora")
    await profiles.update_profile(actor_of(cora), profiles.ProfileChanges(bio="Fiddler", location="Galway"))
    await log_in(client, "cora@example.com")
    body = await gql(
        client, '{ viewer { profile { bio followerCount } } user(handle: "cora") { profile { location } } }'
    )
    assert body["data"] == {
        "viewer": {"profile": {"bio": "Fiddler", "followerCount": 0}},
        "user": {"profile": {"location": "Galway"}},
    }
