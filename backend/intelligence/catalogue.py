"""The genres Cadenza trains, where their music comes from, and how each one is played.

A genre is defined by data, not by a hand-written style: its notes come from one collection of
``music21``'s bundled corpus, filtered by the collection's own tags (Ryan's ``R:reel``) or origin
(the Essen folksong files of one region). Each genre keeps only its most common metre, so a bar
means one thing inside a model. ``family`` groups genres that share a tradition: reels, jigs and
hornpipes differ mostly in rhythm, so checks on pitch alone compare a genre against other families.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

# Licence codes recorded on every work and model. Only these allow commercial use of outputs.
PUBLIC_DOMAIN = "public-domain"
NON_COMMERCIAL = "non-commercial"
OWNER = "owner"  # a creator's own uploads, used only for their own model
COMMERCIAL_LICENCES = frozenset({PUBLIC_DOMAIN, OWNER})


@dataclass(frozen=True, slots=True)
class Source:
    code: str
    name: str
    licence: str
    # Why the licence is what it is, shown on model cards.
    licence_note: str


SOURCES = MappingProxyType(
    {
        "ryans_mammoth": Source(
            "ryans_mammoth",
            "Ryan's Mammoth Collection (1883), ABC transcriptions bundled with music21",
            PUBLIC_DOMAIN,
            "Published 1883; transcriptions distributed with music21's corpus by their contributors.",
        ),
        "bach_chorales": Source(
            "bach_chorales",
            "J. S. Bach, four-part chorales (soprano lines), MusicXML bundled with music21",
            PUBLIC_DOMAIN,
            "Compositions in the public domain; encodings distributed with music21's corpus.",
        ),
        "essen": Source(
            "essen",
            "Essen Folksong Collection (EsAC), ABC encodings bundled with music21",
            NON_COMMERCIAL,
            "Permission granted for non-commercial distribution and use only.",
        ),
        "uploads": Source(
            "uploads",
            "The creator's own MIDI uploads",
            OWNER,
            "Uploaded by the model's owner, who affirmed they hold the rights.",
        ),
    }
)


@dataclass(frozen=True, slots=True)
class Genre:
    code: str
    family: str
    source: str
    # What selects a work: Ryan's rhythm tags, Essen file stems, or every Bach chorale.
    select: tuple[str, ...]
    metre: str  # the genre's most common metre; works in any other are left out
    default_tempo: int  # quarter notes per minute
    default_key: str
    preset: str  # default instrumentation (see arrange.PRESETS)
    effects: str  # effect chain name (see effects.CHAINS)
    drum_pattern: str

    @property
    def licence(self) -> str:
        return SOURCES[self.source].licence


GENRES = MappingProxyType(
    {
        g.code: g
        for g in (
            Genre(
                "reel", "dance", "ryans_mammoth", ("reel",), "2/4", 116, "D", "folk_band", "session", "reel"
            ),
            Genre("jig", "dance", "ryans_mammoth", ("jig",), "6/8", 170, "G", "folk_band", "session", "jig"),
            Genre(
                "hornpipe",
                "dance",
                "ryans_mammoth",
                ("hornpipe",),
                "2/4",
                96,
                "A",
                "folk_band",
                "session",
                "reel",
            ),
            Genre(
                "strathspey",
                "dance",
                "ryans_mammoth",
                ("strathspey",),
                "4/4",
                80,
                "A",
                "folk_band",
                "session",
                "march",
            ),
            Genre("chorale", "chorale", "bach_chorales", ("*",), "4/4", 72, "G", "organ", "church", "none"),
            Genre(
                "folk_german",
                "folk_german",
                "essen",
                ("boehme10", "boehme20", "erk10", "erk20", "erk30", "fink0", "dva0", "zuccal0", "kinder0"),
                "4/4",
                100,
                "F",
                "chamber",
                "parlour",
                "march",
            ),
            Genre(
                "folk_chinese",
                "folk_chinese",
                "essen",
                ("han1", "han2"),
                "2/4",
                84,
                "G",
                "chamber",
                "hall",
                "march",
            ),
        )
    }
)


def genre(code: str) -> Genre | None:
    return GENRES.get(code)
