"""At the track limit the studio offers the plan that lifts it, instead of a bare refusal."""

from __future__ import annotations

from tests.audio.helpers import apply, create_project, op
from tests.fixtures import log_in


async def test_a_free_user_at_16_tracks_is_offered_creator(client, make_user):
    await make_user("limit@example.com")
    await log_in(client, "limit@example.com")
    project = await create_project(client, "Full house")
    tracks = [op("add_track", index=i, track={"id": f"trk_limit{i:02d}", "name": f"T{i}"}) for i in range(16)]
    committed = await apply(client, project["id"], project["revision"], *tracks)
    assert committed["errors"] == []
    page = await client.get(f"/projects/{project['id']}")
    assert 'data-testid="track-limit"' in page.text
    assert 'data-testid="track-limit-upgrade" data-plan="creator"' in page.text
    assert "/pricing?highlight=creator" in page.text
    assert 'data-testid="add-track-submit"' not in page.text
