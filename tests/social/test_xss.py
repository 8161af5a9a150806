"""A set of XSS payloads in every text a user controls renders inert: on profiles, track pages, the
embed, feeds, notifications, Open Graph tags and in oEmbed's HTML."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import quote

import pytest

from backend.accounts.tables import User
from backend.social import engagement, follows, profiles, releases
from backend.social.tables import Credit
from tests.fixtures import actor_of, log_in
from tests.social.helpers import quick_release, run_jobs_inline

PAYLOADS = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</title><script>alert(1)</script>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">click</a>',
    "{{ 7*7 }}{% raw %}",
]


class Inspector(HTMLParser):
    """Collects what a browser would run: scripts with inline code, event handlers, script URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name.lower() in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value}>")
        if tag in ("iframe", "object", "embed") and not dict(attrs).get("src", "").startswith(
            ("http://testserver.local/embed/",)
        ):
            self.problems.append(f"<{tag}>")
        self._in_script = tag == "script"
        if tag == "script" and not dict(attrs).get("src"):
            self.problems.append("<script> without src")

    def handle_endtag(self, tag):
        self._in_script = False


def inert(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(html)
    return inspector.problems


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_payloads_render_inert_everywhere(client, make_user, payload):
    cora = await make_user("cora@example.com", display_name="Cora")
    finn = await make_user("finn@example.com", display_name="Finn")
    await User.update({User.display_name: f"Finn {payload}"[:80]}).where(User.id == finn["id"])
    me = actor_of(cora)
    await profiles.update_profile(
        me,
        profiles.ProfileChanges(
            bio=f"Bio {payload}",
            location=payload[:80],
            links=[{"label": payload[:40], "url": "https://example.com/?q=a&b=c"}],
            press_bio=f"Press {payload}",
        ),
    )
    await follows.follow(actor_of(finn), cora["public_id"])
    release = await quick_release(cora, f"Song {payload}"[:120])
    await run_jobs_inline("social.announce_release")
    await releases.update(me, release["public_id"], releases.ReleaseChanges(description=f"About {payload}"))
    await Credit.insert(Credit(release=release["id"], role=payload[:40], name=payload[:80], position=0))
    await profiles.update_profile(me, profiles.ProfileChanges(press_releases=[release["public_id"]]))
    await engagement.comment(actor_of(finn), release["public_id"], f"Nice {payload}", at_seconds=10)
    handle, track = cora["handle"], release["public_id"]
    pages = [
        f"/@{handle}",
        f"/@{handle}/press",
        f"/@{handle}/followers",
        f"/tracks/{track}",
        f"/embed/tracks/{track}",
        "/discover",
        f"/tracks/{track}/edit",
        "/notifications",
    ]
    await log_in(client, "cora@example.com")
    for url in pages:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert inert(response.text) == [], (url, inert(response.text))
        assert payload not in response.text or payload.startswith("{{"), url  # always escaped
    track_page = (await client.get(f"/tracks/{track}")).text
    assert "&lt;" in track_page and 'property="og:title" content="Song ' in track_page
    await log_in(client, "finn@example.com")
    feed = await client.get("/feed")
    assert inert(feed.text) == []
    # oEmbed's HTML is markup by design: it must hold one iframe, with the title escaped inside it.
    answer = (
        await client.get(f"/oembed?url={quote('http://testserver.local/tracks/' + track, safe='')}")
    ).json()
    assert answer["title"] == release["title"]
    parser = Inspector()
    parser.feed(answer["html"])
    assert parser.problems == []
    assert answer["html"].count("<iframe") == 1 and answer["html"].count("<") == 2


async def test_template_syntax_in_user_text_is_just_text(client, make_user):
    cora = await make_user("cora@example.com")
    await profiles.update_profile(
        actor_of(cora), profiles.ProfileChanges(bio="{{ 7*7 }} {% if true %}x{% endif %}")
    )
    page = await client.get(f"/@{cora['handle']}")
    assert "{{ 7*7 }} {% if true %}x{% endif %}" in page.text and ">49<" not in page.text
