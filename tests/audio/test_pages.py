"""Studio pages: full renders and HTMX fragments, forms without JavaScript, every locale, and privacy."""

from __future__ import annotations

import re

import httpx
import pytest

from backend.audio.tables import Project
from tests.audio.helpers import apply, create_project, op, ready_asset
from tests.fixtures import csrf_token, log_in

HX = {"HX-Request": "true"}


async def _htmx_op(client, project_id: str, token: str, base: int, **fields: str) -> httpx.Response:
    """An operation posted as the studio page posts its forms (htmx)."""
    return await client.post(
        f"/projects/{project_id}/ops",
        headers=HX,
        data={"_csrf_token": token, "base_revision": str(base), **fields},
    )


async def _studio_with_content(client, user) -> dict:
    asset = await ready_asset(user["id"], name="Kick loop")
    project = await create_project(client, "Night drive")
    await apply(
        client,
        project["id"],
        0,
        op("add_track", track={"id": "trk_drums0000", "name": "Drums"}),
        op(
            "add_clip",
            track_id="trk_drums0000",
            clip={"id": "clp_kick0000", "asset_id": asset, "start": 1, "length": 4},
        ),
        op("add_effect", target="trk_drums0000", effect={"id": "fx_verb00000", "type": "reverb"}),
        op("add_effect", target="master", effect={"id": "fx_limit0000", "type": "limiter"}),
    )
    return {"project": project["id"], "asset": asset}


async def test_library_projects_and_studio_render_fully_and_as_fragments(client, make_user):
    user = await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    ids = await _studio_with_content(client, user)

    library = await client.get("/library")
    assert library.status_code == 200 and "<html" in library.text
    assert 'data-testid="asset-row"' in library.text and "Kick loop" in library.text
    assert 'data-testid="asset-waveform"' in library.text and 'data-testid="upload-form"' in library.text
    fragment = await client.get("/library", headers=HX)
    assert "<html" not in fragment.text and 'id="library"' in fragment.text

    projects = await client.get("/projects")
    assert (
        projects.status_code == 200
        and "Night drive" in projects.text
        and 'data-testid="project-form"' in projects.text
    )

    studio = await client.get(f"/projects/{ids['project']}")
    assert studio.status_code == 200
    for testid in (
        "studio",
        "timeline",
        "track",
        "timeline-clip",
        "effect",
        "render-panel",
        "export-form",
        "master",
    ):
        assert f'data-testid="{testid}"' in studio.text, testid
    assert 'data-revision="4"' in studio.text
    assert re.search(r'<path d="M[\d.]+ [\d.]+V', studio.text), "the clip draws its waveform"
    part = await client.get(f"/projects/{ids['project']}", headers=HX)
    assert "<html" not in part.text and part.text.lstrip().startswith('<div id="studio"')


async def test_every_control_works_as_a_plain_form_without_javascript(client, make_user):
    user = await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    ids = await _studio_with_content(client, user)
    token = await csrf_token(client, f"/projects/{ids['project']}")
    url = f"/projects/{ids['project']}/ops"

    async def post(revision: int, **fields) -> httpx.Response:
        return await client.post(url, data={"_csrf_token": token, "base_revision": str(revision), **fields})

    response = await post(4, op="set_track", track_id="trk_drums0000", field="gain_db", value="-6")
    assert response.status_code == 303 and response.headers["location"] == f"/projects/{ids['project']}"
    response = await post(5, op="add_tracks", count="3", name="")
    assert response.status_code == 303
    response = await post(
        8,
        op="edit_clip",
        track_id="trk_drums0000",
        clip_id="clp_kick0000",
        start="2",
        offset="0.5",
        length="3",
        gain_db="-3",
        fade_in="0.25",
        fade_out="0.5",
    )
    assert response.status_code == 303
    response = await post(
        13,
        op="set_effect_param",
        target="trk_drums0000",
        effect_id="fx_verb00000",
        param="room_size",
        value="0.9",
    )
    assert response.status_code == 303
    response = await post(14, op="set_master", field="mastering", value="streaming")
    assert response.status_code == 303
    response = await post(15, op="set_track", track_id="trk_drums0000", field="mute")  # unchecked box: off
    assert response.status_code == 303

    row = await Project.select(Project.document, Project.revision).first().output(load_json=True)
    doc = row["document"]
    assert row["revision"] == 16  # the clip form sent five operations (trim, gain, two fades, move)
    drums = doc["tracks"][0]
    assert drums["gain_db"] == -6.0 and drums["mute"] is False
    assert [t["name"] for t in doc["tracks"][1:]] == ["Track 2", "Track 3", "Track 4"]
    assert drums["clips"][0] | {} == {
        "id": "clp_kick0000",
        "asset_id": ids["asset"],
        "start": 2.0,
        "offset": 0.5,
        "length": 3.0,
        "gain_db": -3.0,
        "fade_in": 0.25,
        "fade_out": 0.5,
    }
    assert drums["effects"][0]["params"]["room_size"] == 0.9
    assert doc["master"]["mastering"] == "streaming"


