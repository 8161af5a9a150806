"""The studio's operation log, in memory: how fast batches validate and apply on a big song.

Baseline, a shared 2-core development machine (Python 3.11):
  64 tracks × 32 clips × 4 effects (2048 clips, 342 KiB): one set_track ≈ 16 ms, 200 mixed ops ≈ 40–60 ms
  16 tracks × 4 clips: one set_track ≈ 0.7 ms
  Nearly all of it is the one copy of the document a batch makes (a JSON round trip); the checks
  themselves are linear scans of a track's clips or a chain's effects.
The database side (lock the row, write the document and the log rows) is measured by the tests'
timings; a batch is one transaction of 3 statements + 1 insert of n rows.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("PICCOLO_CONF", "backend.piccolo_conf")

from backend.audio import operations as ops  # noqa: E402


def _song(tracks: int, clips: int, effects: int) -> tuple[dict, ops.Context]:
    asset = ops.AssetInfo(id="ast_bench0000", duration=600.0, usable=True)
    ctx = ops.Context(max_tracks=64, assets={asset.id: asset})
    batch = []
    for t in range(tracks):
        batch.append(
            {
                "kind": "add_track",
                "track": {
                    "id": f"trk_b{t:08d}",
                    "effects": [{"id": f"fx_b{t:04d}{e:04d}", "type": "compressor"} for e in range(effects)],
                    "clips": [
                        {"id": f"clp_b{t:04d}{c:04d}", "asset_id": asset.id, "start": c * 10.0, "length": 8.0}
                        for c in range(clips)
                    ],
                },
            }
        )
    return ops.apply_batch(ops.new_document("Bench"), batch, ctx).document, ctx


def _time(label: str, fn, repeat: int = 20) -> None:  # type: ignore[no-untyped-def]
    fn()
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    print(f"{label:<58} {(time.perf_counter() - started) / repeat * 1000:8.2f} ms")


def main() -> None:
    doc, ctx = _song(64, 32, 4)
    print(f"document: 64 tracks, 2048 clips, 256 effects ({len(str(doc)) // 1024} KiB as text)")
    one = [{"kind": "set_track", "track_id": "trk_b00000005", "field": "gain_db", "value": -3.0}]
    _time("one set_track", lambda: ops.apply_batch(doc, one, ctx))
    mixed = []
    for i in range(50):
        mixed += [
            {"kind": "set_track", "track_id": f"trk_b{i:08d}", "field": "pan", "value": 0.25},
            {
                "kind": "move_clip",
                "track_id": f"trk_b{i:08d}",
                "clip_id": f"clp_b{i:04d}0001",
                "start": 500.0,
            },
            {
                "kind": "set_effect_param",
                "target": f"trk_b{i:08d}",
                "effect_id": f"fx_b{i:04d}0000",
                "param": "ratio",
                "value": 6.0,
            },
            {
                "kind": "add_clip",
                "track_id": f"trk_b{i:08d}",
                "clip": {"id": f"clp_n{i:08d}", "asset_id": "ast_bench0000", "start": 3000.0, "length": 4.0},
            },
        ]
    _time("200 mixed operations (set, move, param, add)", lambda: ops.apply_batch(doc, mixed, ctx), repeat=5)
    small, small_ctx = _song(16, 4, 2)
    _time(
        "one set_track on a 16-track song",
        lambda: ops.apply_batch(
            small,
            one[:0] + [{"kind": "set_track", "track_id": "trk_b00000003", "field": "mute", "value": True}],
            small_ctx,
        ),
    )
