"""Extract note sequences from ``music21``'s bundled corpus, one work at a time.

Runs in the dataset builder only (``cadenza build-dataset``): parsing is slow (≈0.02-0.3 s a
work), so the result is cached as JSON and nothing at request time touches music21. Essen files
hold hundreds of tunes: they are split on ``X:`` and parsed tune by tune, since a whole file takes
tens of seconds and one bad tune would lose the rest.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from backend.intelligence.catalogue import GENRES, SOURCES, Genre
from backend.intelligence.piece import GRID, Note, mode_for, rests_filled

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    """One work to extract: a file (and, for multi-tune ABC files, the tune's text)."""

    genre: str
    work_id: str
    path: str
    abc_text: str | None = None


def corpus_root() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


_RHYTHM = re.compile(r"^R:\s*(.+?)\s*$", re.MULTILINE)


def _ryans_jobs(genre: Genre, root: Path) -> Iterator[Job]:
    for path in sorted((root / "ryansMammoth").glob("*.abc")):
        text = path.read_text(errors="replace")
        match = _RHYTHM.search(text)
        if match and match.group(1).strip().lower() in genre.select:
            yield Job(genre.code, f"ryans_mammoth/{path.stem}", str(path))


def _bach_jobs(genre: Genre, root: Path) -> Iterator[Job]:
    for path in sorted((root / "bach").glob("bwv*.mxl")):
        yield Job(genre.code, f"bach_chorales/{path.stem}", str(path))


def _essen_jobs(genre: Genre, root: Path) -> Iterator[Job]:
    for stem in genre.select:
        path = root / "essenFolksong" / f"{stem}.abc"
        text = path.read_text(errors="replace")
        header, *tunes = re.split(r"^X:", text, flags=re.MULTILINE)
        for tune in tunes:
            number = tune.split("\n", 1)[0].strip()
            yield Job(genre.code, f"essen/{stem}#{number}", str(path), abc_text="X:" + tune)


def jobs_for(genre: Genre, root: Path | None = None) -> list[Job]:
    root = root or corpus_root()
    finder = {"ryans_mammoth": _ryans_jobs, "bach_chorales": _bach_jobs, "essen": _essen_jobs}[genre.source]
    return list(finder(genre, root))


def _grid(value: Any) -> int:
    return int(round(Fraction(value) * GRID))


def _melody_part(score: Any) -> Any:
    parts = list(getattr(score, "parts", []))
    if not parts:
        return score
    for part in parts:
        name = (part.partName or part.id or "").lower() if isinstance(part.id, str) else ""
        if "soprano" in name:
            return part
    return parts[0]


def extract(job: Job) -> dict[str, Any] | None:
    """Parse one work into the dataset's JSON form, or ``None`` when it has no usable line."""
    from music21 import converter, key, meter

    try:
        score = (
            converter.parse(job.abc_text, format="abc")
            if job.abc_text is not None
            else converter.parse(job.path)
        )
    except Exception as exc:  # a malformed encoding: skip the work, keep the rest
        log.info("skipping %s: %s", job.work_id, exc)
        return None
    part = _melody_part(score).stripTies()
    flat = part.flatten()
    signatures = list(flat.getElementsByClass(meter.TimeSignature))
    if not signatures:
        return None
    metre = signatures[0].ratioString
    if any(ts.ratioString != metre for ts in signatures):
        return None  # metre changes: a bar would mean two things
    bar = _grid(signatures[0].barDuration.quarterLength)
    measures = list(part.getElementsByClass("Measure"))
    pickup = 0
    if measures:
        first = _grid(measures[0].duration.quarterLength)
        if 0 < first < bar:
            pickup = bar - first
    raw: list[Note] = []
    for element in flat.notes:
        duration = _grid(element.quarterLength)
        if duration <= 0:
            continue  # grace notes
        pitch = max(p.midi for p in element.pitches)
        raw.append(Note(_grid(element.offset), duration, pitch))
    notes = rests_filled(raw)
    if len([n for n in notes if n.pitch is not None]) < 8:
        return None
    tonic = _tonic(job, flat, notes, key)
    if tonic is None:
        return None
    source = GENRES[job.genre].source
    title = ""
    if score.metadata is not None and score.metadata.title:
        title = str(score.metadata.title)
    return {
        "id": job.work_id,
        "title": title[:200],
        "genre": job.genre,
        "source": source,
        "licence": SOURCES[source].licence,
        "metre": metre,
        "tonic": tonic,
        "mode": mode_for(notes, tonic),
        # Where in the bar the first note falls (a pickup starts late in its bar).
        "start": (notes[0].start + pickup) % bar,
        "notes": encode_notes(notes),
    }


def _tonic(job: Job, flat: Any, notes: list[Note], key_module: Any) -> int | None:
    sounding = [n for n in notes if n.pitch is not None]
    if GENRES[job.genre].source == "essen":
        # Essen's K: field is the key signature, not the tonic (a pentatonic tune in "K: G" may
        # end on E): folk melodies end on their tonic, so the final note names it.
        return sounding[-1].pitch % 12  # type: ignore[operator]
    if GENRES[job.genre].source == "bach_chorales":
        return int(flat.analyze("key").tonic.pitchClass)
    keys = list(flat.getElementsByClass(key_module.KeySignature))
    if keys and isinstance(keys[0], key_module.Key):
        return int(keys[0].tonic.pitchClass)
    return sounding[-1].pitch % 12  # type: ignore[operator]


def encode_notes(notes: list[Note]) -> list[int]:
    """Flat ``[pitch, duration, pitch, duration, …]`` (pitch 0 = rest), each note starting where the
    previous one ends. Compact enough to commit a CI subset."""
    out: list[int] = []
    for n in notes:
        out.extend((n.pitch or 0, n.duration))
    return out


def run_jobs(jobs: list[Job], processes: int = 2) -> list[dict[str, Any]]:
    """Extract in a process pool (music21 holds the GIL); results keep the order of ``jobs``."""
    if processes <= 1 or len(jobs) < 20:
        return [w for w in map(extract, jobs) if w is not None]
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        return [w for w in pool.imap(extract, jobs, chunksize=8) if w is not None]
