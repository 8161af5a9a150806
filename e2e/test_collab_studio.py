"""Two people in one studio: the demo creator (Professional) invites a collaborator who signed up
through the API; both edit the same project at the same time and both screens end with the same
mix; each sees the other arrive and leave; a comment appears for the other without a reload.

Everything goes through the public surface: pages, /graphql and the dev mailbox."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from e2e.conftest import LiveServer, create_project, log_in

DEMO = "creator@demo.cadenza.local"
PASSWORD = "a collaborator's long passphrase"
MIX = """() => Array.from(document.querySelectorAll('#studio [data-testid=track]')).map((t) => ({
  name: t.querySelector('[data-testid=track-name]').value,
  gain: Number(t.querySelector('[data-testid=track-gain]').value),
  pan: Number(t.querySelector('[data-testid=track-pan]').value),
  mute: t.querySelector('[data-testid=track-mute]').checked,
}))"""


async def sign_up(live_server: LiveServer, email: str, name: str) -> None:
    """A new account through the API, confirmed with the link the worker put in the dev mailbox."""
    body = await live_server.graphql(
        "mutation($i: SignUpInput!) { signUp(input: $i) { errors { code message } } }",
        {"i": {"email": email, "password": PASSWORD, "displayName": name}},
    )
    assert body["data"]["signUp"]["errors"] == [], body
    for _ in range(200):
        mail = await live_server.graphql(
            "query($to: String) { devMailbox(to: $to) { nodes { kind body } } }", {"to": email}
        )
        found = [m for m in mail["data"]["devMailbox"]["nodes"] if m["kind"] == "confirm_email"]
        if found:
            token = re.search(r"token=([\w-]+)", found[0]["body"]).group(1)
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("no confirmation mail")
    confirmed = await live_server.graphql(
        "mutation($t: String!) { confirmEmail(token: $t) { errors { code } } }", {"t": token}
    )
    assert confirmed["data"]["confirmEmail"]["errors"] == []


async def revision(page: Any) -> int:
    return int(await page.get_by_test_id("studio").get_attribute("data-revision"))


async def wait_revision_above(page: Any, value: int) -> int:
    await page.wait_for_function(
        "r => Number(document.querySelector('[data-testid=studio]').dataset.revision) > r", arg=value
    )
    return await revision(page)


async def live(page: Any) -> None:
    await page.wait_for_selector("[data-testid=collab-status][data-state=live]", timeout=20_000)


async def shared_studio(
    new_context: Any, live_server: LiveServer, email: str, name: str
) -> tuple[Any, Any, str]:
    """The demo creator's new two-track project, shared with a fresh collaborator (editor) who
    accepted; both pages open on its studio, connected."""
    await sign_up(live_server, email, name)
    owner = await (await new_context()).new_page()
    await log_in(owner, DEMO)
    project = await create_project(owner, f"Jam with {name}")
    start = await revision(owner)
    await owner.get_by_test_id("add-track-count").fill("2")
    await owner.get_by_test_id("add-track-submit").click()
    await wait_revision_above(owner, start)
    # Invite by email, as editor: the owner's plan includes collaboration.
    await owner.goto(f"/projects/{project}/share")
    await owner.get_by_test_id("field-invitee").fill(email)
    await owner.get_by_test_id("field-role").select_option("editor")
    await owner.get_by_test_id("invite-submit").click()
    await owner.wait_for_selector("[data-testid=pending-invitation]")
    # The collaborator answers from "shared with me" (the bell links to the same invitation).
    guest = await (await new_context()).new_page()
    await log_in(guest, email, PASSWORD)
    await guest.get_by_test_id("nav-shared").click()
    await guest.get_by_test_id("invitation-accept").first.click()
    await guest.wait_for_selector("[data-testid=studio]")
    assert guest.url.endswith(f"/projects/{project}")
    await owner.goto(f"/projects/{project}")
    await live(owner)
    await live(guest)
    return owner, guest, project


async def test_two_people_edit_at_once_and_both_screens_show_the_same_mix(
    new_context, live_server: LiveServer
):
    owner, guest, _ = await shared_studio(new_context, live_server, "cora@example.com", "Cora Collaborator")
    # Each sees the other arrive.
    await owner.wait_for_selector(
        "[data-testid=presence-avatar] .avatar[title='Cora Collaborator']", timeout=15_000
    )
    await guest.wait_for_selector(
        "[data-testid=presence-avatar] .avatar[title='Demo Creator']", timeout=15_000
    )
    assert await guest.get_by_test_id("my-role").get_attribute("data-role") == "EDITOR"

    start = max(await revision(owner), await revision(guest))

    async def owner_edits() -> None:
        first = owner.get_by_test_id("track").nth(0)
        await first.get_by_test_id("track-gain").fill("-6")
        await owner.get_by_test_id("add-track-name").fill("Lead")
        await owner.get_by_test_id("add-track-submit").click()

    async def guest_edits() -> None:
        second = guest.get_by_test_id("track").nth(1)
        await second.get_by_test_id("track-name").fill("Bassline")
        await second.get_by_test_id("track-name").press("Tab")
        await second.get_by_test_id("track-pan").fill("0.5")
        await guest.get_by_test_id("add-track-name").fill("Choir")
        await guest.get_by_test_id("add-track-submit").click()

    await asyncio.gather(owner_edits(), guest_edits())
    # Both screens settle on the same revision (every edit committed: 2 + 3 operations)...
    for page in (owner, guest):
        await page.wait_for_function(
            "r => Number(document.querySelector('[data-testid=studio]').dataset.revision) >= r"
            " && document.querySelectorAll('#studio [data-testid=track]').length === 4",
            arg=start + 5,
            timeout=20_000,
        )
    await owner.wait_for_function(
        "r => Number(document.querySelector('[data-testid=studio]').dataset.revision) === r",
        arg=await revision(guest),
    )
    # ...and the same mix, with everyone's intent kept.
    mix_owner, mix_guest = await owner.evaluate(MIX), await guest.evaluate(MIX)
    assert mix_owner == mix_guest
    names = [t["name"] for t in mix_owner]
    assert names[1] == "Bassline"
    # Two tracks added at the same moment both keep the names typed for them (a live redraw after
    # the other's edit must not replace a half-typed field).
    assert sorted(names[2:]) == ["Choir", "Lead"]
    assert mix_owner[0]["gain"] == -6 and mix_owner[1]["pan"] == 0.5
    # The history says who did what.
    await owner.locator("[data-testid=history-part] summary").click()
    await owner.wait_for_selector(
        "[data-testid=history-entry] [data-testid=history-author]:has-text('Cora Collaborator')"
    )

    # A comment pinned to a moment reaches the other screen live.
    await guest.get_by_test_id("comment-body").fill("The bassline needs more air at 0:12")
    await guest.get_by_test_id("comment-time").fill("12")
    await guest.get_by_test_id("comment-submit").click()
    await owner.wait_for_selector("[data-testid=comment-text]:has-text('more air')", timeout=10_000)
    comment = owner.locator("[data-testid=comment]").first
    assert "0:12" in await comment.get_by_test_id("comment-at").inner_text()
    # The comment reads as a block (its text runs the width of the comment), not squeezed into a
    # column beside its reply form by the track page's comment style.
    thread, text = await comment.bounding_box(), await comment.get_by_test_id("comment-text").bounding_box()
    assert thread and text and text["width"] > 0.6 * thread["width"], (thread, text)

    # The collaborator closes the tab: gone from the owner's screen within ten seconds.
    await guest.close()
    await owner.wait_for_selector(
        "[data-testid=presence-avatar] .avatar[title='Cora Collaborator']", state="detached", timeout=10_000
    )


async def test_removing_a_collaborator_cuts_their_open_studio_off(new_context, live_server: LiveServer):
    owner, guest, project = await shared_studio(new_context, live_server, "rex@example.com", "Rex Removed")
    await owner.goto(f"/projects/{project}/share")
    member = owner.locator("[data-testid=member][data-role=EDITOR]")
    await member.get_by_test_id("member-remove").click()
    await owner.wait_for_selector("[data-testid=member][data-role=EDITOR]", state="detached")
    # The removed editor's open page is told at once, and its studio stops taking edits.
    await guest.wait_for_selector("[data-testid=collab-status][data-state=revoked]", timeout=10_000)
    assert await guest.get_by_test_id("studio").get_attribute("inert") is not None


async def test_a_refused_edit_does_not_take_the_edits_made_after_it(new_context, live_server: LiveServer):
    """A batch the server refuses is dropped with a notice; what the person did right after it (while
    it was in flight) is tried again on the server's document and lands."""
    page = await (await new_context()).new_page()
    await log_in(page, DEMO)
    await create_project(page, "Refusals")
    await live(page)
    start = await revision(page)
    # Two quick edits: an out-of-range gain (refused: it is in flight), then a new track (buffered).
    await page.evaluate(
        """() => {
          const session = document.querySelector('[data-collab-panel]').__collab;
          session.edit([{kind: 'add_track', index: 0, track: {id: 'trk_refusedgain01', name: 'Doomed'}},
                        {kind: 'set_track', track_id: 'trk_refusedgain01', field: 'gain_db', value: 999}]);
          session.edit([{kind: 'add_track', index: 0, track: {id: 'trk_afterrefusal1', name: 'Kept'}}]);
        }"""
    )
    await page.wait_for_selector("[data-testid=collab-notice]:not([hidden])")
    await wait_revision_above(page, start)
    await page.wait_for_function(
        "() => document.querySelectorAll('#studio [data-testid=track]').length === 1"
    )
    names = await page.evaluate(MIX)
    assert [t["name"] for t in names] == ["Kept"]
