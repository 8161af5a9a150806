"""A downgrade keeps every project and file; what is over the new plan's limits becomes read-only
(``Entitlements.over_limit``), never deleted — checked through the studio itself."""

from __future__ import annotations

from backend.billing import services as billing
from tests.audio.helpers import apply, create_project, op
from tests.billing.helpers import drain, stripe_subscription_id, subscribe
from tests.fixtures import actor_of, gql, log_in

PROJECT = "query($id: ID!) { project(id: $id) { revision trackLimit tracks { id name } } }"


async def test_moving_to_free_keeps_a_twenty_track_project_whole_and_read_only(
    sandbox, client, make_user, workers
):
    user = await make_user("pro@example.com")
    actor = actor_of(user)
    await subscribe(actor, "professional")
    await log_in(client, "pro@example.com")
    project = await create_project(client, "Twenty")
    twenty = [op("add_track", track={"id": f"trk_p{i:08d}", "name": f"Track {i}"}) for i in range(20)]
    assert (await apply(client, project["id"], 0, *twenty))["revision"] == 20

    await billing.cancel_subscription(actor)
    await sandbox.control(
        f"subscriptions/{await stripe_subscription_id(user['id'])}/renew"
    )  # the period ends
    await sandbox.idle()
    await drain()

    ent = await billing.entitlements(user["id"])
    assert ent.plan.code == "free"
    found = (await gql(client, PROJECT, {"id": project["id"]}))["data"]["project"]
    assert len(found["tracks"]) == 20 and found["revision"] == 20  # nothing deleted or trimmed
    assert found["trackLimit"] == 16
    assert ent.over_limit("tracks_per_project", len(found["tracks"]))  # the studio shows it read-only
    refused = await apply(client, project["id"], 20, op("add_track", track={"id": "trk_p99999999"}))
    assert refused["errors"][0]["code"] == "TRACK_LIMIT"
    assert len((await gql(client, PROJECT, {"id": project["id"]}))["data"]["project"]["tracks"]) == 20

    # Subscribing again lifts the limit: the same project grows on.
    await subscribe(actor, "professional")
    grown = await apply(client, project["id"], 20, op("add_track", track={"id": "trk_p99999999"}))
    assert grown["revision"] == 21
