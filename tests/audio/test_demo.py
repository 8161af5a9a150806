"""The demo studio seeds ready sounds and a playable project, once."""

from __future__ import annotations

from backend.audio import demo
from backend.audio.tables import Asset, Project
from tests.audio.helpers import make_demo_creator


async def test_demo_seed_is_idempotent_and_leaves_a_renderable_project(make_user, monkeypatch):
    await make_demo_creator(make_user, monkeypatch)
    await demo.seed()
    await demo.seed()
    assets = await Asset.select(Asset.name, Asset.status, Asset.duration, Asset.true_peak)
    assert sorted(a["name"] for a in assets) == ["Demo drums", "Demo pad"]
    assert all(a["status"] == "ready" and abs(a["duration"] - 4.0) < 0.01 for a in assets)
    assert all(a["true_peak"] < 0 for a in assets), "the synthesised sounds don't clip"
    projects = await Project.select(Project.title, Project.revision, Project.document).output(load_json=True)
    assert len(projects) == 1 and projects[0]["title"] == "Demo song"
    doc = projects[0]["document"]
    assert [t["name"] for t in doc["tracks"]] == ["Drums", "Pad"]
    assert sum(len(t["clips"]) for t in doc["tracks"]) == 4
    assert doc["master"]["mastering"] == "streaming"


async def test_a_renamed_demo_project_is_not_seeded_again(make_user, monkeypatch):
    await make_demo_creator(make_user, monkeypatch)
    await demo.seed()
    await Project.update({Project.title: "Neon Nights"}, force=True)
    await demo.seed()  # the next `cadenza dev` start
    assert sorted(a["name"] for a in await Asset.select(Asset.name)) == ["Demo drums", "Demo pad"]
    assert [p["title"] for p in await Project.select(Project.title)] == ["Neon Nights"]
