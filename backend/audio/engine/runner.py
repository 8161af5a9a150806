"""The engine's async API: ingest, render, export — each in a limited child process.

Called by the domain's jobs in the arq ``audio`` worker. Requests are checked here first (a bad
document or export setting fails at once, without a child), then the CPU work runs in a child
forked from a preloaded forkserver (see ``child.py``). The event loop only waits on the child's
pipe and exit: a malformed file, a decoder segfault or a runaway allocation ends that child, and
becomes an ``IngestError``/``EngineError`` here; the worker carries on.

Progress: the child reports every percent; ``on_progress`` (an async callable taking a fraction
in [0, 1]) is awaited every 2% or more, and with 1.0 at the end. Cancellation: ``is_cancelled``
(an async callable) is polled twice a second; when it answers true the child's process group is
killed and ``RenderCancelled`` raised. Cancelling the awaiting task kills the child too.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import multiprocessing
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.context import ForkServerProcess, set_spawning_popen
from pathlib import Path
from typing import Any

from backend.audio.engine import child, dawproject
from backend.audio.engine.atomic import safe_name, sweep
from backend.audio.engine.document import SAMPLE_RATES, Project, parse_project
from backend.audio.engine.encoding import check_export
from backend.audio.engine.errors import EngineError, IngestError, RenderCancelled, rebuild
from backend.audio.engine.formats import EXTENSIONS
from backend.audio.engine.limits import DEFAULT_LIMITS, EngineLimits

OnProgress = Callable[[float], Awaitable[Any]] | None
IsCancelled = Callable[[], Awaitable[bool]] | None

_PROGRESS_STEP = 0.02
_CANCEL_POLL_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class IngestResult:
    format: str
    duration: float
    frames: int
    sample_rate: int
    channels: int
    bit_depth: int | None
    peaks: list[tuple[float, float]]
    lufs: float
    true_peak_dbtp: float
    original_path: Path
    decoded_path: Path
    preview_path: Path


@dataclass(frozen=True, slots=True)
class RenderResult:
    duration: float
    sample_rate: int
    peak_dbfs: float
    lufs: float
    true_peak_dbtp: float
    stems: dict[str, Path]
    # Diagnostics: peak resident memory of the render's child (preloaded libraries included) and
    # the CPU seconds it used.
    peak_memory_mb: float = 0.0
    cpu_seconds: float = 0.0
    # Sample peak of each audible track's output (post-fader, post-pan), in dBFS; for the tracks
    # in ``peaks_before_reverb`` (which shared a reverb, see sends.py) measured before the reverb.
    track_peaks_dbfs: dict[str, float] = field(default_factory=dict)
    peaks_before_reverb: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    size: int
    sample_rate: int | None
    bit_depth: int | None


class _Popen(popen_forkserver.Popen):
    """The stdlib forkserver launch, minus one step: re-importing the caller's ``__main__`` in the
    child (what ``spawn`` does so that pickled functions of a script resolve). Our target lives in
    a real module, and re-running an arbitrary main script (a worker's CLI, a benchmark) in every
    child would be slow at best. The rest is ``popen_forkserver.Popen._launch`` of Python 3.11."""

    def _launch(self, process_obj: Any) -> None:
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_path", None)
        prep_data.pop("init_main_from_name", None)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)  # type: ignore[attr-defined]
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))  # type: ignore[attr-defined]
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _EngineProcess(ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> _Popen:  # noqa: N802 - the stdlib's name
        return _Popen(process_obj)


_preloaded = False


def _prepare() -> None:
    global _preloaded
    if not _preloaded:
        # Global to the forkserver: the first caller's preload wins. Ours only adds modules.
        forkserver.set_forkserver_preload(["backend.audio.engine.child", "backend.audio.engine.preload"])
        _preloaded = True


async def warm_up() -> None:
    """Start the forkserver now (it imports numpy, scipy and pedalboard: ~3 s), e.g. at worker start-up."""
    _prepare()
    await asyncio.to_thread(forkserver.ensure_running)


def _kill(process: multiprocessing.process.BaseProcess) -> None:
    pid = process.pid
    if pid is None:
        return
    try:
        os.killpg(pid, signal.SIGKILL)  # the child leads its own group (ffmpeg included)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.kill()


def _death(exitcode: int | None, error_cls: type[EngineError], crash_key: str) -> EngineError:
    if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
        return error_cls("audio.errors.too_slow")
    return error_cls(crash_key)


async def _run_child(
    task: str,
    kwargs: dict[str, Any],
    *,
    memory: int,
    cpu: int,
    wall: float,
    max_output: int,
    error_cls: type[EngineError],
    crash_key: str,
    on_progress: OnProgress = None,
    is_cancelled: IsCancelled = None,
    targets: tuple[Path, ...] = (),
) -> dict[str, Any]:
    """Run ``task`` in a child; on any failure, sweep the temporaries of ``targets`` (a killed child
    cannot clean up after itself)."""
    _prepare()
    receiver, sender = multiprocessing.Pipe(duplex=False)
    process = _EngineProcess(
        target=child.entry,
        args=(sender, task, kwargs, (memory, cpu, max_output)),
        name=f"cadenza-audio-{task}",
        daemon=True,
    )
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    watching: list[int] = []
    outcome: tuple[str, Any] | None = None
    succeeded = False
    try:
        # Starting may launch the forkserver (seconds): keep the loop free meanwhile.
        await asyncio.to_thread(process.start)
        sender.close()
        for fd in (receiver.fileno(), process.sentinel):
            loop.add_reader(fd, wake.set)
            watching.append(fd)
        deadline = time.monotonic() + wall
        next_cancel_check = 0.0
        reported = -1.0
        while outcome is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=_CANCEL_POLL_SECONDS)
            wake.clear()
            try:
                while outcome is None and receiver.poll():
                    kind, value = receiver.recv()
                    if kind == "progress":
                        if on_progress is not None and (value - reported >= _PROGRESS_STEP or value >= 1.0):
                            reported = value
                            await on_progress(min(1.0, float(value)))
                    elif kind in ("ok", "error"):
                        outcome = (kind, value)
            except (EOFError, OSError):
                pass  # the child closed the pipe: it is exiting, possibly without a word
            if outcome is not None:
                break
            if not process.is_alive():
                await asyncio.to_thread(process.join, 1.0)
                raise _death(process.exitcode, error_cls, crash_key)
            now = time.monotonic()
            if now > deadline:
                raise error_cls("audio.errors.too_slow")
            if is_cancelled is not None and now >= next_cancel_check:
                next_cancel_check = now + _CANCEL_POLL_SECONDS
                if await is_cancelled():
                    raise RenderCancelled()
        kind, value = outcome
        if kind == "error":
            raise rebuild(value)
        succeeded = True
        if on_progress is not None and reported < 1.0:
            await on_progress(1.0)
        return value
    finally:
        for fd in watching:
            loop.remove_reader(fd)
        if process.pid is not None:
            if outcome is None:  # cancelled, timed out, or the awaiting task was cancelled
                _kill(process)
            await asyncio.to_thread(process.join, 5.0)
            if process.exitcode is None:
                _kill(process)
                await asyncio.to_thread(process.join, 5.0)
        receiver.close()
        with contextlib.suppress(OSError):
            sender.close()
        if not succeeded:
            for target in targets:
                sweep(target)


async def ingest(
    src: Path,
    work_dir: Path,
    *,
    on_progress: OnProgress = None,
    limits: EngineLimits | None = None,
) -> IngestResult:
    """Sniff, check, decode and measure an upload; write original, decoded and preview files."""
    limits = limits or DEFAULT_LIMITS
    work_dir = Path(work_dir)
    outputs = [work_dir / f"original.{ext}" for ext in sorted(set(EXTENSIONS.values()))]
    outputs += [work_dir / name for name in ("decoded.flac", "decoded.wav", "preview.mp3")]
    try:
        result = await _ingest_child(src, work_dir, limits, on_progress, outputs)
    except BaseException:
        # A child that was killed could not remove what it had finished: nothing half-made stays.
        for path in outputs:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        raise
    return IngestResult(
        format=result["format"],
        duration=result["duration"],
        frames=result["frames"],
        sample_rate=result["sample_rate"],
        channels=result["channels"],
        bit_depth=result["bit_depth"],
        peaks=[(float(lo), float(hi)) for lo, hi in result["peaks"]],
        lufs=result["lufs"],
        true_peak_dbtp=result["true_peak_dbtp"],
        original_path=Path(result["original_path"]),
        decoded_path=Path(result["decoded_path"]),
        preview_path=Path(result["preview_path"]),
    )


async def _ingest_child(
    src: Path, work_dir: Path, limits: EngineLimits, on_progress: OnProgress, outputs: list[Path]
) -> dict[str, Any]:
    return await _run_child(
        "ingest",
        {"src": str(src), "work_dir": str(work_dir), "limits": limits},
        memory=limits.ingest_memory_bytes,
        cpu=limits.ingest_cpu_seconds,
        wall=limits.ingest_wall_seconds,
        max_output=limits.max_output_bytes,
        error_cls=IngestError,
        crash_key="audio.errors.decoder_crashed",
        on_progress=on_progress,
        targets=(*outputs, work_dir / "ffmpeg.wav"),
    )


def _check_sources(
    document: dict[str, Any], sources: dict[str, Path], *, audible_only: bool = False
) -> Project:
    """The parsed project, once every clip (of the audible tracks only, for a render) has a source."""
    project = parse_project(document)
    needed = {t.id for t in (project.audible_tracks() if audible_only else project.tracks)}
    for t_index, track in enumerate(project.tracks):
        if track.id not in needed:
            continue
        for c_index, clip in enumerate(track.clips):
            if clip.asset_id not in sources:
                raise EngineError(
                    "audio.errors.missing_source",
                    field=f"tracks.{t_index}.clips.{c_index}.asset_id",
                    asset=clip.asset_id,
                )
    return project


async def render(
    document: dict[str, Any],
    sources: dict[str, Path],
    out_path: Path,
    *,
    on_progress: OnProgress = None,
    is_cancelled: IsCancelled = None,
    stems_dir: Path | None = None,
    sample_rate: int | None = None,
    limits: EngineLimits | None = None,
) -> RenderResult:
    """Render the project to a float32 WAV at ``out_path`` (and stems into ``stems_dir``)."""
    limits = limits or DEFAULT_LIMITS
    project = _check_sources(document, sources, audible_only=True)
    if project.end_seconds(project.audible_tracks()) <= 0:
        raise EngineError("audio.errors.nothing_to_render", field="tracks")
    if sample_rate is not None and sample_rate not in SAMPLE_RATES:
        raise EngineError("audio.errors.invalid_sample_rate", field="sample_rate")
    stem_targets = (
        [Path(stems_dir) / f"{safe_name(t.id)}.wav" for t in project.audible_tracks()] if stems_dir else []
    )
    result = await _run_child(
        "render",
        {
            "document": document,
            "sources": {k: str(v) for k, v in sources.items()},
            "out_path": Path(out_path),
            "stems_dir": Path(stems_dir) if stems_dir is not None else None,
            "sample_rate": sample_rate,
        },
        memory=limits.render_memory_bytes,
        cpu=limits.render_cpu_seconds,
        wall=limits.render_wall_seconds,
        max_output=limits.max_output_bytes,
        error_cls=EngineError,
        crash_key="audio.errors.render_failed",
        on_progress=on_progress,
        is_cancelled=is_cancelled,
        targets=(Path(out_path), *stem_targets),
    )
    return RenderResult(
        duration=result["duration"],
        sample_rate=result["sample_rate"],
        peak_dbfs=result["peak_dbfs"],
        lufs=result["lufs"],
        true_peak_dbtp=result["true_peak_dbtp"],
        stems={k: Path(v) for k, v in result["stems"].items()},
        peak_memory_mb=result["rss_peak_mb"],
        cpu_seconds=result["cpu_seconds"],
        track_peaks_dbfs=result["track_peaks_dbfs"],
        peaks_before_reverb=result["peaks_before_reverb"],
    )


def _export_result(result: dict[str, Any]) -> ExportResult:
    return ExportResult(
        path=Path(result["path"]),
        size=int(result["size"]),
        sample_rate=result["sample_rate"],
        bit_depth=result["bit_depth"],
    )


async def export(
    mix_wav: Path,
    out_path: Path,
    *,
    fmt: str,
    bit_depth: int | None = None,
    sample_rate: int,
    quality: str | None = None,
    tags: dict[str, str] | None = None,
    on_progress: OnProgress = None,
    is_cancelled: IsCancelled = None,
    limits: EngineLimits | None = None,
) -> ExportResult:
    """Encode a rendered mix as WAV/FLAC/MP3/Ogg with title and artist tags."""
    limits = limits or DEFAULT_LIMITS
    spec = check_export(fmt, bit_depth, sample_rate, quality, tags)
    target = out_path
    result = await _run_child(
        "export",
        {"mix_wav": str(mix_wav), "out_path": str(out_path), "spec": spec.as_dict()},
        memory=limits.render_memory_bytes,
        cpu=limits.render_cpu_seconds,
        wall=limits.render_wall_seconds,
        max_output=limits.max_output_bytes,
        error_cls=EngineError,
        crash_key="audio.errors.export_failed",
        on_progress=on_progress,
        is_cancelled=is_cancelled,
        targets=(Path(target),),
    )
    return _export_result(result)


async def export_stems_zip(
    stem_paths: dict[str, Path],
    out_zip: Path,
    *,
    fmt: str,
    bit_depth: int | None = None,
    sample_rate: int,
    quality: str | None = None,
    tags: dict[str, str] | None = None,
    on_progress: OnProgress = None,
    is_cancelled: IsCancelled = None,
    limits: EngineLimits | None = None,
) -> ExportResult:
    """Every stem ({track name: rendered stem WAV}) encoded alike, in one zip."""
    limits = limits or DEFAULT_LIMITS
    spec = check_export(fmt, bit_depth, sample_rate, quality, tags)
    if not stem_paths:
        raise EngineError("audio.errors.nothing_to_render", field="tracks")
    target = out_zip
    result = await _run_child(
        "export_stems",
        {
            "stem_paths": {k: str(v) for k, v in stem_paths.items()},
            "out_zip": str(out_zip),
            "spec": spec.as_dict(),
        },
        memory=limits.render_memory_bytes,
        cpu=limits.render_cpu_seconds,
        wall=limits.render_wall_seconds,
        max_output=limits.max_output_bytes,
        error_cls=EngineError,
        crash_key="audio.errors.export_failed",
        on_progress=on_progress,
        is_cancelled=is_cancelled,
        targets=(Path(target),),
    )
    return _export_result(result)


async def export_dawproject(
    document: dict[str, Any],
    sources: dict[str, Path],
    out_path: Path,
    *,
    title: str = "",
    artist: str = "",
    on_progress: OnProgress = None,
    is_cancelled: IsCancelled = None,
    limits: EngineLimits | None = None,
) -> ExportResult:
    """The project as a ``.dawproject`` archive (validated against the DAWproject 1.0 XSD)."""
    limits = limits or DEFAULT_LIMITS
    _check_sources(document, sources)
    target = out_path
    result = await _run_child(
        "export_dawproject",
        {
            "document": document,
            "sources": {k: str(v) for k, v in sources.items()},
            "out_path": str(out_path),
            "title": title,
            "artist": artist,
        },
        memory=limits.render_memory_bytes,
        cpu=limits.render_cpu_seconds,
        wall=limits.render_wall_seconds,
        max_output=limits.max_output_bytes,
        error_cls=EngineError,
        crash_key="audio.errors.export_failed",
        on_progress=on_progress,
        is_cancelled=is_cancelled,
        targets=(Path(target),),
    )
    return _export_result(result)


def import_dawproject(
    path: Path, *, extract_dir: Path | None = None
) -> tuple[dict[str, Any], dict[str, Path]]:
    """A document and {asset key: audio file} from a ``.dawproject``. The keys stand in for asset
    ids: ingest each file as an upload and replace the key by the new asset's id. Audio files are
    extracted into ``extract_dir`` (a new temporary directory if ``None``; the caller removes it).
    Parsing and extraction only — no decoding — so it runs in the calling process."""
    return dawproject.read_dawproject(Path(path), extract_dir)
