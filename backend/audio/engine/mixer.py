"""The timeline, rendered block by block: clips → track chain → fader and pan → mix → master.

Memory is flat in the song's length: each block is a few hundred kilobytes per track, a clip's
file is opened when its first block comes up and closed after its last, and effect chains carry
their state from block to block. A file that several clips play is decoded once and read from
memory, within a budget (``sources.py``).

Signal flow per track: the clips (each: source from ``offset``, ``length`` long, placed at
``start``, times ``gain_db`` and linear fades) sum into a stereo bus (a mono source feeds both
sides; a source with more than two channels contributes its first two, front left and right) →
the track's effects in order (``bypass`` skipped) → ``gain_db`` → pan. Tracks sum into the master:
→ master effects → master ``gain_db`` (→ mastering, see ``mastering.py``). In a mix without stems,
tracks whose chains end in the same reverb run one reverb between them, with the same result
(``sends.py``).

Pan law: constant power, normalised to unity at the centre. For ``pan`` p in [-1, 1] and
θ = (p + 1)·π/4, the left gain is √2·cos θ and the right gain √2·sin θ: 0 dB in both channels at
the centre, +3.01 dB in one and silence in the other at the extremes, and L² + R² = 2 whatever the
position, so a mono source keeps its loudness as it moves. On a stereo track it acts as a balance
control with the same curve.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pedalboard.io import AudioFile

from backend.audio.engine.chain import CHANNELS, Chain, RingOut, tail_seconds
from backend.audio.engine.document import Clip, Effect, Project, Track
from backend.audio.engine.errors import EngineError
from backend.audio.engine.sends import SharedReverb, final_reverb, reverb_groups
from backend.audio.engine.sources import SourceCache

BLOCK = 8192  # frames per block: large enough that per-call overhead is small, ~0.2 s at 48 kHz


def db_to_gain(value_db: float) -> float:
    return float(10.0 ** (value_db / 20.0))


def pan_gains(pan: float) -> tuple[float, float]:
    """(left, right) gains of the constant-power pan law described in the module docstring."""
    theta = (pan + 1.0) * math.pi / 4.0
    return math.sqrt(2.0) * math.cos(theta), math.sqrt(2.0) * math.sin(theta)


@dataclass(slots=True)
class _Placement:
    clip: Clip
    start: int  # first timeline frame
    length: int  # frames
    offset: int  # first source frame, at the project rate
    fade_in: int
    fade_out: int
    gain: float
    path: Path


class ClipReader:
    """One clip's source, opened on first use, resampled to the project rate if it differs."""

    def __init__(self, placement: _Placement, rate: int, cache: SourceCache | None = None) -> None:
        self.p = placement
        self.rate = rate
        self._cache = cache
        self._file: Any = None  # a ReadableAudioFile, resampled when the rates differ
        self._pos = 0  # frames of the clip already read

    def _open(self) -> None:
        try:
            f: Any = self._cache.open(self.p.path) if self._cache is not None else None
            if f is None:
                f = AudioFile(str(self.p.path))
            if f.samplerate != self.rate:
                f = f.resampled_to(self.rate)
            if self.p.offset:
                f.seek(min(self.p.offset, max(0, f.frames)))
        except Exception as exc:  # a missing or unreadable decoded file
            raise EngineError(
                "audio.errors.source_unreadable", field=None, asset=self.p.clip.asset_id
            ) from exc
        self._file = f

    def take(self, block_start: int, n: int) -> tuple[int, np.ndarray] | None:
        """This clip's next frames within the block of ``n`` frames at timeline frame ``block_start``:
        (their index in the block, a fresh stereo float32 array with gain and fades applied), or
        ``None`` when the clip has nothing there."""
        lo = max(block_start, self.p.start + self._pos)
        hi = min(block_start + n, self.p.start + self.p.length)
        if hi <= lo:
            return None
        if self._file is None:
            self._open()
        assert self._file is not None
        want = hi - lo
        audio = self._file.read(want) if self._pos < self.p.length else np.zeros((1, 0), np.float32)
        self._pos += want
        got = audio.shape[1]
        if got == 0:
            return None
        if audio.shape[0] == 1:
            audio = np.repeat(audio, 2, axis=0)
        elif audio.shape[0] > 2:
            audio = audio[:2]
        if not self._flat(lo - self.p.start, got):
            audio = audio * self._envelope(lo - self.p.start, got)
        elif self.p.gain != 1.0:
            audio = audio * np.float32(self.p.gain)
        return lo - block_start, audio

    def add_into(self, out: np.ndarray, block_start: int) -> None:
        """Add this clip's contribution to ``out`` (stereo, starting at timeline frame ``block_start``)."""
        taken = self.take(block_start, out.shape[1])
        if taken is not None:
            at, audio = taken
            out[:, at : at + audio.shape[1]] += audio

    def _flat(self, first: int, count: int) -> bool:
        """True when frames [first, first+count) of the clip lie outside both fades."""
        return first >= self.p.fade_in and first + count <= self.p.length - self.p.fade_out

    def _envelope(self, first: int, count: int) -> np.ndarray:
        """Clip gain times linear fade-in and fade-out ramps, for clip frames [first, first+count)."""
        idx = np.arange(first, first + count, dtype=np.float64)
        env = np.full(count, self.p.gain, dtype=np.float64)
        if self.p.fade_in:
            env *= np.clip(idx / self.p.fade_in, 0.0, 1.0)
        if self.p.fade_out:
            env *= np.clip((self.p.length - idx) / self.p.fade_out, 0.0, 1.0)
        return env.astype(np.float32)

    @property
    def done(self) -> bool:
        return self._pos >= self.p.length

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class TrackVoice:
    """One audible track: its clips feed its chain; ``pull(n)`` gives the next n aligned frames."""

    def __init__(
        self, track: Track, sources: dict[str, Path], rate: int, effects: Sequence[Effect] | None = None
    ) -> None:
        """``effects``: the chain to run, when not the track's own (a shared reverb takes its last)."""
        self.track = track
        self.rate = rate
        self.chain = Chain(track.effects if effects is None else effects, rate)
        self.fader = np.float32(db_to_gain(track.gain_db))
        self.pan_gain = np.array([[g] for g in pan_gains(track.pan)], dtype=np.float32)
        self.out_gain = self.pan_gain * self.fader
        self.pending = sorted(
            (_placement(c, sources, rate, f"{track.id}") for c in track.clips), key=lambda p: p.start
        )
        self.active: list[ClipReader] = []
        self.cache: SourceCache | None = None  # set by ``render_blocks``: sources shared by clips
        self._cursor = 0  # timeline frame of the next input block
        self._fifo: list[np.ndarray] = []
        self._fifo_len = 0
        self._ring_out = RingOut(self.chain.ring_seconds, rate)

    def _next_input(self) -> tuple[np.ndarray | None, int]:
        """The dry stereo block at the cursor, or ``None`` when no clip sounds in it."""
        start, end = self._cursor, self._cursor + BLOCK
        while self.pending and self.pending[0].start < end:
            self.active.append(ClipReader(self.pending.pop(0), self.rate, self.cache))
        if not self.active:
            return None, BLOCK
        if len(self.active) == 1:
            # One clip over the whole block (the common case): its audio is the block as it is,
            # without a zeroed buffer to add it into.
            taken = self.active[0].take(start, BLOCK)
            if taken is not None and taken[0] == 0 and taken[1].shape[1] == BLOCK:
                block = np.ascontiguousarray(taken[1], dtype=np.float32)
            else:
                block = np.zeros((CHANNELS, BLOCK), dtype=np.float32)
                if taken is not None:
                    block[:, taken[0] : taken[0] + taken[1].shape[1]] += taken[1]
        else:
            block = np.zeros((CHANNELS, BLOCK), dtype=np.float32)
            for reader in self.active:
                reader.add_into(block, start)
        for reader in [r for r in self.active if r.p.start + r.p.length <= end]:
            reader.close()
            self.active.remove(reader)
        return block, BLOCK

    def pull(self, n: int) -> np.ndarray:
        """The next ``n`` frames after the chain, fader and pan."""
        out = self.pull_raw(n)
        np.multiply(out, self.out_gain, out=out)
        return out

    def pull_raw(self, n: int) -> np.ndarray:
        """The next ``n`` frames after the chain, before fader and pan, as a fresh array."""
        while self._fifo_len < n:
            dry, size = self._next_input()
            self._cursor += size
            if dry is None and (self.chain.empty or (self.chain.can_idle and self._ring_out.done)):
                # Nothing plays and the effects have rung out: skip the work. The chain's
                # internal buffers hold only silence, so alignment is kept (see chain.py).
                self._append(np.zeros((CHANNELS, size), dtype=np.float32))
                continue
            playing = dry is not None
            if dry is None:
                dry = np.zeros((CHANNELS, size), dtype=np.float32)
            wet = self.chain.push(dry) if not self.chain.empty else dry
            if wet.shape[1]:
                if self.chain.can_idle:
                    self._ring_out.heard(wet, playing)
                self._append(wet)
        # Every block in the FIFO is this voice's own fresh array: callers may scale it in place.
        return self._pop(n)

    def _append(self, block: np.ndarray) -> None:
        self._fifo.append(block)
        self._fifo_len += block.shape[1]

    def _pop(self, n: int) -> np.ndarray:
        data = np.concatenate(self._fifo, axis=1) if len(self._fifo) > 1 else self._fifo[0]
        out, rest = data[:, :n], data[:, n:]
        self._fifo = [rest] if rest.shape[1] else []
        self._fifo_len = rest.shape[1]
        return out

    def close(self) -> None:
        for reader in self.active:
            reader.close()
        self.active.clear()


