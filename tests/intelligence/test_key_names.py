"""Musical keys as each language writes them: every key reads back as itself, in every locale."""

from __future__ import annotations

import pytest

from backend.core.i18n import LOCALES
from backend.intelligence.key_names import key_label, parse_key_in
from backend.intelligence.piece import key_name


@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_shown_in_a_language_reads_back_in_it(locale):
    for pc in range(12):
        for mode in ("major", "minor"):
            shown = key_label(key_name(pc, mode), locale)
            assert parse_key_in(shown, locale) == (pc, mode), shown


@pytest.mark.parametrize(
    ("locale", "typed", "meant"),
    [
        ("de", "B", (10, "major")),  # German B is B flat...
        ("en", "B", (11, "major")),  # ...English B is B natural
        ("de", "H-Dur", (11, "major")),
        ("de", "es moll", (3, "minor")),
        ("de", "A minor", (9, "minor")),  # English works in every language
        ("es", "sib mayor", (10, "major")),
        ("es", "Fa sostenido menor", (6, "minor")),
        ("pt-BR", "Re maior", (2, "major")),  # accents optional
        ("ja", "変ロ長調", (10, "major")),
        ("ja", "イ", (9, "major")),
    ],
)
def test_keys_are_read_the_way_people_type_them(locale, typed, meant):
    assert parse_key_in(typed, locale) == meant


@pytest.mark.parametrize(
    ("locale", "typed"), [("de", "Ds-Dur"), ("de", "X-Moll"), ("es", "Do mayorísimo"), ("ja", "ハ調")]
)
def test_a_key_no_language_writes_is_refused(locale, typed):
    assert parse_key_in(typed, locale) is None


def test_the_pages_show_a_stored_key_in_the_readers_language():
    assert [key_label("Bb major", locale) for locale in ("en", "de", "es", "pt-BR", "ja")] == [
        "Bb major", "B-Dur", "Si♭ mayor", "Si♭ maior", "変ロ長調",
    ]  # fmt: skip
