"""A Free creator fills a project to the 16-track limit, is offered Creator, pays in the Stripe
sandbox's hosted Checkout, comes back to a page that already shows Creator, adds the 17th track —
then cancels and is told until when the plan lasts.

Everything goes through the public surface: pages, /graphql, and the sandbox's hosted page (a
separate process, reached by the browser like checkout.stripe.com).
"""

from __future__ import annotations

import re

from e2e.conftest import LiveServer, create_project, log_in

PASSWORD = "a journey to the paid plan"
SIGN_UP = "mutation($i: SignUpInput!) { signUp(input: $i) { viewer { id } errors { message } } }"
ADD_TRACK = """
mutation($p: ID!, $b: Int!) {
  applyProjectOperations(projectId: $p, baseRevision: $b, operations: [{kind: ADD_TRACK, payload: {track: {id: "trk_api000017"}}}]) {
    revision errors { code message }
  }
}
"""


async def _graphql(page, query: str, variables: dict) -> dict:
    response = await page.request.post("/graphql", data={"query": query, "variables": variables})
    return await response.json()


async def _tracks(page) -> int:
    return await page.get_by_test_id("track").count()


async def test_free_user_hits_the_track_limit_upgrades_adds_the_17th_track_then_cancels(
    page, live_server: LiveServer
):
    page.set_default_timeout(30_000)
    # The notification bell's live stream currently swaps its count into <main> (the body's inherited
    # hx-target), blanking the page: a social-domain bug reported to its owner. Not this journey's
    # subject, so its stream is left unconnected here.
    await page.route("**/notifications/live", lambda route: route.abort())
    email = "upgrade-journey@example.com"
    signed = await live_server.graphql(
        SIGN_UP,
        {"i": {"email": email, "password": PASSWORD, "displayName": "Journey Creator", "region": "eu"}},
    )
    assert signed["data"]["signUp"]["errors"] == []
    await log_in(page, email, PASSWORD)
    assert await page.get_by_test_id("test-mode").count() == 1  # the sandbox is labelled everywhere

    # A project filled to Free's limit: sixteen tracks, then the add form gives way to the limit.
    project_id = await create_project(page, "Sixteen and more")
    studio_url = page.url
    await page.get_by_test_id("add-track-count").fill("16")
    await page.get_by_test_id("add-track-submit").click()
    await page.wait_for_selector("[data-testid=track-limit]")
    assert await _tracks(page) == 16
    refused = await _graphql(page, ADD_TRACK, {"p": project_id, "b": 16})
    assert refused["data"]["applyProjectOperations"]["errors"][0]["code"] == "TRACK_LIMIT"

    # The upgrade prompt names the plan that lifts the limit.
    await page.goto("/billing/usage")
    meter = page.get_by_test_id("meter-tracks")
    assert await meter.get_attribute("data-fraction") == "1.000"
    prompt = page.get_by_test_id("upgrade-prompt")
    assert await prompt.get_attribute("data-plan") == "creator"
    await prompt.get_by_test_id("upgrade-link").click()
    await page.wait_for_selector("[data-testid=plan-creator].highlight")
    assert "€" in await page.get_by_test_id("price-creator").inner_text()

    # Stripe Checkout (the sandbox's hosted page), with the EU's payment methods.
    await page.get_by_test_id("choose-creator").click()
    stripe_base = live_server.env["STRIPE_API_BASE"]
    await page.wait_for_url(re.compile(re.escape(stripe_base) + r"/checkout/cs_test_\w+"))
    assert await page.get_by_test_id("sandbox-test-mode").count() == 1
    for method in ("card", "sepa_debit", "ideal", "bancontact"):
        assert await page.get_by_test_id(f"sandbox-method-{method}").count() == 1
    await page.get_by_test_id("sandbox-pay").click()

    # Back on Cadenza: the confirmation already shows Creator (no waiting for the webhook).
    await page.wait_for_url(re.compile(r".*/billing/return\?session_id=.*"))
    confirmed = page.get_by_test_id("confirmed-plan")
    assert await confirmed.get_attribute("data-plan") == "creator"
    assert "Creator" in await confirmed.inner_text()
    assert re.search(r"\d", await page.get_by_test_id("confirmed-renewal").inner_text())

    # The seventeenth track now fits.
    await page.goto(studio_url)
    await page.get_by_test_id("add-track-count").fill("1")
    await page.get_by_test_id("add-track-submit").click()
    await page.get_by_test_id("track").nth(16).wait_for()
    assert await _tracks(page) == 17

    # Cancel: the billing page says when the plan ends, and that it won't renew.
    await page.goto("/billing")
    assert await page.get_by_test_id("current-plan-name").get_attribute("data-plan") == "creator"
    assert await page.get_by_test_id("invoice-row").count() == 1
    await page.get_by_test_id("cancel").click()
    await page.wait_for_selector("[data-testid=cancel-page]")
    await page.get_by_test_id("confirm-cancel").click()
    ends = page.get_by_test_id("ends-on")
    await ends.wait_for()
    text = await ends.inner_text()
    assert re.search(r"20\d\d", text) and "won't renew" in text
    assert await page.get_by_test_id("resume").count() == 1
    assert "Cancelled" in await page.get_by_test_id("flash").inner_text()
