"""The shared genre taxonomy: stable ids, families, the AI genres, names in every locale, tags."""

from __future__ import annotations

import pytest

from backend import taxonomy
from backend.core.errors import DomainError
from backend.core.i18n import LOCALES
from tests.fixtures import gql


def test_the_ai_genres_and_common_genres_are_there():
    ids = {g.id for g in taxonomy.genres()}
    # The same ids as the models music intelligence trains.
    assert {g.id for g in taxonomy.ai_genres()} == {
        "reel",
        "jig",
        "hornpipe",
        "strathspey",
        "chorale",
        "folk_german",
        "folk_chinese",
    }
    assert {"indie_pop", "indie_rock", "jazz", "house", "techno", "rap", "ambient", "reggaeton"} <= ids
    assert all(taxonomy.genre(g.id).family in {f.id for f in taxonomy.families()} for g in taxonomy.genres())
    assert [g.id for g in taxonomy.related("reel")][:3] == ["jig", "hornpipe", "strathspey"]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_genre_family_and_tag_has_a_name_in_every_locale(locale):
    for genre in taxonomy.genres():
        assert not taxonomy.genre_name(genre.id, locale).startswith("taxonomy."), genre.id
    for family in taxonomy.families():
        assert not family.name(locale).startswith("taxonomy."), family.id
    for tag in taxonomy.TAGS:
        assert not taxonomy.tag_name(tag, locale).startswith("taxonomy."), tag
    assert taxonomy.genre_name("reel", "ja") == "リール"


def test_cleaning_user_input():
    assert taxonomy.clean_genre(" Drum and Bass ") == "drum_and_bass"
    assert taxonomy.clean_tags(["#Piano", "piano", "AI-assisted"]) == ["piano", "ai_assisted"]
    with pytest.raises(DomainError) as refused:
        taxonomy.clean_genre("vaporwave-ish")
    assert refused.value.code == "GENRE_UNKNOWN"
    with pytest.raises(DomainError) as refused:
        taxonomy.clean_tags(
            ["piano", "guitar", "bass", "drums", "synth", "strings", "choir", "vocal", "live"]
        )
    assert refused.value.code == "TOO_MANY_TAGS"


async def test_the_taxonomy_is_in_the_api(client):
    body = await gql(
        client,
        "{ genreFamilies { id name genres { id name ai } } tags { id name } }",
        headers={"Accept-Language": "es"},
    )
    families = {f["id"]: f for f in body["data"]["genreFamilies"]}
    assert families["traditional"]["name"] == "Tradicional y folk"
    reel = next(g for g in families["traditional"]["genres"] if g["id"] == "reel")
    assert reel == {"id": "reel", "name": "Reel", "ai": True}
    assert len(body["data"]["tags"]) == len(taxonomy.TAGS)
