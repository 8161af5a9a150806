"""The audio engine's render: real-time factor and peak memory, with SoX and ffmpeg as baselines.

Work: 16 tracks × 3 minutes stereo, each through compressor → peak EQ → reverb, summed into a
master chain (compressor → high shelf → limiter), written as a float WAV. Measured at 48 kHz and at
96 kHz from 24-bit sources, all on one pinned core. Baselines on the same files and core:
  - SoX: per track ``compand`` (compressor) → ``equalizer`` (peak EQ) → ``reverb``, mixed with
    ``-m`` (every track a ``|sox …`` pipe), then ``compand`` → ``treble`` on the mix;
  - ffmpeg: the plain mix only, ``amix=inputs=16:normalize=0`` (no effects).
Then the peak memory of a 10-minute, 64-track project at 96 kHz (same chain on every track).

Aims (from the studio issue): ≥ 20× real time at 48 kHz, faster than SoX on the same work,
< 500 MB peak for the 10-minute, 64-track project.

Time: wall clock, and CPU time (the engine's child reports its own; SoX's and ffmpeg's is their
process tree's, from ``RUSAGE_CHILDREN``). On a shared machine the CPU figure is the one to
compare; on a quiet, pinned core the two agree.

Peak memory: the engine's is the render child's peak resident set (``ru_maxrss``), which includes
~100 MB of numpy/scipy/pedalboard pages shared with the forkserver; SoX's and ffmpeg's is the
largest sum of the resident sets of their process tree, sampled every 20 ms.

Measured 27 Nov 2026 on this 2-core machine, quiet (load average 1.0 before, 2.3 after; the bench
pinned to one core). Every track's reverb has the same settings, so the tracks share one
(``backend/audio/engine/sends.py``: the same mix within float rounding); the "none shared" rows give
each track its own room size, so every track runs its own reverb, as SoX does:
  engine 16×3 min, 48 kHz, FX+master             7.1 s CPU = 25.4× real time, 106 MB
    same, 16 reverb settings (none shared)      11.5 s CPU = 15.6×,             107 MB
  sox, same chain, 48 kHz                        20.6 s CPU =  8.8×,             134 MB
  ffmpeg amix, plain mix, 48 kHz                  3.2 s CPU = 56.4×,              63 MB
  engine 16×3 min, 96 kHz / 24-bit, FX+master   13.5 s CPU = 13.3×,             106 MB
    same, 16 reverb settings (none shared)      22.2 s CPU =  8.1×,             109 MB
  sox, same chain, 96 kHz                        38.8 s CPU =  4.6×,             137 MB
  ffmpeg amix, 96 kHz                             6.1 s CPU = 29.5×,              63 MB
  engine 64×10 min, 96 kHz, FX+master           92.3 s CPU =  6.5×,             286 MB peak
The aims are met: 25× at 48 kHz; faster than SoX on the same work (2.9×; 1.8× with every reverb
its own); 286 MB for the 10-minute, 64-track project (its eight 30 s loops held decoded, see
``sources.py``).

Where the time goes (callgrind, before reverbs were shared): pedalboard's reverb 55% of a render's
instructions, its compressor 17% (11% in ``powf``), FLAC decoding 13% (pedalboard's decoder is the
fastest measured here: libsndfile, ffmpeg and sox decode slower), EQ 3%, everything in Python and
numpy (mixing, metering, writing) about 7%. So with 16 reverbs 20× cannot be reached on this
machine; sharing one cuts the reverb's part from 16 runs to 2.

Earlier figures (same machine; CPU seconds vary from day to day and with the load of others, so
compare rows of one run): 26 Nov, quiet, before the shared reverb: engine 12.4× at 48 kHz, SoX
7.7×, ffmpeg 55.6×; 64×10 min at 96 kHz 1.9× and 127 MB (the loops were then streamed).

Source audio is synthesised here (drum-like noise bursts, a bass, a chord; a different seed per
track) and written as 24-bit FLAC, the form ingest gives the renderer. Figures taken on a shared
machine vary with the load of others; each run prints the load average beside them.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile

from backend.audio.engine import render, warm_up

TRACKS = 16
MINUTES = 3.0
BIG_TRACKS = 64
BIG_MINUTES = 10.0
TRACK_CHAIN = [
    {"type": "compressor", "params": {"threshold_db": -20, "ratio": 3, "attack_ms": 10, "release_ms": 120}},
    {"type": "peak_eq", "params": {"cutoff_hz": 2000, "gain_db": 3, "q": 1.0}},
    {"type": "reverb", "params": {"room_size": 0.5, "wet_level": 0.25, "dry_level": 0.8}},
]
MASTER_CHAIN = [
    {"type": "compressor", "params": {"threshold_db": -12, "ratio": 2}},
    {"type": "high_shelf", "params": {"cutoff_hz": 8000, "gain_db": 2}},
    {"type": "limiter", "params": {"threshold_db": -1}},
]
SOX_TRACK = [
    "compand",
    "0.01,0.12",
    "6:-70,-70,-20,-20,0,-13.3",
    "equalizer",
    "2000",
    "1q",
    "3",
    "reverb",
    "50",
]
SOX_MASTER = ["compand", "0.01,0.1", "6:-70,-70,-12,-12,0,-6", "treble", "2", "8000"]


def _synth(path: Path, seconds: float, rate: int, seed: int) -> None:
    """Write ``seconds`` of song-like stereo audio as 24-bit FLAC, a minute at a time."""
    rng = np.random.default_rng(seed)
    tempo = 0.45 + 0.1 * rng.random()
    base = 55.0 * 2 ** (rng.integers(0, 12) / 12)
    with soundfile.SoundFile(str(path), "w", rate, 2, "PCM_24", format="FLAC") as out:
        done = 0
        total = int(seconds * rate)
        while done < total:
            n = min(rate * 60, total - done)
            t = (done + np.arange(n)) / rate
            phase = np.mod(t, tempo)
            drums = rng.standard_normal(n) * (phase < 0.07) * np.exp(-phase * 35)
            bass = np.sin(2 * np.pi * base * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.2 * t))
            chord = sum(
                0.3 * np.sin(2 * np.pi * base * 4 * r * t + i) for i, r in enumerate((1.0, 1.26, 1.5))
            )
            left = 0.25 * (drums + bass + chord)
            right = 0.25 * (np.roll(drums, 37) + bass + 0.8 * chord)
            out.write(np.clip(np.stack([left, right], axis=1), -1, 1))
            done += n


def _pin() -> int:
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})  # inherited by the forkserver, its children, sox and ffmpeg
    return core


def _tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants, from /proc."""
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    stack.extend(int(p) for p in fh.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_tool(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (the whole process tree) and peak tree RSS (MB) of a command."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_mb(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {stderr.decode()[-500:]}")
    return elapsed, _children_cpu() - cpu_before, peak


def _document(
    sources: list[str],
    rate: int,
    seconds: float,
    tracks: int,
    loop: float | None = None,
    *,
    own_reverbs: bool = False,
) -> dict:
    """The bench project. With ``own_reverbs`` each track's reverb has its own room size, so no
    two tracks can share one (``backend/audio/engine/sends.py``): SoX's amount of reverb work."""
    clips_per_track = int(np.ceil(seconds / loop)) if loop else 1
    length = loop if loop else seconds
    return {
        "title": "bench",
        "sample_rate": rate,
        "tracks": [
            {
                "id": f"trk_{i}",
                "name": f"Track {i + 1}",
                "pan": float(np.sin(i)) * 0.6,
                "gain_db": -6.0,
                "effects": _own_reverb(TRACK_CHAIN, 0.4 + 0.01 * i) if own_reverbs else TRACK_CHAIN,
                "clips": [
                    {"id": f"clp_{i}_{k}", "asset_id": sources[i % len(sources)], "start": k * length,
                     "length": min(length, seconds - k * length)}
                    for k in range(clips_per_track)
                ],
            }
            for i in range(tracks)
        ],
        "master": {"effects": MASTER_CHAIN},
    }  # fmt: skip


def _own_reverb(chain: list[dict], room_size: float) -> list[dict]:
    return [
        {**e, "params": {**e["params"], "room_size": room_size}} if e["type"] == "reverb" else e
        for e in chain
    ]


async def _engine(
    files: list[Path],
    rate: int,
    out: Path,
    seconds: float,
    tracks: int,
    loop: float | None = None,
    *,
    own_reverbs: bool = False,
):
    sources = {f.stem: f for f in files}
    doc = _document(list(sources), rate, seconds, tracks, loop, own_reverbs=own_reverbs)
    started = time.perf_counter()
    result = await render(doc, sources, out)
    return time.perf_counter() - started, result


def _sox(files: list[Path], out: Path) -> tuple[float, float, float]:
    inputs = [f"|sox {f} -p {' '.join(SOX_TRACK)} vol 0.5" for f in files]
    return _run_tool(["sox", "-m", *inputs, "-e", "floating-point", "-b", "32", str(out), *SOX_MASTER])


def _ffmpeg(files: list[Path], out: Path) -> tuple[float, float, float]:
    inputs = [arg for f in files for arg in ("-i", str(f))]
    return _run_tool(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-threads", "1", *inputs, "-filter_complex",
         f"amix=inputs={len(files)}:normalize=0", "-c:a", "pcm_f32le", str(out)]
    )  # fmt: skip