async def test_the_studio_names_the_project_first_and_a_rename_shows_there_at_once(client, make_user):
    user = await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    ids = await _studio_with_content(client, user)
    studio = await client.get(f"/projects/{ids['project']}")
    crumb = re.search(r'data-testid="crumb-title"[^>]*>([^<]*)<', studio.text)
    assert crumb and crumb.group(1) == "Night drive"
    assert studio.text.index('data-testid="crumb-title"') < studio.text.index('data-testid="collab-slot"')
    token = await csrf_token(client, f"/projects/{ids['project']}")
    renamed = await _htmx_op(
        client, ids["project"], token, 4, op="set_project", field="title", value="Day drive"
    )
    assert renamed.status_code == 200
    assert re.search(r'id="crumb-title"[^>]*hx-swap-oob="true">Day drive<', renamed.text), renamed.text[-600:]


async def test_htmx_change_returns_the_studio_and_a_stale_revision_shows_the_fresh_state(client, make_user):
    user = await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    ids = await _studio_with_content(client, user)
    token = await csrf_token(client, f"/projects/{ids['project']}")
    ok = await _htmx_op(
        client, ids["project"], token, 4, op="set_track", track_id="trk_drums0000", field="solo", value="true"
    )
    assert ok.status_code == 200 and 'data-revision="5"' in ok.text and "<html" not in ok.text
    assert 'id="render-freshness"' not in ok.text  # nothing rendered yet, so nothing to mark stale
    stale = await _htmx_op(
        client,
        ids["project"],
        token,
        4,
        op="set_track",
        track_id="trk_drums0000",
        field="name",
        value="Old view",
    )
    assert stale.status_code == 409
    assert 'data-testid="studio-notice"' in stale.text and 'data-revision="5"' in stale.text
    assert "Old view" not in stale.text
    bad = await _htmx_op(
        client,
        ids["project"],
        token,
        5,
        op="set_track",
        track_id="trk_drums0000",
        field="gain_db",
        value="loud",
    )
    assert bad.status_code == 422 and "Enter a number" in bad.text


@pytest.mark.parametrize(
    ("locale", "word"),
    [("en", "Tracks"), ("es", "Pistas"), ("pt-BR", "Faixas"), ("de", "Spuren"), ("ja", "トラック")],
)
async def test_studio_pages_in_every_locale(client, make_user, locale, word):
    user = await make_user("ada@example.com", locale=locale)
    await log_in(client, "ada@example.com")
    ids = await _studio_with_content(client, user)
    for path in ("/library", "/projects", f"/projects/{ids['project']}"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-language"] == locale
        assert "audio." not in re.sub(r"<[^>]+>", "", response.text).replace("audio.cadenza", ""), path
    studio = await client.get(f"/projects/{ids['project']}")
    assert word in studio.text


async def test_pages_are_private(client, app, make_user):
    owner = await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    ids = await _studio_with_content(client, owner)
    eve = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50003)),
        base_url="http://testserver.local",
    )
    try:
        await make_user("eve@example.com", display_name="Eve")
        await log_in(eve, "eve@example.com")
        token = await csrf_token(eve, "/projects")
        for path in (
            f"/projects/{ids['project']}",
            f"/projects/{ids['project']}/render-panel",
            f"/projects/{ids['project']}/exports",
            f"/library/assets/{ids['asset']}",
        ):
            response = await eve.get(path, headers={"Accept": "text/html"})
            assert response.status_code == 404, path
        for path, data in (
            (
                f"/projects/{ids['project']}/ops",
                {"base_revision": "4", "op": "set_master", "field": "gain_db", "value": "-3"},
            ),
            (f"/projects/{ids['project']}/render", {}),
            (
                f"/projects/{ids['project']}/export",
                {"format": "wav", "sample_rate": "48000", "bit_depth": "16"},
            ),
            (f"/projects/{ids['project']}/delete", {}),
            (f"/library/assets/{ids['asset']}/delete", {}),
        ):
            response = await eve.post(
                path, data={"_csrf_token": token, **data}, headers={"Accept": "text/html"}
            )
            assert response.status_code in (404, 303, 422), (path, response.status_code)
        row = await Project.select(Project.revision).first()
        assert row["revision"] == 4, "nothing Eve posted changed Ada's project"
        library = await eve.get("/library")
        assert "Kick loop" not in library.text
    finally:
        await eve.aclose()
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver.local")
    response = await anonymous.get(f"/projects/{ids['project']}", headers={"Accept": "text/html"})
    assert response.status_code in (303, 401) and "/login" in response.headers.get("location", "/login")


