"""From the button to sound: one 16-bar piece through composition, rendering of its four parts, the
engine's mixdown and mastering, and the studio engine's ingest of each part (what must finish before
the piece is playable in a studio project), timed step by step on this machine. Queue latency and
database writes are not included here; the Playwright journey prints the end-to-end figure.
Baseline: the same piece rendered with the built-in numpy synthesizer instead of the SoundFont."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from backend.intelligence import arrange, compose, dataset, render, services, studio, synth


async def _run(label: str) -> dict[str, float]:
    from backend.audio import engine

    ds = dataset.load()
    trained = services._train("reel", ds)
    m = trained.manifest
    steps: dict[str, float] = {}
    started = time.perf_counter()
    settings = compose.Settings(16, 116, 2, "major", "folk_band", 7, "reel", "reel", "session")
    piece = compose.compose(
        trained.model, m["profile"], bar=m["bar"], metre=m["metre"], settings=settings, guard=None
    )
    steps["compose"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        t = time.perf_counter()
        rendered = render.render_parts(
            piece.parts,
            preset=arrange.PRESETS["folk_band"],
            tempo=116,
            total_steps=piece.total_steps,
            directory=directory,
        )
        steps["render parts"] = time.perf_counter() - t
        t = time.perf_counter()
        for r in rendered:
            work = directory / f"ingest-{r.part}"
            work.mkdir()
            await engine.ingest(r.path, work)
        steps["studio ingest x4"] = time.perf_counter() - t
        t = time.perf_counter()
        ids = {r.part: f"src_{r.part}" for r in rendered}
        tracks = render.studio_tracks(rendered, ids, "session", studio.op_id, {})
        doc = render.mix_document("bench", 116, m["metre"], tracks)
        levels = await render.mixdown(doc, {ids[r.part]: r.path for r in rendered}, directory / "mix.wav")
        steps["mixdown + master"] = time.perf_counter() - t
    steps["total"] = time.perf_counter() - started
    print(
        f"{label}: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items())
        + f"; {levels['lufs']} LUFS, {levels['true_peak_dbtp']} dBTP"
    )
    return steps


def main() -> None:
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    asyncio.run(_run(f"SoundFont ({synth.engine_name()})"))
    original = synth.SOUNDFONTS
    synth.SOUNDFONTS = ()
    try:
        asyncio.run(_run("baseline: numpy synth"))
    finally:
        synth.SOUNDFONTS = original


if __name__ == "__main__":
    main()