def _placement(clip: Clip, sources: dict[str, Path], rate: int, track_id: str) -> _Placement:
    path = sources.get(clip.asset_id)
    if path is None:
        raise EngineError("audio.errors.missing_source", field=f"{track_id}.{clip.id}", asset=clip.asset_id)
    length = round(clip.length * rate)
    return _Placement(
        clip=clip,
        start=round(clip.start * rate),
        length=length,
        offset=round(clip.offset * rate),
        fade_in=min(length, round(clip.fade_in * rate)),
        fade_out=min(length, round(clip.fade_out * rate)),
        gain=db_to_gain(clip.gain_db),
        path=Path(path),
    )


class MasterBus:
    """The master effects then the master fader, streaming, aligned like a track chain."""

    def __init__(self, project: Project, rate: int) -> None:
        self.chain = Chain(project.master.effects, rate)
        self.gain = np.float32(db_to_gain(project.master.gain_db))

    def push(self, block: np.ndarray) -> np.ndarray:
        out = self.chain.push(block) if not self.chain.empty else block
        return out * self.gain


def timeline_frames(project: Project, rate: int) -> int:
    """Frames to render: to the end of the last audible clip, plus the longest effect tail."""
    audible = project.audible_tracks()
    end = project.end_seconds(audible)
    if end <= 0:
        return 0
    tail = max([tail_seconds(t.effects) for t in audible] + [0.0]) + tail_seconds(project.master.effects)
    return int(math.ceil((end + min(10.0, tail)) * rate))