def _row(name: str, seconds_of_audio: float, wall: float, cpu: float, peak_mb: float) -> str:
    return (
        f"  {name:<46} {wall:7.1f} s {seconds_of_audio / wall:6.1f}x {cpu:7.1f} s {seconds_of_audio / cpu:6.1f}x"
        f" {peak_mb:7.0f} MB"
    )


async def _main(work: Path) -> None:
    core = _pin()
    await warm_up()
    print(
        f"pinned to core {core}; load average before: {os.getloadavg()[0]:.2f} (2 cores, shared)", flush=True
    )
    audio_seconds = MINUTES * 60
    print(
        f"  {'work (audio seconds / time = real-time factor)':<46} {'wall':>9} {'RTF':>7} {'CPU':>9} {'RTF':>7} {'peak RSS':>10}"
    )
    for rate in (48000, 96000):
        sources = work / f"src{rate}"
        sources.mkdir()
        files = [sources / f"t{i:02d}.flac" for i in range(TRACKS)]
        for i, path in enumerate(files):
            _synth(path, audio_seconds, rate, seed=i)
        wall, result = await _engine(files, rate, work / f"engine{rate}.wav", audio_seconds, TRACKS)
        source = " / 24-bit src" if rate == 96000 else ""
        label = f"engine {TRACKS}x{MINUTES:.0f} min, {rate // 1000} kHz{source}, FX+master"
        print(_row(label, audio_seconds, wall, result.cpu_seconds, result.peak_memory_mb), flush=True)
        wall, result = await _engine(
            files, rate, work / f"own{rate}.wav", audio_seconds, TRACKS, own_reverbs=True
        )
        label = f"  same, {TRACKS} reverb settings (none shared)"
        print(_row(label, audio_seconds, wall, result.cpu_seconds, result.peak_memory_mb), flush=True)
        wall, cpu, peak = _sox(files, work / f"sox{rate}.wav")
        label = f"sox -m, compand+equalizer+reverb, {rate // 1000} kHz"
        print(_row(label, audio_seconds, wall, cpu, peak), flush=True)
        wall, cpu, peak = _ffmpeg(files, work / f"ffmpeg{rate}.wav")
        label = f"ffmpeg amix (plain mix, no FX), {rate // 1000} kHz"
        print(_row(label, audio_seconds, wall, cpu, peak), flush=True)
        for name in ("engine", "own", "sox", "ffmpeg"):
            path = work / f"{name}{rate}.wav"
            path.unlink(missing_ok=True)
        if rate == 48000:
            shutil.rmtree(sources)

    # 64 tracks × 10 minutes at 96 kHz: 30-second loops from the 96 kHz sources, back to back.
    loops = work / "loops"
    loops.mkdir()
    loop_files = []
    for i, src in enumerate(sorted((work / "src96000").glob("*.flac"))[:8]):
        data, rate = soundfile.read(str(src), frames=30 * 96000, dtype="int32")
        path = loops / f"loop{i}.flac"
        soundfile.write(str(path), data, rate, subtype="PCM_24")
        loop_files.append(path)
    shutil.rmtree(work / "src96000")
    big_seconds = BIG_MINUTES * 60
    wall, result = await _engine(loop_files, 96000, work / "big.wav", big_seconds, BIG_TRACKS, loop=30.0)
    label = f"engine {BIG_TRACKS}x{BIG_MINUTES:.0f} min, 96 kHz, FX+master"
    print(_row(label, big_seconds, wall, result.cpu_seconds, result.peak_memory_mb), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    for tool in ("sox", "ffmpeg"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed: baselines need it (Debian package {tool})")
            return
    work = Path(tempfile.mkdtemp(prefix="cadenza-bench-audio-"))
    try:
        asyncio.run(_main(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
