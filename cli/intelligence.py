"""``cadenza build-dataset``: extract note sequences from music21's corpus, cache them in the media store."""

from __future__ import annotations

import asyncio
from pathlib import Path


def build_dataset(subset: str | None, processes: int, output: str | None) -> int:
    from backend.intelligence import dataset

    document = dataset.build(subset, processes=processes, progress=lambda line: print(line, flush=True))
    key = asyncio.run(dataset.save(document))
    works = len(document["works"])
    notes = sum(len(w["notes"]) // 2 for w in document["works"])
    print(f"{works} works, {notes} notes in {document['seconds']} s → media store {key}")
    if output:
        Path(output).write_bytes(dataset.dumps(document))
        print(f"wrote {output}")
    return 0
