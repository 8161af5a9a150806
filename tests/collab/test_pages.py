"""Collaboration pages: the studio's panel (and its parts as fragments), forms that work without
JavaScript, the share page with its upgrade prompt, invitations, "shared with me" — in every locale."""

from __future__ import annotations

import re

import pytest

from backend.accounts.tables import User
from backend.collab import services as collab
from backend.core.i18n import LOCALES
from tests.collab.helpers import person, shared_project
from tests.fixtures import PASSWORD, csrf_token, log_in

HX = {"HX-Request": "true"}


async def _as(client, who) -> None:
    client.cookies.clear()
    await log_in(client, who.user["email"], PASSWORD)


async def test_the_studio_loads_the_panel_and_its_parts_refresh_as_fragments(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    await collab.add_comment(
        shared.owner.actor, shared.project, "Louder drums?", time=65.0, track_id="trk_drums0001"
    )
    await _as(client, shared["editor"])
    studio = await client.get(f"/projects/{shared.project}")
    assert studio.status_code == 200 and 'data-testid="collab-slot"' in studio.text
    assert f'hx-get="/projects/{shared.project}/collab"' in studio.text
    panel = await client.get(f"/projects/{shared.project}/collab", headers=HX)
    assert panel.status_code == 200 and "<html" not in panel.text
    for marker in (
        "data-collab-panel",
        'data-role="EDITOR"',
        "collab.js",
        "collab-ot.js",
        'data-testid="comment-form"',
        'data-testid="history-list"',
        'data-testid="call-join"',
    ):
        assert marker in panel.text, marker
    assert "Louder drums?" in panel.text and "1:05" in panel.text and "Drums" in panel.text
    comments = await client.get(f"/projects/{shared.project}/collab/comments", headers=HX)
    assert comments.text.lstrip().startswith('<div id="collab-comments"')
    history = await client.get(f"/projects/{shared.project}/collab/history", headers=HX)
    assert 'id="collab-history"' in history.text and 'data-testid="history-entry"' in history.text
    # Without JavaScript the panel is a page of its own.
    page = await client.get(f"/projects/{shared.project}/collab")
    assert "<html" in page.text and 'data-testid="back-to-studio"' in page.text


async def test_forms_work_without_javascript_and_as_htmx_posts(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    await _as(client, shared["editor"])
    token = await csrf_token(client, f"/projects/{shared.project}/collab")
    posted = await client.post(
        f"/projects/{shared.project}/comments",
        data={"_csrf_token": token, "body": "Nice groove", "time": "12", "track_id": ""},
    )
    assert posted.status_code == 303 and posted.headers["location"] == f"/projects/{shared.project}/collab"
    fragment = await client.post(
        f"/projects/{shared.project}/comments",
        data={"_csrf_token": token, "body": "", "time": "1"},
        headers=HX,
    )
    assert (
        fragment.status_code == 422
        and 'id="collab-comments"' in fragment.text
        and 'data-testid="form-errors"' in fragment.text
    )
    snap = await client.post(
        f"/projects/{shared.project}/snapshots", data={"_csrf_token": token, "name": "Verse done"}, headers=HX
    )
    assert snap.status_code == 200 and "Verse done" in snap.text
    snapshot_id = re.search(r'name="snapshot_id" value="([^"]+)"', snap.text).group(1)
    restored = await client.post(
        f"/projects/{shared.project}/restore",
        data={"_csrf_token": token, "snapshot_id": snapshot_id, "label": "Verse done"},
    )
    assert restored.status_code == 303  # nothing changed since: refused with a message, as a flash
    flashed = await client.get(restored.headers["location"])
    assert "already looks like that version" in flashed.text


async def test_the_share_page_invites_and_shows_the_upgrade_prompt_to_a_free_owner(
    client, make_user, monkeypatch
):
    shared = await shared_project(client, make_user, monkeypatch)
    await _as(client, shared.owner)
    page = await client.get(f"/projects/{shared.project}/share")
    assert (
        page.status_code == 200 and 'data-testid="invite-form"' in page.text and "Editor Person" in page.text
    )
    token = await csrf_token(client, f"/projects/{shared.project}/share")
    sent = await client.post(
        f"/projects/{shared.project}/share",
        data={"_csrf_token": token, "invitee": "pat@example.com", "role": "commenter"},
    )
    assert sent.status_code == 303
    assert "pat@example.com" in (await client.get(sent.headers["location"])).text
    # A free owner gets the upgrade prompt instead.
    free = await person(make_user, "free@example.com", "Free Fred", "owner")
    await _as(client, free)
    token = await csrf_token(client, "/projects")
    created = await client.post(
        "/projects",
        data={
            "_csrf_token": token,
            "title": "Mine",
            "tempo": "120",
            "beats": "4",
            "beat_unit": "4",
            "sample_rate": "48000",
        },
    )
    project = created.headers["location"].rsplit("/", 1)[-1]
    refused = await client.post(
        f"/projects/{project}/share",
        data={"_csrf_token": token, "invitee": "x@example.com", "role": "editor"},
    )
    assert refused.status_code == 402 and 'data-testid="upgrade-prompt"' in refused.text


async def test_an_invitation_link_opens_a_page_to_accept_it(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch, roles=())
    guest = await person(make_user, "guest@example.com", "Gus Guest", "viewer")
    _, secret = await collab.invite(shared.owner.actor, shared.project, "guest@example.com", "viewer")
    await _as(client, guest)
    listed = await client.get("/shared")
    assert 'data-testid="shared-invitations"' in listed.text and "Shared song" in listed.text
    page = await client.get(f"/project-invitations/{secret}")
    assert page.status_code == 200 and "Olive Owner" in page.text and "Shared song" in page.text
    token = await csrf_token(client, f"/project-invitations/{secret}")
    accepted = await client.post("/project-invitations/accept", data={"_csrf_token": token, "token": secret})
    assert accepted.status_code == 303 and accepted.headers["location"] == f"/projects/{shared.project}"
    shared_page = await client.get("/shared")
    assert 'data-testid="shared-project"' in shared_page.text
    # An outsider's link page says why, translated, and shows no project.
    stranger = await person(make_user, "stranger@example.com", "Stranger", "none")
    await _as(client, stranger)
    foreign = await client.get(f"/project-invitations/{secret}")
    assert foreign.status_code == 404 and "Shared song" not in foreign.text


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_page_renders_in_every_locale(client, make_user, monkeypatch, locale):
    shared = await shared_project(client, make_user, monkeypatch)
    await collab.add_comment(shared.owner.actor, shared.project, "Idea", time=3.0)
    await collab.create_snapshot(shared.owner.actor, shared.project, "v1")
    await collab.invite(shared.owner.actor, shared.project, "later@example.com", "viewer")
    await User.update({User.locale: locale}).where(User.id == shared.owner.user["id"])
    await _as(client, shared.owner)
    headers = {"Accept-Language": locale}
    for path in (
        f"/projects/{shared.project}",
        f"/projects/{shared.project}/collab",
        f"/projects/{shared.project}/share",
        "/shared",
        "/project-invitations",
    ):
        full = await client.get(path, headers=headers)
        assert full.status_code == 200, (path, locale)
        assert full.headers["content-language"] == locale
        assert "collab." not in re.sub(r'(href|action|hx-\w+|src|data-[\w-]+)="[^"]*"', "", full.text), (
            path,
            locale,
        )
    fragment = await client.get(f"/projects/{shared.project}/collab", headers={**headers, **HX})
    assert fragment.status_code == 200 and "collab." not in re.sub(
        r'(href|action|hx-\w+|src|data-[\w-]+)="[^"]*"', "", fragment.text
    )


async def test_outsiders_get_nothing_from_the_pages_either(client, make_user, monkeypatch):
    shared = await shared_project(client, make_user, monkeypatch)
    await collab.add_comment(shared.owner.actor, shared.project, "Private thought", time=1.0)
    outsider = await person(make_user, "nosy@example.com", "Nosy Parker", "none")
    await _as(client, outsider)
    for path in ("", "/collab", "/collab/comments", "/collab/history", "/share"):
        response = await client.get(f"/projects/{shared.project}{path}")
        assert response.status_code == 404, path
        assert "Private thought" not in response.text
    token = await csrf_token(client, "/shared")
    posted = await client.post(
        f"/projects/{shared.project}/comments", data={"_csrf_token": token, "body": "hi", "time": "1"}
    )
    assert posted.status_code == 404
