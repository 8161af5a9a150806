"""Tracks that end in the same reverb share one: the mix must be what each track's own reverb gives."""

from __future__ import annotations

import numpy as np
import pedalboard
import pytest

from backend.audio.engine import build_plugin, render
from backend.audio.engine.document import parse_project
from backend.audio.engine.mixer import pan_gains
from backend.audio.engine.sends import reverb_groups
from tests.audio.engine.signals import noisy_tones, read, rms_db, sine, write
from tests.audio.engine.test_render import RATE, clip, project, track

HALL = {
    "type": "reverb",
    "params": {"room_size": 0.7, "damping": 0.3, "wet_level": 0.4, "dry_level": 0.5, "width": 0.8},
}
ROOM = {"type": "reverb", "params": {"room_size": 0.3, "wet_level": 0.2, "dry_level": 0.7}}
COMP = {"type": "compressor", "params": {"threshold_db": -24, "ratio": 4}}
EQ = {"type": "peak_eq", "params": {"cutoff_hz": 1500, "gain_db": 4, "q": 1.0}}

# (gain dB, pan, effects, clips as (start, length, asset)): the hall is shared by four tracks with
# four pans (two reverbs), the room by three tracks with two pans (two reverbs); the track whose
# reverb is followed by an EQ keeps its own. One pan, one reverb: the metering test below.
TRACKS = {
    "hall_a": (-3.0, -1.0, [COMP, EQ, HALL], [(0.0, 2.0, "a"), (44.0, 1.0, "a")]),  # a silent 42 s
    "hall_b": (0.0, -0.2, [HALL], [(0.5, 2.0, "b")]),
    "hall_c": (-6.0, 0.7, [EQ, HALL, {**EQ, "bypass": True}], [(0.2, 1.5, "c")]),
    "hall_d": (-1.5, 1.0, [COMP, HALL], [(1.0, 1.0, "b")]),
    "room_a": (-2.0, 0.4, [ROOM], [(0.0, 1.0, "c")]),
    "room_b": (-4.0, 0.4, [COMP, ROOM], [(0.5, 1.5, "a")]),
    "own_room": (0.0, -0.4, [ROOM], [(0.1, 1.0, "b")]),  # the room's only track at its pan: 2 reverbs for 3
    "reverb_then_eq": (0.0, 0.0, [HALL, EQ], [(0.0, 1.0, "a")]),  # the reverb is not last: not shared
}


def _doc() -> dict:
    return project(
        [
            track(tid, [clip(asset, start, length) for start, length, asset in clips], gain_db=gain, pan=pan,
                  effects=effects)
            for tid, (gain, pan, effects, clips) in TRACKS.items()
        ],
        master={"effects": [{"type": "compressor", "params": {"threshold_db": -10, "ratio": 2}}]},
    )  # fmt: skip


@pytest.fixture
def sources(tmp_path):
    return noisy_tones(tmp_path, 180, RATE, seed=7)


def test_groups_form_only_where_they_save_reverbs():
    groups = reverb_groups(parse_project(_doc()).audible_tracks())
    assert sorted(sorted(t.id for t in g) for g in groups) == [
        ["hall_a", "hall_b", "hall_c", "hall_d"],
        ["own_room", "room_a", "room_b"],
    ]
    two_pans = project([track("x", [], pan=-0.5, effects=[HALL]), track("y", [], pan=0.5, effects=[HALL])])
    assert reverb_groups(parse_project(two_pans).audible_tracks()) == [], "two pans need two reverbs anyway"
    one_pan = project(
        [track("x", [], pan=0.5, effects=[HALL]), track("y", [], pan=0.5, effects=[COMP, HALL])]
    )
    assert len(reverb_groups(parse_project(one_pan).audible_tracks())) == 1


async def test_a_shared_reverb_mixes_as_if_each_track_had_its_own(tmp_path, sources):
    doc = _doc()
    result = await render(doc, sources, tmp_path / "mix.wav")
    mix, _ = read(tmp_path / "mix.wav")
    total = mix.shape[1]
    assert result.peaks_before_reverb == sorted(["hall_a", "hall_b", "hall_c", "hall_d", "room_a", "room_b",
                                                 "own_room"])  # fmt: skip

    # The reference: each track's whole timeline through its own fresh pedalboard, in one call.
    reference = np.zeros((2, total), dtype=np.float64)
    for gain_db, pan, effects, clips in TRACKS.values():
        dry = np.zeros((2, total), dtype=np.float32)
        for start, length, asset in clips:
            audio = read(sources[asset])[0][:, : int(length * RATE)]
            dry[:, int(start * RATE) : int(start * RATE) + audio.shape[1]] += audio
        board = pedalboard.Pedalboard(
            [build_plugin(e["type"], e["params"]) for e in effects if not e.get("bypass")]
        )
        left, right = pan_gains(pan)
        reference += board.process(dry, RATE) * np.array([[left], [right]]) * 10 ** (gain_db / 20)
    master = pedalboard.Pedalboard([build_plugin(e["type"], e["params"]) for e in doc["master"]["effects"]])
    reference = master.process(reference.astype(np.float32), RATE)

    error = np.abs(mix - reference)
    assert error.max() < 1e-4, f"max difference {error.max():.2e}"
    assert rms_db(mix - reference) < rms_db(reference) - 90
    tail = slice(int(45.5 * RATE), int(46.5 * RATE))  # after hall_a's last clip: only its reverb sounds
    assert rms_db(mix[:, tail]) > -80


async def test_with_stems_each_track_keeps_its_reverb_and_the_mix_is_the_same(tmp_path, sources):
    doc = _doc()
    await render(doc, sources, tmp_path / "shared.wav")
    own = await render(doc, sources, tmp_path / "own.wav", stems_dir=tmp_path / "stems")
    assert own.peaks_before_reverb == []
    assert np.max(np.abs(read(tmp_path / "shared.wav")[0] - read(tmp_path / "own.wav")[0])) < 1e-5
    # A stem carries the track's reverb, so its peak is at least the peak metered before the reverb
    # in the shared render, and the stem's meter is the stem's own peak.
    for track_id, path in own.stems.items():
        stem_peak = 20 * np.log10(np.max(np.abs(read(path)[0])))
        assert own.track_peaks_dbfs[track_id] == pytest.approx(stem_peak, abs=1e-4)


async def test_a_shared_track_is_metered_before_the_reverb(tmp_path):
    tone = write(tmp_path / "tone.wav", sine(440, 1.0, RATE, 0.5), RATE)
    doc = project(
        [track(t, [clip("s", 0.0, 1.0)], gain_db=-6.0, pan=0.0, effects=[ROOM]) for t in ("x", "y")]
    )
    result = await render(doc, {"s": tone}, tmp_path / "mix.wav")
    assert result.peaks_before_reverb == ["x", "y"]
    expected = 20 * np.log10(0.5 * 2 * ROOM["params"]["dry_level"] * 10 ** (-6 / 20))  # JUCE's dry gain is 2×
    for track_id in ("x", "y"):
        assert result.track_peaks_dbfs[track_id] == pytest.approx(expected, abs=0.01)
