"""An effect chain that runs block by block and keeps its output aligned with its input.

pedalboard plugins keep their state between calls with ``reset=False``; a plugin with latency
(the true-peak limiter's lookahead) returns fewer samples at first and pedalboard trims the delay,
so output sample *n* always belongs to input sample *n*. ``Chain.push`` therefore returns a
variable number of frames, and ``Chain.flush`` feeds silence until every input frame has come out.

``PitchShift`` is the exception: measured with pedalboard 0.9.26, its streaming mode
(``reset=False``) returns silence or misaligned audio at every block size tried. It runs here on
overlapping windows in pedalboard's whole-buffer mode (which is aligned), each window joined to
the previous one by a short crossfade at the lag where the two agree best, so a steady tone keeps
its level across joins. That costs one window of latency, which ``Chain`` absorbs like any other.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pedalboard

from backend.audio.engine.document import Effect
from backend.audio.engine.effects import build_plugin

CHANNELS = 2
QUIET = 1e-6  # -120 dBFS: a chain's output below this counts as silence (see RingOut)


class BoardStage:
    """Consecutive plugins run as one pedalboard, state kept between blocks."""

    def __init__(self, plugins: list[pedalboard.Plugin], sample_rate: int) -> None:
        self.board = pedalboard.Pedalboard(plugins)
        self.rate = sample_rate

    def push(self, block: np.ndarray) -> np.ndarray:
        if block.shape[1] == 0:
            return block
        return self.board.process(block, self.rate, buffer_size=block.shape[1], reset=False)


class WindowedPitchShift:
    """Pitch shift on overlapping windows; output lags input by at most ``window`` frames."""

    def __init__(self, plugin: pedalboard.Plugin, sample_rate: int, window_seconds: float = 8.0) -> None:
        self.plugin = plugin
        self.rate = sample_rate
        self.hop = int(window_seconds * sample_rate)
        self.fade = sample_rate // 12  # ~83 ms: a join spread thin is a join not heard
        self.max_lag = sample_rate // 100  # 10 ms: inaudible timing slack at a join
        # Context on each side lets the phase vocoder settle before the part we keep.
        self.pad = self.fade + self.max_lag + sample_rate // 8
        self._input = np.zeros((CHANNELS, 0), dtype=np.float32)
        self._consumed = 0  # absolute frame index of self._input[:, 0]
        self._next = 0  # absolute start of the next hop to emit
        self._tail: np.ndarray | None = None  # the previous window's continuation, for the join

    def push(self, block: np.ndarray) -> np.ndarray:
        self._input = np.concatenate([self._input, block.astype(np.float32, copy=False)], axis=1)
        out = []
        while self._consumed + self._input.shape[1] >= self._next + self.hop + self.pad:
            out.append(self._emit())
        return np.concatenate(out, axis=1) if out else np.zeros((CHANNELS, 0), dtype=np.float32)

    def _emit(self) -> np.ndarray:
        start = self._next
        lo = max(0, start - self.pad)
        hi = start + self.hop + self.pad
        segment = self._input[:, lo - self._consumed : hi - self._consumed]
        wet = self.plugin.process(segment, self.rate, reset=True)
        at = start - lo
        if self._tail is not None:
            at += self._best_lag(wet, at)
        body = wet[:, at : at + self.hop].copy()
        if self._tail is not None:
            body[:, : self.fade] = self._join(self._tail, body[:, : self.fade])
        self._tail = wet[:, at + self.hop : at + self.hop + self.fade].copy()
        if self._tail.shape[1] < self.fade:
            self._tail = None
        self._next = start + self.hop
        # Keep only what the next window needs (its left context).
        keep_from = max(0, self._next - self.pad) - self._consumed
        self._input = self._input[:, keep_from:]
        self._consumed += keep_from
        return body

    def _join(self, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
        """Crossfade whose gains keep the power constant for the two signals' actual correlation:
        two phase-vocoder renderings of the same sound agree only partly (measured ~0.8-0.9), and a
        plain linear crossfade would dip in the middle by up to (1 + c) / 2 in power."""
        a = tail.sum(axis=0).astype(np.float64)
        b = head.sum(axis=0).astype(np.float64)
        denom = float(np.sqrt((a @ a) * (b @ b)))
        c = min(1.0, max(0.0, float(a @ b) / denom)) if denom > 1e-12 else 1.0
        r = np.linspace(0.0, 1.0, head.shape[1])
        k = 1.0 / np.sqrt((1 - r) ** 2 + r**2 + 2 * c * r * (1 - r))
        return (tail * ((1 - r) * k) + head * (r * k)).astype(np.float32)

    def _best_lag(self, wet: np.ndarray, at: int) -> int:
        """The lag, within ±max_lag, at which this window best continues the previous one."""
        assert self._tail is not None
        ref = self._tail.sum(axis=0).astype(np.float64)
        ref_energy = float(ref @ ref)
        if ref_energy < 1e-12:
            return 0
        lo = max(-self.max_lag, -at)
        cand = wet.sum(axis=0).astype(np.float64)[at + lo : at + self.max_lag + self.fade]
        if cand.shape[0] < self.fade:
            return 0
        corr = np.correlate(cand, ref, mode="valid")
        energy = np.convolve(cand * cand, np.ones(self.fade), mode="valid")
        score = corr / np.sqrt(ref_energy * np.maximum(energy, 1e-12))
        lags = np.arange(lo, lo + score.shape[0])
        # Prefer lags near zero: on periodic sound many lags match almost equally, and always
        # continuing from the previous window's lag would let the joins drift (measured: a 440 Hz
        # tone came out 1% flat). Anchoring at zero keeps every window within a period of its place.
        score = score - 0.5 * np.abs(lags) / self.max_lag
        return int(lags[int(np.argmax(score))])


Stage = BoardStage | WindowedPitchShift


class Chain:
    """The active (not bypassed) effects of a track or bus, in order, as streaming stages."""

    def __init__(self, effects: Sequence[Effect], sample_rate: int) -> None:
        self.rate = sample_rate
        self.stages: list[Stage] = []
        run: list[pedalboard.Plugin] = []
        # A time after the input falls silent during which the output may still sound: used to
        # decide when a silent track can skip processing (see mixer.TrackVoice).
        self.ring_seconds = 0.5
        # Chorus and phaser run an LFO: skipping silent blocks would stop its clock, and the next
        # note would meet a different phase than an uninterrupted render. Such chains never idle.
        self.can_idle = True
        for effect in effects:
            if effect.bypass:
                continue
            plugin = build_plugin(effect.type, effect.params)
            if effect.type == "pitch_shift":
                if run:
                    self.stages.append(BoardStage(run, sample_rate))
                    run = []
                stage = WindowedPitchShift(plugin, sample_rate)
                self.stages.append(stage)
                self.ring_seconds += (stage.hop + 2 * stage.pad) / sample_rate
            else:
                run.append(plugin)
                self.ring_seconds += effect_ring_seconds(effect)
                if effect.type in ("chorus", "phaser"):
                    self.can_idle = False
        if run:
            self.stages.append(BoardStage(run, sample_rate))

    @property
    def empty(self) -> bool:
        return not self.stages

    def push(self, block: np.ndarray) -> np.ndarray:
        for stage in self.stages:
            block = stage.push(block)
        return block


class RingOut:
    """How long a chain's output has stayed silent since its input last sounded: once that is
    longer than the chain rings, its buffers hold only silence and it may skip silent blocks."""

    def __init__(self, seconds: float, sample_rate: int) -> None:
        self.limit = int(seconds * sample_rate)
        self.frames = 0

    def heard(self, wet: np.ndarray, playing: bool) -> None:
        """Account for one output block; ``playing``: its input sounded (no need to look)."""
        if playing or float(np.max(np.abs(wet), initial=0.0)) >= QUIET:
            self.frames = 0
        else:
            self.frames += wet.shape[1]

    @property
    def done(self) -> bool:
        return self.frames >= self.limit


def effect_ring_seconds(effect: Effect) -> float:
    p = effect.params
    if effect.type == "delay":
        # Until the echoes fall 120 dB: feedback^n <= 1e-6.
        feedback = max(1e-3, min(p["feedback"], 0.95))
        echoes = 1 + int(np.ceil(np.log(1e-6) / np.log(feedback))) if feedback > 1e-3 else 1
        return min(60.0, p["delay_seconds"] * echoes)
    if effect.type == "reverb":
        return 1.0 + 9.0 * p["room_size"]
    if effect.type in ("chorus", "phaser"):
        return 0.1
    if effect.type in ("compressor", "limiter", "noise_gate"):
        return p.get("release_ms", 100.0) / 1000.0
    return 0.05


def tail_seconds(effects: Sequence[Effect]) -> float:
    """How long a chain keeps sounding after its input stops (reverb tails, echoes), capped at 10 s."""
    total = 0.0
    for effect in effects:
        if effect.bypass:
            continue
        if effect.type == "reverb":
            total += 1.0 + 3.0 * effect.params["room_size"]
        elif effect.type == "delay":
            feedback = effect.params["feedback"]
            echoes = 1 + (int(np.ceil(np.log(1e-3) / np.log(feedback))) if feedback > 0.01 else 0)
            total += effect.params["delay_seconds"] * echoes
    return min(10.0, total)
