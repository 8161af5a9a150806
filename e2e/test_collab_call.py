"""A voice call in the studio: two Chromium pages with fake microphones connect peer to peer over
WebRTC, the offer, answer and ICE candidates relayed through Cadenza's API (a mutation on one side,
the projectEvents subscription on the other), and exchange a message on a data channel."""

from __future__ import annotations

from e2e.conftest import LiveServer
from e2e.test_collab_studio import shared_studio


async def test_two_collaborators_talk_peer_to_peer_and_pass_a_note(new_context, live_server: LiveServer):
    owner, guest, _ = await shared_studio(new_context, live_server, "vera@example.com", "Vera Voice")
    for page in (owner, guest):
        await page.locator("[data-testid=call-part] summary").click()
        await page.get_by_test_id("call-join").click()
        await page.wait_for_selector("[data-testid=call-panel][data-joined=true]")
    for page in (owner, guest):
        await page.wait_for_selector(
            "[data-testid=call-peer][data-state=connected][data-channel=open]", timeout=30_000
        )
    # The peer connection is a real one: Chromium reports it connected, with remote audio.
    state = await owner.evaluate(
        "() => Array.from(document.querySelectorAll('[data-testid=call-panel] audio')).length"
    )
    assert state >= 1
    await owner.get_by_test_id("call-message-input").fill("Can you hear the new bass?")
    await owner.get_by_test_id("call-message-send").click()
    note = guest.locator("[data-testid=call-message]", has_text="Can you hear the new bass?")
    await note.wait_for(timeout=10_000)
    assert "Demo Creator" in await note.inner_text()
    await guest.get_by_test_id("call-message-input").fill("Loud and clear")
    await guest.get_by_test_id("call-message-send").click()
    await owner.locator("[data-testid=call-message]", has_text="Loud and clear").wait_for(timeout=10_000)
    # Leaving the call closes the connection on the other side too.
    await guest.get_by_test_id("call-leave").click()
    await owner.wait_for_selector("[data-testid=call-peer]", state="detached", timeout=15_000)
