"""The sandbox's memory: Stripe objects by id, the event log, idempotency records and the clock.

Everything lives in dicts; with a database path every write also goes to a small SQLite file, so a
restarted sandbox (``cadenza dev``) still knows the customers and subscriptions Cadenza mirrors.
"""

from __future__ import annotations

import copy
import json
import secrets
import sqlite3
import string
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_ALPHABET = string.ascii_letters + string.digits


def random_suffix(length: int = 24) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@dataclass
class IdempotencyRecord:
    fingerprint: str
    status: int  # 0 while the first request is still running
    body: str


class Store:
    def __init__(self, path: str | None = None) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.order: dict[str, int] = {}
        self.idempotency: dict[str, IdempotencyRecord] = {}
        self.clock_offset = 0
        self._seq = 0
        self._db: sqlite3.Connection | None = None
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS objects (id TEXT PRIMARY KEY, seq INTEGER, data TEXT)"
            )
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, fingerprint TEXT, "
                "status INTEGER, body TEXT)"
            )
            self._load()

    def _load(self) -> None:
        assert self._db is not None
        for object_id, seq, data in self._db.execute("SELECT id, seq, data FROM objects ORDER BY seq"):
            self.objects[object_id] = json.loads(data)
            self.order[object_id] = seq
            self._seq = max(self._seq, seq)
        for key, value in self._db.execute("SELECT key, value FROM meta"):
            if key == "clock_offset":
                self.clock_offset = int(value)
        for key, fingerprint, status, body in self._db.execute(
            "SELECT key, fingerprint, status, body FROM idempotency WHERE status > 0"
        ):
            self.idempotency[key] = IdempotencyRecord(fingerprint, status, body)

    # ----------------------------------------------------------------------------- time

    def now(self) -> int:
        """Sandbox time in Unix seconds: real time moved on by ``advance``."""
        return int(time.time()) + self.clock_offset

    def advance(self, seconds: int) -> None:
        self.clock_offset += max(0, int(seconds))
        if self._db is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('clock_offset', ?)",
                (str(self.clock_offset),),
            )

    # ----------------------------------------------------------------------------- objects

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{random_suffix(24 if prefix != 'cs_test' else 58)}"

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        object_id = obj["id"]
        if object_id not in self.order:
            self._seq += 1
            self.order[object_id] = self._seq
        self.objects[object_id] = obj
        if self._db is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO objects (id, seq, data) VALUES (?, ?, ?)",
                (object_id, self.order[object_id], json.dumps(obj)),
            )
        return obj

    def get(self, object_id: str, kind: str | None = None) -> dict[str, Any] | None:
        obj = self.objects.get(object_id)
        if obj is None or (kind is not None and obj.get("object") != kind):
            return None
        return obj

    def all(self, kind: str) -> list[dict[str, Any]]:
        """Newest first, as Stripe lists."""
        found = [o for o in self.objects.values() if o.get("object") == kind]
        found.sort(key=lambda o: (o.get("created", 0), self.order[o["id"]]), reverse=True)
        return found

    def snapshot(self, obj: dict[str, Any]) -> dict[str, Any]:
        """A copy without the sandbox's private bookkeeping (keys starting with ``_``)."""
        return public(obj)

    # ----------------------------------------------------------------------------- idempotency

    def remember(self, key: str, record: IdempotencyRecord) -> None:
        self.idempotency[key] = record
        if self._db is not None and record.status > 0:
            self._db.execute(
                "INSERT OR REPLACE INTO idempotency (key, fingerprint, status, body) VALUES (?, ?, ?, ?)",
                (key, record.fingerprint, record.status, record.body),
            )

    def forget(self, key: str) -> None:
        self.idempotency.pop(key, None)
        if self._db is not None:
            self._db.execute("DELETE FROM idempotency WHERE key = ?", (key,))

    def reset(self) -> None:
        self.objects.clear()
        self.order.clear()
        self.idempotency.clear()
        self.clock_offset = 0
        if self._db is not None:
            for table in ("objects", "meta", "idempotency"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names


def public(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [public(v) for v in value]
    return copy.copy(value)