async def test_upload_without_javascript_then_the_row_updates_itself(client, make_user, workers):
    from tests.audio.helpers import tone_wav
    from tests.fixtures import wait_for_job

    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    token = await csrf_token(client, "/library")
    empty = await client.post("/library/upload", data={"_csrf_token": token})
    assert empty.status_code == 422 and "Choose a file" in empty.text
    response = await client.post(
        "/library/upload",
        data={"_csrf_token": token},
        files={"file": ("Plain form.wav", tone_wav(0.5), "audio/wav")},
    )
    assert response.status_code == 303
    library = await client.get("/library")
    assert "Plain form" in library.text and "Added to your library" in library.text
    asset_id = re.search(r'data-asset-id="(ast_\w+)"', library.text).group(1)
    job_id = re.search(r'id="job-(job_\w+)"', library.text)
    if job_id:
        await wait_for_job(job_id.group(1), within=60)
    row = await client.get(f"/library/assets/{asset_id}?wait=1", headers=HX)
    assert row.status_code == 200 and 'data-status="READY"' in row.text and "<html" not in row.text
    # The finished row brings the storage gauge along (out of band), now counting the sound.
    gauge = re.search(
        r'<div class="meter-line" id="storage-meter"[^>]*hx-swap-oob="true">\s*<span>([^<]*)<', row.text
    )
    assert gauge and "Storage: 0 B" not in gauge.group(1) and " of " in gauge.group(1), row.text[-600:]


async def _tone_asset(client) -> str:
    """A one-second tone uploaded and ingested by the workers; its asset id."""
    from tests.audio.helpers import tone_wav, upload
    from tests.fixtures import gql, wait_for_job

    upload_id = await upload(client, tone_wav(1.0), "tone.wav")
    created = await gql(
        client,
        "mutation($u: ID!) { createAsset(uploadId: $u) { asset { id job { id } } } }",
        {"u": upload_id},
    )
    asset = created["data"]["createAsset"]["asset"]
    await wait_for_job(asset["job"]["id"], within=60)
    return asset["id"]


async def _render_in_studio(client, project_id: str, token: str) -> httpx.Response:
    """Press render in the studio and return the mix panel once the render is done."""
    from tests.fixtures import wait_for_job

    started = await client.post(f"/projects/{project_id}/render", data={"_csrf_token": token}, headers=HX)
    assert started.status_code == 200 and 'data-testid="render-panel"' in started.text
    job_id = re.search(r'id="job-(job_\w+)"', started.text)
    if job_id:  # still running: the page shows the job's live bar and a poll that answers 204 meanwhile
        assert 'data-testid="job-bar"' in started.text
        await wait_for_job(job_id.group(1), within=60)
    return await client.get(f"/projects/{project_id}/render-panel?wait=1", headers=HX)


