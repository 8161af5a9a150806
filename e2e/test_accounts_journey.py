"""Sign up → confirm through the dev mailbox → log in → switch language → create an API key."""

from __future__ import annotations

import re

from e2e.conftest import LiveServer

PASSWORD = "a long and lovely passphrase"


async def test_sign_up_confirm_log_in_switch_language_and_create_an_api_key(page, live_server: LiveServer):
    email = "journey@example.com"
    await page.goto("/signup")
    await page.get_by_test_id("field-email").fill(email)
    await page.get_by_test_id("field-display_name").fill("Journey Tester")
    await page.get_by_test_id("field-password").fill(PASSWORD)
    await page.get_by_test_id("signup-submit").click()
    await page.wait_for_selector("[data-testid=confirm-banner]")
    assert email in await page.get_by_test_id("flash").inner_text()

    # The confirmation mail was delivered by the worker process into the dev mailbox.
    await page.goto(f"/dev/mailbox?to={email}")
    await page.wait_for_selector(f"[data-testid=email][data-to='{email}']")
    body = await page.locator("[data-testid=email][data-kind=confirm_email] .email-body").inner_text()
    link = re.search(r"https?://\S+/confirm\?token=[\w-]+", body).group(0)
    await page.goto(link)
    assert await page.get_by_test_id("confirm-result").get_attribute("data-ok") == "true"

    # Log out and back in.
    await page.goto("/")
    await page.get_by_test_id("nav-logout").click()
    await page.wait_for_selector("[data-testid=nav-login]")
    await page.goto("/login")
    await page.get_by_test_id("field-email").fill(email)
    await page.get_by_test_id("field-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await page.wait_for_selector("[data-testid=nav-logout]")
    assert await page.locator("[data-testid=confirm-banner]").count() == 0

    # Switch to German: the whole page follows, and the choice is saved on the account.
    await page.get_by_test_id("language-select").select_option("de")
    await page.wait_for_function("document.documentElement.lang === 'de'")
    assert await page.get_by_test_id("nav-logout").inner_text() == "Abmelden"

    # Create an API key; the secret is shown once and works against /graphql.
    await page.goto("/settings/api-keys")
    await page.get_by_test_id("field-name").fill("Partner integration")
    await page.get_by_test_id("api-key-create").click()
    secret = (await page.get_by_test_id("api-key-secret").inner_text()).strip()
    assert secret.startswith("cdz_")
    body = await live_server.graphql("{ viewer { email displayName auth } }", key=secret)
    assert body["data"]["viewer"] == {"email": email, "displayName": "Journey Tester", "auth": "API_KEY"}
    await page.reload()
    assert await page.get_by_test_id("api-key-secret").count() == 0  # never shown again
    assert await page.get_by_test_id("api-key-row").count() == 1
