"""The training dataset: works extracted from the corpus, each with its source and licence.

``build()`` runs the extraction (``cadenza build-dataset``) and caches the JSON in the media store;
``load()`` returns the cached full dataset if one was built, else the small fixed CI subset that is
committed with the code (``data/ci_subset.json``), so tests and a fresh ``cadenza dev`` never wait
for music21.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from backend.core import clock
from backend.core.storage import storage
from backend.intelligence import corpus
from backend.intelligence.catalogue import GENRES
from backend.intelligence.piece import Note, Piece, bar_length

CI_SUBSET_PATH = Path(__file__).parent / "data" / "ci_subset.json"
CI_WORKS_PER_GENRE = {"chorale": 60, "folk_german": 60, "folk_chinese": 60}
CI_DEFAULT_WORKS = 45
FORMAT_VERSION = 1


def storage_key(name: str) -> str:
    return f"intelligence/datasets/{name}.json"


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str  # "full" or "ci"
    built_at: str
    works: tuple[dict[str, Any], ...]

    def by_genre(self, genre: str) -> list[dict[str, Any]]:
        return [w for w in self.works if w["genre"] == genre]

    @property
    def digest(self) -> str:
        """Identifies exactly which works a model saw (recorded in its manifest)."""
        h = hashlib.sha256()
        for w in self.works:
            h.update(w["id"].encode())
        return h.hexdigest()[:16]


def piece_of(work: dict[str, Any]) -> Piece:
    """Decode a stored work into a ``Piece`` whose first note starts at its bar position."""
    bar = bar_length(work["metre"])
    notes: list[Note] = []
    t = int(work.get("start", 0))
    flat = work["notes"]
    for i in range(0, len(flat), 2):
        pitch, duration = flat[i], flat[i + 1]
        notes.append(Note(t, duration, pitch or None))
        t += duration
    return Piece(
        notes=notes,
        bar=bar,
        metre=work["metre"],
        tonic=int(work["tonic"]),
        mode=work["mode"],
        meta={"id": work["id"], "genre": work["genre"], "source": work["source"], "licence": work["licence"]},
    )


def _stable_order(job: corpus.Job) -> str:
    # Spread a subset across a collection's files rather than taking the first file's tunes.
    return hashlib.sha256(job.work_id.encode()).hexdigest()


def build(subset: str | None = None, processes: int = 2, progress: Any = print) -> dict[str, Any]:
    """Extract every genre's works (or the CI subset) and return the dataset document."""
    started = time.perf_counter()
    works: list[dict[str, Any]] = []
    for code, genre in GENRES.items():
        jobs = corpus.jobs_for(genre)
        if subset == "ci":
            wanted = CI_WORKS_PER_GENRE.get(code, CI_DEFAULT_WORKS)
            chosen: list[dict[str, Any]] = []
            ordered = sorted(jobs, key=_stable_order)
            # Parse in small batches until enough works in the genre's metre were found.
            while ordered and len(chosen) < wanted:
                batch, ordered = ordered[: wanted * 2], ordered[wanted * 2 :]
                found = corpus.run_jobs(batch, processes)
                chosen.extend(w for w in found if w["metre"] == genre.metre)
            kept = sorted(chosen[:wanted], key=lambda w: w["id"])
        else:
            found = corpus.run_jobs(jobs, processes)
            metres = Counter(w["metre"] for w in found)
            if metres and metres.most_common(1)[0][0] != genre.metre:
                progress(
                    f"warning: {code}'s most common metre is {metres.most_common(1)[0][0]}, not {genre.metre}"
                )
            kept = [w for w in found if w["metre"] == genre.metre]
        works.extend(kept)
        notes = sum(len(w["notes"]) // 2 for w in kept)
        progress(f"{code}: {len(kept)} works, {notes} notes ({len(jobs)} candidates)")
    document = {
        "version": FORMAT_VERSION,
        "name": subset or "full",
        "built_at": clock.now().isoformat(),
        "seconds": round(time.perf_counter() - started, 1),
        "works": works,
    }
    return document


def dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


async def save(document: dict[str, Any]) -> str:
    key = storage_key(document["name"])
    await storage().save_bytes(key, dumps(document))
    load.cache_clear()
    return key


def _from_document(document: dict[str, Any]) -> Dataset:
    if document.get("version") != FORMAT_VERSION:
        raise ValueError("unsupported dataset version")
    return Dataset(name=document["name"], built_at=document["built_at"], works=tuple(document["works"]))


@lru_cache(maxsize=4)
def load(prefer: str = "full") -> Dataset:
    """The full dataset if it was built (cached in the media store), else the committed CI subset."""
    names = [prefer, "ci"] if prefer != "ci" else ["ci"]
    for name in names:
        key = storage_key(name)
        if storage().exists(key):
            return _from_document(json.loads(storage().local_path(key).read_bytes()))
    return _from_document(json.loads(CI_SUBSET_PATH.read_bytes()))