def render_blocks(
    project: Project,
    sources: dict[str, Path],
    rate: int,
    *,
    on_stem: Callable[[str, np.ndarray], None] | None = None,
    share_reverbs: bool = False,
) -> Iterator[np.ndarray]:
    """Yield the master output of the timeline in consecutive blocks, ``timeline_frames`` in all.

    ``on_stem(track_id, block)`` receives each audible track's post-fader, post-pan block
    (the same frames that go into the mix), for stem files. With ``share_reverbs``, tracks whose
    chains end in the same reverb share one (``sends.py``): the mix is the same, but those tracks'
    blocks given to ``on_stem`` stop before the reverb (``shared_reverb_tracks`` names them).
    """
    total = timeline_frames(project, rate)
    audible = project.audible_tracks()
    groups = reverb_groups(audible) if share_reverbs else []
    sharing = {t.id for group in groups for t in group}
    voices = {
        t.id: TrackVoice(t, sources, rate, effects=_without_final_reverb(t) if t.id in sharing else None)
        for t in audible
    }
    cache = SourceCache((p.path for voice in voices.values() for p in voice.pending), rate)
    for voice in voices.values():
        voice.cache = cache
    returns = [SharedReverb([voices[t.id] for t in g], rate) for g in groups]
    alone = [voice for voice in voices.values() if voice.track.id not in sharing]
    master = MasterBus(project, rate)
    fifo: list[np.ndarray] = []
    emitted = 0
    pos = 0
    try:
        while emitted < total:
            n = BLOCK
            mix = np.zeros((CHANNELS, n), dtype=np.float32)
            if pos < total:  # past the end only the master's latency is left to flush
                keep = max(0, min(n, total - pos))
                stem = _first_frames(on_stem, keep) if on_stem is not None else None
                for voice in alone:
                    out = voice.pull(n)
                    if stem is not None:
                        stem(voice.track.id, out)
                    mix += out
                for shared in returns:
                    shared.mix_into(mix, stem)
            pos += n
            out = master.push(mix)
            if out.shape[1]:
                fifo.append(out)
            ready = sum(b.shape[1] for b in fifo)
            if ready >= BLOCK or pos >= total:
                data = np.concatenate(fifo, axis=1) if len(fifo) > 1 else fifo[0] if fifo else mix[:, :0]
                fifo = []
                take = min(data.shape[1], total - emitted)
                if take:
                    yield data[:, :take]
                    emitted += take
    finally:
        for voice in voices.values():
            voice.close()


def shared_reverb_tracks(project: Project) -> set[str]:
    """Ids of the tracks that a render with ``share_reverbs`` mixes through a shared reverb."""
    return {t.id for group in reverb_groups(project.audible_tracks()) for t in group}


def _first_frames(on_stem: Callable[[str, np.ndarray], None], keep: int) -> Callable[[str, np.ndarray], None]:
    """``on_stem`` given only a block's first ``keep`` frames (the timeline's last block is short)."""
    return lambda track_id, block: on_stem(track_id, block[:, :keep])


def _without_final_reverb(track: Track) -> list[Effect]:
    reverb = final_reverb(track)
    return [e for e in track.effects if e is not reverb]
