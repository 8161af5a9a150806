"""The shared genre taxonomy and tag vocabulary: one list for publishing, discovery and the AI models.

Pure data, no database: every domain may import it (``from backend import taxonomy``). A genre has a
stable id (never renamed: releases and models store it), a parent family, and a translated name
(``translations/taxonomy.<locale>.yml``). Genres marked ``ai`` are the ones music intelligence trains
models for (from the corpora in ``MUSIC-INTELLIGENCE.md``); the rest are the everyday genres people
publish in.

    taxonomy.genre("reel")            -> Genre(id="reel", family="traditional", ai=True)
    taxonomy.genre_name("reel", "ja") -> "リール"
    taxonomy.clean_genre(" Reel ")    -> "reel"   (raises DomainError for unknown ids)
    taxonomy.clean_tags(["Piano", "chill"]) -> ["piano", "chill"]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from backend.core.errors import DomainError
from backend.core.i18n import t

MAX_TAGS = 8


@dataclass(frozen=True, slots=True)
class Genre:
    id: str
    family: str  # the id of the family this genre belongs to
    ai: bool = False  # music intelligence trains a model for it

    def name(self, locale: str | None = None) -> str:
        return genre_name(self.id, locale)


@dataclass(frozen=True, slots=True)
class Family:
    id: str

    def name(self, locale: str | None = None) -> str:
        return family_name(self.id, locale)


FAMILIES: tuple[Family, ...] = tuple(
    Family(f)
    for f in (
        "traditional",
        "classical",
        "electronic",
        "hip_hop",
        "pop",
        "rock",
        "jazz_blues",
        "rnb_soul",
        "latin",
        "world",
        "soundtrack",
        "experimental",
    )
)

# The models music intelligence trains (see backend/intelligence/catalogue.py: the same ids).
_AI = frozenset({"reel", "jig", "hornpipe", "strathspey", "chorale", "folk_german", "folk_chinese"})

# (family, genre ids) in display order.
_TREE: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "traditional",
        (
            "reel",
            "jig",
            "hornpipe",
            "strathspey",
            "air",
            "folk_song",
            "folk_german",
            "folk_chinese",
            "celtic",
            "polka",
            "waltz",
            "contemporary_folk",
            "singer_songwriter",
            "country",
        ),
    ),
    (
        "classical",
        (
            "chorale",
            "renaissance_polyphony",
            "baroque",
            "orchestral",
            "chamber",
            "piano_solo",
            "choral",
            "contemporary_classical",
        ),
    ),
    ("electronic", ("house", "techno", "drum_and_bass", "dubstep", "trance", "synthwave", "edm")),
    ("hip_hop", ("rap", "trap", "boom_bap", "lofi_hip_hop")),
    ("pop", ("indie_pop", "synth_pop", "k_pop", "j_pop", "dance_pop")),
    ("rock", ("indie_rock", "alternative", "metal", "punk", "post_rock")),
    ("jazz_blues", ("jazz", "swing", "bebop", "blues")),
    ("rnb_soul", ("rnb", "soul", "funk", "gospel")),
    ("latin", ("reggaeton", "salsa", "bossa_nova", "samba", "tango", "flamenco")),
    ("world", ("reggae", "afrobeats", "city_pop", "enka")),
    ("soundtrack", ("ambient", "film_score", "game_music", "lofi", "new_age")),
    ("experimental", ("noise", "glitch", "sound_art")),
)

GENRES: tuple[Genre, ...] = tuple(
    Genre(id=gid, family=family, ai=gid in _AI) for family, ids in _TREE for gid in ids
)

TAGS: tuple[str, ...] = (
    "chill",
    "energetic",
    "dark",
    "happy",
    "melancholic",
    "epic",
    "romantic",
    "dreamy",
    "danceable",
    "instrumental",
    "vocal",
    "acoustic",
    "piano",
    "guitar",
    "strings",
    "synth",
    "fiddle",
    "bass",
    "drums",
    "choir",
    "live",
    "remix",
    "cover",
    "demo",
    "loop",
    "beat",
    "ai_assisted",
    "study",
    "workout",
    "sleep",
)


@lru_cache(maxsize=1)
def _by_id() -> dict[str, Genre]:
    return {g.id: g for g in GENRES}


_FAMILY_IDS = frozenset(f.id for f in FAMILIES)
_TAG_IDS = frozenset(TAGS)


def genres() -> tuple[Genre, ...]:
    return GENRES


def families() -> tuple[Family, ...]:
    return FAMILIES


def ai_genres() -> tuple[Genre, ...]:
    """The genres music intelligence has models for."""
    return tuple(g for g in GENRES if g.ai)


def genre(genre_id: str) -> Genre | None:
    return _by_id().get(genre_id)


def is_genre(genre_id: str) -> bool:
    return genre_id in _by_id()


def genres_in(family_id: str) -> tuple[Genre, ...]:
    return tuple(g for g in GENRES if g.family == family_id)


def related(genre_id: str) -> tuple[Genre, ...]:
    """Other genres of the same family (for discovery: 'more like this')."""
    found = genre(genre_id)
    if found is None:
        return ()
    return tuple(g for g in GENRES if g.family == found.family and g.id != genre_id)


def genre_name(genre_id: str, locale: str | None = None) -> str:
    if genre_id in _FAMILY_IDS:
        return family_name(genre_id, locale)
    return t(f"taxonomy.genres.{genre_id}", locale) if is_genre(genre_id) else genre_id


def family_name(family_id: str, locale: str | None = None) -> str:
    return t(f"taxonomy.families.{family_id}", locale) if family_id in _FAMILY_IDS else family_id


def is_tag(tag: str) -> bool:
    return tag in _TAG_IDS


def tag_name(tag: str, locale: str | None = None) -> str:
    return t(f"taxonomy.tags.{tag}", locale) if is_tag(tag) else tag


def _normal(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")


def clean_genre(value: str, *, field: str = "genre") -> str:
    """A genre id from user input, or a translated refusal."""
    normal = _normal(value or "")
    if not is_genre(normal):
        raise DomainError("taxonomy.errors.genre_unknown", field=field)
    return normal


def clean_genres(values: list[str], *, field: str = "genres", limit: int = 5) -> list[str]:
    cleaned: list[str] = []
    for value in values:
        if not value.strip():
            continue
        normal = clean_genre(value, field=field)
        if normal not in cleaned:
            cleaned.append(normal)
    if len(cleaned) > limit:
        raise DomainError("taxonomy.errors.too_many_genres", field=field, max=limit)
    return cleaned


def clean_tags(values: list[str], *, field: str = "tags", limit: int = MAX_TAGS) -> list[str]:
    cleaned: list[str] = []
    for value in values:
        normal = _normal(value.lstrip("#"))
        if not normal:
            continue
        if not is_tag(normal):
            raise DomainError("taxonomy.errors.tag_unknown", field=field, tag=value.strip()[:40])
        if normal not in cleaned:
            cleaned.append(normal)
    if len(cleaned) > limit:
        raise DomainError("taxonomy.errors.too_many_tags", field=field, max=limit)
    return cleaned


def genre_choices(locale: str | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """``[(family name, [(genre id, genre name), …]), …]`` for a grouped ``<select>``."""
    return [(family_name(family, locale), [(g, genre_name(g, locale)) for g in ids]) for family, ids in _TREE]
