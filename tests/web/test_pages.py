"""Every page renders in every locale without an untranslated key, full and as an HTMX fragment."""

from __future__ import annotations

import re

import pytest

from backend.accounts import services as accounts
from backend.core.i18n import LOCALES
from tests.fixtures import actor_of, log_in

# A translation key that leaked into a page looks like "accounts.signup.title".
LEAKED_KEY = re.compile(
    r"(?<![\w/.-])(?:common|accounts|home|mail|jobs|audio|billing|social|intelligence|collab)\.[a-z_]+\.[a-z_.]+(?![\w/-])"
)

ANONYMOUS_PAGES = [
    "/",
    "/signup",
    "/login",
    "/forgot-password",
    "/reset-password?token=x",
    "/confirm?token=nope",
    "/dev/mailbox",
]
SIGNED_IN_PAGES = ["/settings", "/settings/api-keys", "/orgs", "/invitations/accept?token=x"]


def assert_translated(html: str) -> None:
    visible = re.sub(r"<(script|style)[\s\S]*?</\1>", "", html)
    visible = re.sub(
        r'(?:href|src|action|hx-[a-z-]+|sse-[a-z-]+|name|id|for|data-[a-z-]+|class)="[^"]*"', "", visible
    )
    leaked = LEAKED_KEY.findall(visible)
    assert not leaked, f"untranslated keys: {sorted(set(leaked))}"


@pytest.mark.parametrize("locale", LOCALES)
async def test_anonymous_pages_render_in_every_locale(client, locale):
    for path in ANONYMOUS_PAGES:
        response = await client.get(path, params={"lang": locale})
        assert response.status_code in (200, 400), (path, response.status_code)
        assert f'<html lang="{locale}">' in response.text, path
        assert_translated(response.text)


@pytest.mark.parametrize("locale", LOCALES)
async def test_signed_in_pages_render_in_every_locale(client, make_user, locale):
    user = await make_user("pages@example.com", locale=locale)
    org = await accounts.create_organization(actor_of(user), "Page Org")
    await accounts.create_api_key(actor_of(user), "a key", ["read"])
    await log_in(client, "pages@example.com")
    for path in [*SIGNED_IN_PAGES, f"/orgs/{org['public_id']}"]:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert f'<html lang="{locale}">' in response.text
        assert_translated(response.text)


async def test_signed_in_pages_send_strangers_to_log_in(client):
    for path in SIGNED_IN_PAGES:
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")


async def test_an_htmx_request_gets_only_the_fragment(client, make_user):
    await make_user("frag@example.com")
    await log_in(client, "frag@example.com")
    full = await client.get("/settings/api-keys")
    fragment = await client.get("/settings/api-keys", headers={"HX-Request": "true"})
    assert "<html" in full.text and "<html" not in fragment.text
    assert fragment.text.strip().startswith('<div id="api-keys">')
    assert "HX-Request" in fragment.headers["vary"]
    boosted = await client.get("/settings/api-keys", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text  # boosted navigation swaps #main out of the whole page


@pytest.mark.parametrize(
    ("locale", "title"),
    [("en", "Page not found"), ("de", "Seite nicht gefunden"), ("ja", "ページが見つかりません")],
)
async def test_404_page_is_translated(client, locale, title):
    response = await client.get("/no/such/page", params={"lang": locale}, headers={"Accept": "text/html"})
    assert response.status_code == 404 and title in response.text


async def test_api_clients_get_json_errors(client):
    response = await client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json()["error"]["status"] == 404


async def test_500_page_hides_the_error(app, client, monkeypatch):
    from web.pages import home

    async def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(home, "query", broken)
    response = await client.get("/", headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert "Something went wrong" in response.text


async def test_security_headers_are_on_every_page(client):
    response = await client.get("/")
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_text_from_users_is_escaped(client, make_user):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    await make_user("xss@example.com", display_name=payload)
    await log_in(client, "xss@example.com")
    for path in ("/", "/settings", "/orgs"):
        html = (await client.get(path)).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


async def test_health_endpoints(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    await client.get("/login")
    metrics = (await client.get("/metrics")).text
    assert 'cadenza_http_requests_total{method="GET",route="/login",status="200"}' in metrics


async def test_cached_anonymous_pages_carry_each_visitors_own_csrf_token(app):
    import httpx

    tokens = []
    for _ in range(2):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
        ) as visitor:
            await visitor.get("/")
            page = await visitor.get("/")  # the second view is served from the cache
            token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
            assert token == visitor.cookies["csrftoken"]
            switched = await visitor.post(
                "/language", data={"_csrf_token": token, "locale": "es", "next": "/"}
            )
            assert switched.status_code == 303  # the CSRF check passed (a wrong token is a 403)
            assert 'lang="es"' in (await visitor.get("/")).text
            tokens.append(token)
    assert tokens[0] != tokens[1]
