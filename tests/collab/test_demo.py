"""The demo seed shares the demo creator's song with the demo listener, once."""

from __future__ import annotations

from backend.collab import demo, queries
from backend.collab import services as collab
from tests.collab.helpers import CREATE
from tests.fixtures import actor_of, gql, log_in


async def test_the_demo_song_is_shared_with_a_comment_and_a_snapshot_once(client, make_user):
    creator = await make_user(demo.CREATOR.replace(".local", ".example"), display_name="Demo Creator")
    listener = await make_user(demo.LISTENER.replace(".local", ".example"), display_name="Demo Listener")
    from backend.accounts.tables import User

    await User.update({User.email: demo.CREATOR}).where(User.id == creator["id"])
    await User.update({User.email: demo.LISTENER}).where(User.id == listener["id"])
    await log_in(client, demo.CREATOR)
    project = (await gql(client, CREATE, {"t": "Demo song"}))["data"]["createProject"]["project"]["id"]
    await demo.seed()
    await demo.seed()
    member = await queries.member(project, listener["id"])
    assert member is not None and member["role"] == "commenter"
    threads = await collab.comment_threads(
        actor_of({**listener, "email": demo.LISTENER}), project, None, None
    )
    assert len(threads.items) == 1
    snapshots = await collab.snapshots(actor_of({**creator, "email": demo.CREATOR}), project, None, None)
    assert [s["name"] for s in snapshots.items] == ["Demo as seeded"]
