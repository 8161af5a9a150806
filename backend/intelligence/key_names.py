"""Musical keys as each shipped language writes them, read and shown.

Pieces store a key in English ("D major", "F# minor", see ``piece.key_name``). The pages show it
the reader's way, and the key field takes it that way too:

    en     D major      F# minor     Bb major
    de     D-Dur        fis-Moll     B-Dur      (German names: H is B natural, B is B flat;
                                                 minor keys are written in lower case)
    es     Re mayor     Fa♯ menor    Si♭ mayor
    pt-BR  Ré maior     Fá♯ menor    Si♭ maior
    ja     ニ長調       嬰ヘ短調     変ロ長調

Reading tries the reader's language first, then English: a German "B" is B flat, an English one
B natural. Accents, case, "#"/"♯", "b"/"♭" and a space or hyphen before the mode are all optional.
"""

from __future__ import annotations

import re
import unicodedata

from backend.intelligence.piece import key_name, parse_key

MODES = ("major", "minor")

_GERMAN = ("C", "Cis", "D", "Es", "E", "F", "Fis", "G", "As", "A", "B", "H")
_SPANISH = ("Do", "Do♯", "Re", "Mi♭", "Mi", "Fa", "Fa♯", "Sol", "La♭", "La", "Si♭", "Si")
_PORTUGUESE = ("Dó", "Dó♯", "Ré", "Mi♭", "Mi", "Fá", "Fá♯", "Sol", "Lá♭", "Lá", "Si♭", "Si")
_JAPANESE = ("ハ", "嬰ハ", "ニ", "変ホ", "ホ", "ヘ", "嬰ヘ", "ト", "変イ", "イ", "変ロ", "ロ")


def key_label(key: str, locale: str) -> str:
    """The stored (English) key as ``locale`` writes it; anything unreadable comes back as it is."""
    parsed = parse_key(key)
    if parsed is None:
        return key
    pc, mode = parsed
    minor = mode == "minor"
    if locale == "de":
        name = _GERMAN[pc]
        return f"{name.lower()}-Moll" if minor else f"{name}-Dur"
    if locale == "es":
        return f"{_SPANISH[pc]} {'menor' if minor else 'mayor'}"
    if locale == "pt-BR":
        return f"{_PORTUGUESE[pc]} {'menor' if minor else 'maior'}"
    if locale == "ja":
        return f"{_JAPANESE[pc]}{'短調' if minor else '長調'}"
    return key_name(pc, mode)


def parse_key_in(value: str, locale: str) -> tuple[int, str] | None:
    """(pitch class, mode) of a key written the ``locale`` way or the English way, else ``None``."""
    reader = _READERS.get(locale)
    found = reader(value) if reader else None
    return found or parse_key(value)


def _plain(value: str) -> str:
    """Lower case, no accents, ♯/♭ as #/b, single spaces."""
    text = unicodedata.normalize("NFKD", value.replace("♯", "#").replace("♭", "b"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.lower().split())


_DE = re.compile(r"^([a-h](?:is|es|s)?)(?:\s*-?\s*(dur|moll))?$")
_DE_NAMES = {
    "c": 0, "his": 0, "cis": 1, "des": 1, "d": 2, "dis": 3, "es": 3, "e": 4, "fes": 4, "f": 5, "eis": 5,
    "fis": 6, "ges": 6, "g": 7, "gis": 8, "as": 8, "a": 9, "ais": 10, "b": 10, "h": 11, "ces": 11,
}  # fmt: skip


def _read_german(value: str) -> tuple[int, str] | None:
    match = _DE.match(_plain(value))
    if match is None or match.group(1) not in _DE_NAMES:
        return None
    return _DE_NAMES[match.group(1)], "minor" if match.group(2) == "moll" else "major"


_ROMANCE = re.compile(
    r"^(do|re|mi|fa|sol|la|si)\s*(#|b|sostenido|bemol|sustenido)?(?:\s*-?\s*(mayor|menor|maior))?$"
)
_SOLFEGE = {"do": 0, "re": 2, "mi": 4, "fa": 5, "sol": 7, "la": 9, "si": 11}


def _read_romance(value: str) -> tuple[int, str] | None:
    match = _ROMANCE.match(_plain(value))
    if match is None:
        return None
    name, accidental, mode = match.groups()
    shift = 1 if accidental in ("#", "sostenido", "sustenido") else -1 if accidental in ("b", "bemol") else 0
    return (_SOLFEGE[name] + shift) % 12, "minor" if mode == "menor" else "major"


_JA = re.compile(r"^(嬰|変)?([ハニホヘトイロ])\s*(長調|短調)?$")
_KANA = {"ハ": 0, "ニ": 2, "ホ": 4, "ヘ": 5, "ト": 7, "イ": 9, "ロ": 11}


def _read_japanese(value: str) -> tuple[int, str] | None:
    match = _JA.match(value.strip())
    if match is None:
        return None
    accidental, name, mode = match.groups()
    shift = {"嬰": 1, "変": -1, None: 0}[accidental]
    return (_KANA[name] + shift) % 12, "minor" if mode == "短調" else "major"


_READERS = {"de": _read_german, "es": _read_romance, "pt-BR": _read_romance, "ja": _read_japanese}
