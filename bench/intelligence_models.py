"""Genre models: training time per genre, generation time for 16 and 64 bars, render time per
minute of audio — each next to a baseline measured in the same run (music21 parsing one work,
an order-1 model, the built-in numpy synthesizer)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from backend.intelligence import arrange, compose, corpus, dataset, harmony, synth
from backend.intelligence.catalogue import GENRES


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    from backend.intelligence import services

    ds = dataset.load()
    print(f"dataset: {ds.name} ({len(ds.works)} works)")
    trained = {}
    for code in GENRES:
        started = time.perf_counter()
        trained[code] = services._train(code, ds)
        took = time.perf_counter() - started
        m = trained[code].manifest
        print(
            f"train {code:13s} {took:6.2f} s  (order {m['parameters']['order']}, held-out loss {m['heldout_loss']:.3f}, {m['pieces']} pieces)"
        )
    job = corpus.jobs_for(GENRES["reel"])[0]
    started = time.perf_counter()
    corpus.extract(job)
    print(f"baseline: music21 parses one reel in {_ms(time.perf_counter() - started)}")
    for bars in (16, 64):
        for code in ("reel", "chorale"):
            t = trained[code]
            m = t.manifest
            timings, baseline = [], []
            for seed in range(10):
                s = compose.Settings(bars, 100, 2, "major", "piano", seed, "reel", "reel", "session")
                started = time.perf_counter()
                compose.compose(t.model, m["profile"], bar=m["bar"], metre=m["metre"], settings=s, guard=None)
                timings.append(time.perf_counter() - started)
                started = time.perf_counter()
                compose.compose(
                    t.model.with_order(1),
                    m["profile"],
                    bar=m["bar"],
                    metre=m["metre"],
                    settings=s,
                    guard=None,
                )
                baseline.append(time.perf_counter() - started)
            print(
                f"generate {bars:2d} bars {code:8s} median {_ms(float(np.median(timings)))} (melody, chords, parts, MIDI); order-1 baseline {_ms(float(np.median(baseline)))}"
            )
    t = trained["reel"]
    m = t.manifest
    s = compose.Settings(64, 116, 2, "major", "folk_band", 1, "reel", "reel", "session")
    piece = compose.compose(t.model, m["profile"], bar=m["bar"], metre=m["metre"], settings=s, guard=None)
    minutes = synth.seconds_of(piece.total_steps, 116) / 60
    preset = arrange.PRESETS["folk_band"]
    for label, paths in (
        ("TimGM6mb", synth.SOUNDFONTS[:1]),
        ("FluidR3", synth.SOUNDFONTS[1:]),
        ("numpy synth (baseline)", ()),
    ):
        if paths and not paths[0].is_file():
            continue
        original = synth.SOUNDFONTS
        synth.SOUNDFONTS = tuple(Path(p) for p in paths)
        started = time.perf_counter()
        for part, notes in piece.parts.items():
            synth.render_part(
                notes,
                program=preset.programs[part],
                drums=part == "drums",
                velocity=90,
                tempo=116,
                total_steps=piece.total_steps,
            )
        took = time.perf_counter() - started
        synth.SOUNDFONTS = original
        print(f"render 4 parts with {label}: {took / minutes:.2f} s per minute of audio")
    _ = harmony


if __name__ == "__main__":
    main()
