"""Sources shared by several clips are decoded once: the mix is the same, sample for sample, and
the decoded audio is let go when the last clip using it has been read."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from backend.audio.engine import sources as source_cache
from backend.audio.engine.document import parse_project
from backend.audio.engine.mixer import render_blocks
from backend.audio.engine.sources import SourceCache
from tests.audio.engine.signals import music, sine, write

RATE = 48000
CHAIN = [
    {"type": "compressor", "params": {"threshold_db": -20, "ratio": 3}},
    {"type": "reverb", "params": {"room_size": 0.5}},
]


def _loop_project(loops: list[str], mono: str) -> dict:
    """Two tracks of back-to-back loops (with an offset, clip gain and fades) and a one-shot."""
    clips = [
        {"id": f"c{k}", "asset_id": loops[k % 2], "start": k * 1.5, "length": 1.5, "offset": 0.25 * (k % 3),
         "gain_db": -3.0 * (k % 2), "fade_in": 0.1 if k == 3 else 0.0, "fade_out": 0.2 if k == 4 else 0.0}
        for k in range(6)
    ]  # fmt: skip
    return {
        "title": "loops",
        "sample_rate": RATE,
        "tracks": [
            {"id": "trk_a", "name": "a", "clips": clips, "effects": CHAIN},
            {"id": "trk_b", "name": "b", "clips": [dict(c, id=f"b{c['id']}") for c in clips], "pan": -0.5},
            {
                "id": "trk_c",
                "name": "c",
                "clips": [{"id": "m", "asset_id": mono, "start": 2.0, "length": 1.0}],
            },
        ],
        "master": {"effects": [{"type": "limiter", "params": {}}]},
    }


def _mix(document: dict, files: dict[str, Path]) -> np.ndarray:
    return np.concatenate(list(render_blocks(parse_project(document), files, RATE)), axis=1)


def test_a_loop_decoded_once_mixes_exactly_like_one_read_from_its_file(tmp_path, monkeypatch):
    files = {
        "loop_a": write(tmp_path / "a.flac", music(2.0, RATE, seed=1) * 0.5, RATE, bit_depth=24),
        "loop_b": write(tmp_path / "b.wav", music(2.0, RATE, seed=2) * 0.5, RATE),
        "one_shot": write(tmp_path / "m.wav", sine(330, 1.0, RATE), RATE),
    }
    document = _loop_project(["loop_a", "loop_b"], "one_shot")
    cached = _mix(document, files)
    monkeypatch.setattr(source_cache, "BUDGET_BYTES", 0)  # nothing fits: every clip reads its file
    streamed = _mix(document, files)
    assert cached.shape == streamed.shape
    assert np.max(np.abs(cached)) > 0.1
    assert np.array_equal(cached, streamed)


def test_only_shared_sources_at_the_render_rate_are_kept_and_only_while_needed(tmp_path):
    shared = write(tmp_path / "shared.wav", sine(440, 1.0, RATE, channels=2), RATE)
    once = write(tmp_path / "once.wav", sine(440, 1.0, RATE, channels=2), RATE)
    other_rate = write(tmp_path / "44k.wav", sine(440, 1.0, 44100, channels=2), 44100)
    cache = SourceCache([shared, shared, once, other_rate, other_rate], RATE)
    assert cache.open(once) is None
    assert cache.open(other_rate) is None  # a resampled read is not a slice of the whole file
    first, second = cache.open(shared), cache.open(shared)
    assert first is not None and second is not None
    assert cache.held_bytes == RATE * 2 * 4
    first.seek(RATE // 2)
    block = first.read(1000)
    assert block.shape == (2, 1000)
    block *= 0  # the mixer scales what it reads in place: the cached audio must not change
    assert np.max(np.abs(second.read(RATE))) > 0.49
    first.close()
    assert cache.held_bytes > 0, "still needed by the second clip"
    second.close()
    assert cache.held_bytes == 0
    assert SourceCache([shared, shared], RATE, budget_bytes=RATE * 2 * 4 - 1).open(shared) is None
