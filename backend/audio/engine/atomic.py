"""Write-then-rename, so a reader never sees half a file and a failure never leaves one behind."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path


def temp_beside(path: Path, tag: str = "tmp") -> Path:
    """A fresh hidden path in ``path``'s directory with the same extension (pedalboard and
    mutagen choose the format by extension), so the final rename stays on one file system."""
    return path.with_name(f".{path.stem}.{tag}-{secrets.token_hex(4)}{path.suffix}")


def sweep(path: Path) -> None:
    """Remove temporaries of ``path`` left by a process that was killed before it could clean up."""
    pattern = re.compile(rf"^\.{re.escape(path.stem)}\.[a-z]+-[0-9a-f]{{8}}{re.escape(path.suffix)}$")
    with contextlib.suppress(OSError):
        for entry in path.parent.iterdir():
            if pattern.match(entry.name):
                with contextlib.suppress(OSError):
                    if entry.is_dir():
                        shutil.rmtree(entry)
                    else:
                        entry.unlink()


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``path``, on any error it is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_beside(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def safe_name(name: str) -> str:
    """A file name from an id: keep letters, digits, ``-`` and ``_``."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    return cleaned or "track"
