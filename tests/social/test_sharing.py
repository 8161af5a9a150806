"""Sharing: Open Graph and Twitter cards, oEmbed (discoverable), share links, and the embeddable player,
which alone may be framed by other sites (its own small CSP)."""

from __future__ import annotations

import re
from urllib.parse import quote

from backend.social import plays
from tests.fixtures import log_in
from tests.social.helpers import quick_release


def _meta(html: str, name: str) -> str | None:
    match = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', html)
    return match.group(1) if match else None


async def test_track_pages_carry_cards_and_oembed_discovery(client, make_user):
    cora = await make_user("cora@example.com", display_name="Cora")
    release = await quick_release(cora, "Harbour Lights", duration=183)
    page = (await client.get(f"/tracks/{release['public_id']}")).text
    assert _meta(page, "og:title") == "Harbour Lights"
    assert _meta(page, "og:type") == "music.song"
    assert _meta(page, "og:url") == f"http://testserver.local/tracks/{release['public_id']}"
    assert _meta(page, "twitter:card") == "player"
    assert _meta(page, "twitter:player") == f"http://testserver.local/embed/tracks/{release['public_id']}"
    assert _meta(page, "music:duration") == "183"
    link = re.search(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', page).group(1)
    response = await client.get(link.replace("&amp;", "&").replace("http://testserver.local", ""))
    answer = response.json()
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"
    assert answer["type"] == "rich" and answer["version"] == "1.0" and answer["provider_name"] == "Cadenza"
    assert answer["title"] == "Harbour Lights" and answer["author_name"] == "Cora"
    assert f'src="http://testserver.local/embed/tracks/{release["public_id"]}"' in answer["html"]
    profile = (await client.get("/@cora")).text
    assert _meta(profile, "og:type") == "profile" and _meta(profile, "og:title") == "Cora (@cora)"
    assert 'type="application/json+oembed"' in profile


async def test_oembed_answers_sizes_formats_and_strangers(client, make_user):
    cora = await make_user("cora@example.com", display_name="Cora")
    release = await quick_release(cora)
    url = quote(f"http://testserver.local/tracks/{release['public_id']}", safe="")
    small = (await client.get(f"/oembed?url={url}&maxwidth=300&maxheight=130")).json()
    assert (small["width"], small["height"]) == (300, 130) and 'width="300" height="130"' in small["html"]
    assert (await client.get(f"/oembed?url={url}&format=xml")).status_code == 501
    elsewhere = quote(f"https://evil.example/tracks/{release['public_id']}", safe="")
    assert (await client.get(f"/oembed?url={elsewhere}")).status_code == 404
    assert (await client.get("/oembed?url=http%3A%2F%2Ftestserver.local%2Ffeed")).status_code == 404
    profile = (await client.get("/oembed?url=http%3A%2F%2Ftestserver.local%2F%40cora")).json()
    assert profile["type"] == "link" and profile["author_url"] == "http://testserver.local/@cora"


async def test_only_the_embed_may_be_framed(client, make_user):
    cora = await make_user("cora@example.com")
    release = await quick_release(cora, "Framed")
    embed = await client.get(f"/embed/tracks/{release['public_id']}?theme=light&color=%23ff0066")
    csp = embed.headers["content-security-policy"]
    assert "frame-ancestors *" in csp and "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "x-frame-options" not in embed.headers
    assert 'data-theme="light"' in embed.text and "--accent: #ff0066" in embed.text
    assert 'data-source="embed"' in embed.text and 'data-testid="embed-play"' in embed.text
    for url in (f"/tracks/{release['public_id']}", "/@" + cora["handle"], "/discover", "/"):
        response = await client.get(url)
        assert response.headers["x-frame-options"] == "DENY", url
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], url


async def test_embed_themes_and_colours_cannot_inject(client, make_user):
    cora = await make_user("cora@example.com")
    release = await quick_release(cora)
    evil = quote("red;}body{display:none", safe="")
    embed = await client.get(f"/embed/tracks/{release['public_id']}?theme=<x>&color={evil}")
    assert 'data-theme="dark"' in embed.text and "display:none" not in embed.text


async def test_plays_in_the_embed_count_like_any_other(client, make_user):
    cora = await make_user("cora@example.com")
    release = await quick_release(cora)
    embed = await client.get(f"/embed/tracks/{release['public_id']}")
    token = re.search(r'data-token="([^"]+)"', embed.text).group(1)
    listener = token.split(".")[1]
    aged = plays.issue_token(release, listener, now=__import__("time").time() - 31)
    response = await client.post("/plays", json={"token": aged, "source": "embed"})
    assert response.json()["counted"] is True
    await plays.flush()
    embed = await client.get(f"/embed/tracks/{release['public_id']}")
    assert 'data-count="1"' in embed.text


async def test_share_links_are_built_for_each_network(client, make_user):
    cora = await make_user("cora@example.com")
    release = await quick_release(cora, "Tide & Time")
    await make_user("finn@example.com")
    await log_in(client, "finn@example.com")
    page = (await client.get(f"/tracks/{release['public_id']}?t=1:05")).text
    encoded = quote(f"http://testserver.local/tracks/{release['public_id']}", safe="/")
    for network in ("x", "facebook", "whatsapp", "reddit", "email", "copy"):
        assert f'data-testid="share-{network}"' in page
    assert f"https://twitter.com/intent/tweet?url={encoded}&amp;text=Tide%20%26%20Time" in page
    assert f"https://www.facebook.com/sharer/sharer.php?u={encoded}" in page
    assert 'data-start="65"' in page  # ?t= starts playback there
    assert 'data-testid="embed-code">&lt;iframe src=&#34;http://testserver.local/embed/tracks/' in page
