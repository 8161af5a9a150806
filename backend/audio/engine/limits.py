"""Limits on what the engine accepts and on what its child processes may use.

The engine reads no settings itself (it is pure audio code): the domain may build an
``EngineLimits`` from its settings and pass it as ``limits=`` to the runner; otherwise these
defaults apply.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EngineLimits:
    # What an upload may be.
    max_file_bytes: int = 1024 * 1024 * 1024
    max_duration_seconds: float = 30 * 60.0
    max_channels: int = 8
    min_sample_rate: int = 8000
    max_sample_rate: int = 192000
    # What an ingest child may use: address space above what it starts with, CPU seconds and
    # wall-clock seconds. A child over a limit is stopped and the upload refused.
    ingest_memory_bytes: int = 1024 * 1024 * 1024
    ingest_cpu_seconds: int = 300
    ingest_wall_seconds: float = 600.0
    # Render and export children: one long song at 96 kHz with 64 tracks stays far below these.
    render_memory_bytes: int = 2 * 1024 * 1024 * 1024
    render_cpu_seconds: int = 4 * 3600
    render_wall_seconds: float = 4 * 3600.0
    # Largest single file a child may write (RLIMIT_FSIZE): an hour-long 96 kHz float mix is 2.8 GB.
    max_output_bytes: int = 4 * 1024 * 1024 * 1024


DEFAULT_LIMITS = EngineLimits()