async def test_render_and_export_from_the_studio_page(client, make_user, workers):
    from tests.fixtures import wait_for_job

    await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    asset = await _tone_asset(client)
    project = await create_project(client, "Page render")
    await apply(
        client,
        project["id"],
        0,
        op("add_track", track={"id": "trk_page00000"}),
        op("add_clip", track_id="trk_page00000", clip={"id": "clp_page00000", "asset_id": asset}),
    )
    token = await csrf_token(client, f"/projects/{project['id']}")

    done = await _render_in_studio(client, project["id"], token)
    assert (
        done.status_code == 200
        and 'data-testid="mix-player"' in done.text
        and 'data-testid="meter-lufs"' in done.text
    )
    assert 'data-current="true"' in done.text
    # An edit afterwards tells the mix panel (swapped out of band) that it is now outdated.
    edited = await _htmx_op(client, project["id"], token, 2, op="set_master", field="gain_db", value="-2")
    assert edited.status_code == 200
    assert re.search(r'id="render-freshness"[^>]*data-current="false"[^>]*hx-swap-oob="true"', edited.text)

    # Free plan: FLAC shows the upgrade prompt (HTTP 402), never a bare error.
    refused = await client.post(
        f"/projects/{project['id']}/export",
        headers=HX,
        data={"_csrf_token": token, "format": "flac", "sample_rate": "48000", "bit_depth": "16"},
    )
    assert refused.status_code == 402 and 'data-testid="upgrade-prompt"' in refused.text
    assert "FLAC export is not included in your plan." in refused.text
    ok = await client.post(
        f"/projects/{project['id']}/export",
        headers=HX,
        data={"_csrf_token": token, "format": "mp3", "sample_rate": "44100", "quality": "V0"},
    )
    assert ok.status_code == 200 and 'data-testid="export-item"' in ok.text
    export_job = re.search(r'id="job-(job_\w+)"', ok.text)
    if export_job:
        await wait_for_job(export_job.group(1), within=60)
    listing = await client.get(f"/projects/{project['id']}/exports?wait=1", headers=HX)
    assert (
        listing.status_code == 200
        and 'data-testid="export-download"' in listing.text
        and "_V0.mp3" in listing.text
    )


@pytest.mark.parametrize(
    ("locale", "marker"), [("en", "before reverb"), ("de", "vor dem Hall"), ("ja", "リバーブ前")]
)
async def test_the_mix_panel_says_which_peaks_were_metered_before_a_shared_reverb(
    client, make_user, workers, locale, marker
):
    await make_user("ada@example.com", locale=locale)
    await log_in(client, "ada@example.com")
    asset = await _tone_asset(client)
    project = await create_project(client, "Shared hall")
    ops = []
    for name in ("Vox", "Keys", "Dry"):
        track_id = f"trk_{name.lower():0<9}"
        ops += [
            op("add_track", track={"id": track_id, "name": name}),
            op("add_clip", track_id=track_id, clip={"id": f"clp_{name.lower():0<9}", "asset_id": asset}),
        ]
        if name != "Dry":  # two tracks, one pan, the same reverb: they share it
            ops.append(
                op("add_effect", target=track_id, effect={"id": f"fx_{name.lower():0<9}", "type": "reverb"})
            )
    await apply(client, project["id"], 0, *ops)
    token = await csrf_token(client, f"/projects/{project['id']}")

    done = await _render_in_studio(client, project["id"], token)
    assert done.status_code == 200 and 'data-testid="track-peaks"' in done.text
    found = re.findall(r'aria-label="((?:Vox|Keys|Dry) · [^"]*)"', done.text)
    labels = {label.split(" · ")[0]: label for label in found}
    assert marker in labels["Vox"] and marker in labels["Keys"] and marker not in labels["Dry"], labels
    assert 'data-testid="shared-reverb-note"' in done.text


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("es", "no está incluida"),
        ("pt-BR", "não está incluída"),
        ("de", "nicht enthalten"),
        ("ja", "含まれていません"),
    ],
)
async def test_the_upgrade_prompt_speaks_every_language(client, make_user, locale, text):
    user = await make_user("ada@example.com", locale=locale)
    await log_in(client, "ada@example.com")
    ids = await _studio_with_content(client, user)
    token = await csrf_token(client, f"/projects/{ids['project']}")
    refused = await client.post(
        f"/projects/{ids['project']}/export",
        headers=HX,
        data={"_csrf_token": token, "format": "wav", "sample_rate": "96000", "bit_depth": "16"},
    )
    assert refused.status_code == 402 and text in refused.text
    assert re.search(r'href="/pricing"[^>]*data-testid="upgrade-link"', refused.text)


async def test_delete_a_project_from_the_studio(client, make_user):
    user = await make_user("ada@example.com")
    await log_in(client, "ada@example.com")
    ids = await _studio_with_content(client, user)
    studio = await client.get(f"/projects/{ids['project']}")
    assert 'data-testid="project-delete"' in studio.text
    token = await csrf_token(client, f"/projects/{ids['project']}")
    response = await client.post(f"/projects/{ids['project']}/delete", data={"_csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/projects"
    listing = await client.get("/projects")
    assert "Night drive" in listing.text  # the flash names it
    assert 'data-testid="project-item"' not in listing.text
    assert await Project.count() == 0
