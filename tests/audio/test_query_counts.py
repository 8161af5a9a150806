"""Every list field resolves its relations through DataLoaders: the SQL count doesn't grow with the list."""

from __future__ import annotations

from tests.audio.helpers import apply, create_project, op, ready_asset
from tests.fixtures import count_queries, gql, log_in

LIBRARY = (
    "{ assets(first: 100) { nodes { id name status waveform(points: 10) { min max } job { id status } } } }"
)
PROJECTS = (
    "{ projects(first: 100) { nodes { id title revision tracks { id clips { id asset { id name } } } } } }"
)
STUDIO = """query($id: ID!) { project(id: $id) { id tracks { id clips { id asset { id name duration } } effects { id type } }
  operations(first: 100) { nodes { revision kind author { handle } } } } }"""


async def _count(client, query: str, variables: dict | None = None) -> int:
    with count_queries() as counter:
        body = await gql(client, query, variables)
    assert "errors" not in body, body
    return counter.count


async def test_lists_cost_the_same_number_of_queries_for_one_item_or_many(client, make_user):
    user = await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    first_asset = await ready_asset(user["id"])
    project = await create_project(client, "One")
    await apply(
        client,
        project["id"],
        0,
        op("add_track", track={"id": "trk_one000000"}),
        op("add_clip", track_id="trk_one000000", clip={"id": "clp_one000000", "asset_id": first_asset}),
    )
    small = {
        name: await _count(client, q, v)
        for name, q, v in (
            ("library", LIBRARY, None),
            ("projects", PROJECTS, None),
            ("studio", STUDIO, {"id": project["id"]}),
        )
    }

    assets = [first_asset] + [await ready_asset(user["id"], name=f"Loop {i}") for i in range(12)]
    for n in range(5):
        other = await create_project(client, f"Song {n}")
        tracks = [
            op(
                "add_track",
                track={
                    "id": f"trk_{n}x{i:07d}",
                    "clips": [{"id": f"clp_{n}x{i:07d}", "asset_id": assets[i]}],
                },
            )
            for i in range(12)
        ]
        await apply(client, other["id"], 0, *tracks)
    big = await create_project(client, "Big")
    await apply(
        client,
        big["id"],
        0,
        *[
            op(
                "add_track",
                track={
                    "id": f"trk_big{i:06d}",
                    "clips": [{"id": f"clp_big{i:06d}", "asset_id": assets[i]}],
                    "effects": [{"id": f"fx_big{i:07d}", "type": "gain"}],
                },
            )
            for i in range(12)
        ],
    )
    large = {
        name: await _count(client, q, v)
        for name, q, v in (
            ("library", LIBRARY, None),
            ("projects", PROJECTS, None),
            ("studio", STUDIO, {"id": big["id"]}),
        )
    }
    assert large == small, (small, large)
    assert max(large.values()) <= 8, large
