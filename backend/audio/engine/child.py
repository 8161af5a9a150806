"""What runs inside an engine child process.

Children are forked from a multiprocessing *forkserver* that imported this module and
``preload.py`` (numpy, scipy, pedalboard, pyloudnorm and the engine) once: a child starts in
milliseconds instead of the ~3 s those imports take, and the forkserver is a clean
single-threaded process, unlike the asyncio worker that asks for the child.

A child first limits itself, before it touches any input:
- ``RLIMIT_AS``: its address space may grow by ``memory_bytes`` above what it starts with;
- ``RLIMIT_CPU``: ``cpu_seconds`` of CPU, then SIGXCPU (soft) and SIGKILL (hard, +5 s);
- ``RLIMIT_FSIZE``: no single file it writes may exceed ``max_output_bytes``;
- ``RLIMIT_CORE`` 0: a decoder crash leaves no core dump of a user's file behind;
- its own process group, so that killing the group also ends an ``ffmpeg`` it started.
The parent adds the wall-clock limit. Messages go back over a pipe: ``("progress", f)`` and
finally ``("ok", result)`` or ``("error", wire)``. A child that dies without a word (a segfault,
a limit's kill) is reported by the parent from its exit code.
"""

from __future__ import annotations

import os

# One thread each for the numeric libraries: a child is one job on one core, and a thread pool
# inside a forked process buys nothing but address space. Set before numpy is first imported.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import resource  # noqa: E402
import signal  # noqa: E402
from collections.abc import Callable  # noqa: E402
from multiprocessing.connection import Connection  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from backend.audio.engine.errors import EngineError  # noqa: E402
from backend.audio.engine.limits import EngineLimits  # noqa: E402

# The tasks import the heavy modules (numpy, scipy, pedalboard) when they run: in a child they are
# already loaded by the forkserver (``preload.py``), and the process that merely *starts* children
# (a web or worker process importing ``runner``) does not pay for them.


def _resident_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _out_of_memory() -> bool:
    try:
        bytearray(32 * 1024 * 1024)
    except MemoryError:
        return True
    return False


def _address_space() -> int:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def apply_limits(memory_bytes: int, cpu_seconds: int, max_output_bytes: int) -> None:
    os.setpgrp()
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)  # die at the soft CPU limit
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails (EFBIG) instead of killing
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limit = _address_space() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_output_bytes, max_output_bytes))


def _ingest(
    progress: Callable[[float], None], src: str, work_dir: str, limits: EngineLimits
) -> dict[str, Any]:
    from backend.audio.engine import ingestion

    return ingestion.ingest_file(Path(src), Path(work_dir), limits, progress)


def _render(progress: Callable[[float], None], **kw: Any) -> dict[str, Any]:
    from backend.audio.engine import rendering

    return rendering.render_project(progress=progress, **kw)


def _export(
    progress: Callable[[float], None], mix_wav: str, out_path: str, spec: dict[str, Any]
) -> dict[str, Any]:
    from backend.audio.engine import encoding

    return encoding.export_file(Path(mix_wav), Path(out_path), encoding.ExportSpec(**spec), progress)


def _stems(
    progress: Callable[[float], None], stem_paths: dict[str, str], out_zip: str, spec: dict[str, Any]
) -> dict[str, Any]:
    from backend.audio.engine import encoding

    paths = {name: Path(p) for name, p in stem_paths.items()}
    return encoding.export_stems(paths, Path(out_zip), encoding.ExportSpec(**spec), progress)


def _dawproject(progress: Callable[[float], None], **kw: Any) -> dict[str, Any]:
    from backend.audio.engine.dawproject import writer

    return writer.write_dawproject(progress=progress, **kw)


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "ingest": _ingest,
    "render": _render,
    "export": _export,
    "export_stems": _stems,
    "export_dawproject": _dawproject,
}

# What an unexpected exception in each task means to the user.
FAILURE_KEYS = {
    "ingest": ("IngestError", "audio.errors.corrupt_file"),
    "render": ("EngineError", "audio.errors.render_failed"),
    "export": ("EngineError", "audio.errors.export_failed"),
    "export_stems": ("EngineError", "audio.errors.export_failed"),
    "export_dawproject": ("EngineError", "audio.errors.export_failed"),
}


def entry(conn: Connection, task: str, kwargs: dict[str, Any], limits: tuple[int, int, int]) -> None:
    """The child's main: limit, run the task, report, exit."""
    try:
        apply_limits(*limits)
    except (OSError, ValueError) as exc:
        conn.send(("error", {"cls": "EngineError", "key": "audio.errors.engine_unavailable", "params": {}}))
        conn.send(("log", f"could not set limits: {exc!r}"))
        conn.close()
        return
    last = [-1.0]

    def progress(fraction: float) -> None:
        # Every percent at most: the parent decides what to forward.
        if fraction - last[0] >= 0.01 or fraction >= 1.0:
            last[0] = fraction
            conn.send(("progress", float(fraction)))

    try:
        start_mb = _resident_mb()
        result = TASKS[task](progress, **kwargs)
        # Peak resident memory of this child (Linux reports kilobytes). It includes the pages of
        # the preloaded libraries shared with the forkserver, so ``rss_start_mb`` is given too.
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["rss_peak_mb"] = usage.ru_maxrss / 1000
        result["rss_start_mb"] = start_mb
        # CPU time of the job (its own and that of what it ran, e.g. ffmpeg): on a shared machine
        # wall-clock time measures the neighbours as much as the work.
        spawned = resource.getrusage(resource.RUSAGE_CHILDREN)
        result["cpu_seconds"] = usage.ru_utime + usage.ru_stime + spawned.ru_utime + spawned.ru_stime
        conn.send(("ok", result))
    except EngineError as exc:
        wire = exc.to_wire()
        if exc.key == "audio.errors.corrupt_file" and _out_of_memory():
            wire.update(
                key="audio.errors.too_much_memory", params={}
            )  # the decoder failed for want of memory
        conn.send(("error", wire))
    except MemoryError:
        cls = FAILURE_KEYS[task][0]
        conn.send(("error", {"cls": cls, "key": "audio.errors.too_much_memory", "params": {}}))
    except Exception as exc:  # a decoder's or encoder's own error: the input, not the engine, failed
        cls, key = FAILURE_KEYS[task]
        if _out_of_memory():
            # Libraries report a failed allocation in their own words (an OSError, a RuntimeError
            # "System error"...): if memory is exhausted right now, that is what went wrong.
            key = "audio.errors.too_much_memory"
        conn.send(("error", {"cls": cls, "key": key, "params": {}, "detail": repr(exc)[:500]}))
    finally:
        conn.close()
