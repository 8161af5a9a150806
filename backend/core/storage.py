"""Media storage: an interface, and its local-disk implementation rooted per region.

Writes are atomic (a temporary file renamed into place), so a failed or oversized upload
never leaves a partial object behind. Downloads go through signed, expiring URLs.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlencode

from backend.core.errors import DomainError
from backend.core.settings import get_settings
from backend.core.signing import sign, verify

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,400}$")


class TooLarge(DomainError):
    def __init__(self, limit: int) -> None:
        super().__init__("common.errors.upload_too_large", limit_mb=max(1, limit // (1024 * 1024)))
        self.limit = limit


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int
    sha256: str


def check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"bad storage key: {key!r}")
    return key


class Storage(Protocol):
    async def save_stream(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> StoredObject: ...
    async def save_bytes(self, key: str, data: bytes) -> StoredObject: ...
    async def save_file(self, key: str, source: Path) -> StoredObject: ...
    def local_path(self, key: str) -> Path: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    async def delete(self, key: str) -> None: ...
    async def delete_prefix(self, prefix: str) -> None: ...


class LocalStorage:
    """Objects are files under ``<MEDIA_ROOT>/<region>/``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def local_path(self, key: str) -> Path:
        return self.root / check_key(key)

    def exists(self, key: str) -> bool:
        return self.local_path(key).is_file()

    def size(self, key: str) -> int:
        return self.local_path(key).stat().st_size

    @contextmanager
    def _atomic(self, key: str) -> Iterator[tuple[int, Path]]:
        target = self.local_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        tmp_path = Path(tmp)
        try:
            yield fd, tmp_path
            os.replace(tmp_path, target)
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise

    async def save_stream(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> StoredObject:
        digest = hashlib.sha256()
        size = 0
        with self._atomic(key) as (fd, _tmp), os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(max_bytes)
                digest.update(chunk)
                out.write(chunk)
        return StoredObject(key=key, size=size, sha256=digest.hexdigest())

    async def save_bytes(self, key: str, data: bytes) -> StoredObject:
        def write() -> None:
            with self._atomic(key) as (fd, _tmp), os.fdopen(fd, "wb") as out:
                out.write(data)

        await asyncio.to_thread(write)
        return StoredObject(key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest())

    async def save_file(self, key: str, source: Path) -> StoredObject:
        def copy() -> StoredObject:
            digest = hashlib.sha256()
            with self._atomic(key) as (fd, _tmp), os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                while block := src.read(1 << 20):
                    digest.update(block)
                    out.write(block)
            return StoredObject(key=key, size=source.stat().st_size, sha256=digest.hexdigest())

        return await asyncio.to_thread(copy)

    async def delete(self, key: str) -> None:
        self.local_path(key).unlink(missing_ok=True)

    async def delete_prefix(self, prefix: str) -> None:
        path = self.root / check_key(prefix.rstrip("/"))
        await asyncio.to_thread(shutil.rmtree, path, True)


_storage: Storage | None = None


def storage() -> Storage:
    global _storage
    if _storage is None:
        settings = get_settings()
        _storage = LocalStorage(settings.media.root / settings.region)
    return _storage


def signed_url(key: str, *, ttl: int | None = None, filename: str | None = None) -> str:
    """A relative URL that serves ``key`` until it expires."""
    ttl = ttl if ttl is not None else get_settings().media.url_ttl_seconds
    # Round expiry up to the minute so repeated renders share a URL (and the browser's cache).
    expires = (int(time.time()) + ttl) // 60 * 60 + 60
    params = {"e": str(expires), "s": sign(f"{key}|{expires}|{filename or ''}", "media")}
    if filename:
        params["dl"] = filename
    return f"/media/{quote(key)}?{urlencode(params)}"


def check_signed(key: str, expires: str, signature: str, filename: str | None) -> bool:
    try:
        exp = int(expires)
    except (TypeError, ValueError):
        return False
    if exp < time.time():
        return False
    return verify(f"{key}|{exp}|{filename or ''}", signature, "media")
