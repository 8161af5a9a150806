"""Keyset pagination with opaque cursors. ``first`` is capped at 100 everywhere."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from backend.core.errors import DomainError

MAX_PAGE = 100
DEFAULT_PAGE = 20

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next: bool


def encode_cursor(*values: Any) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise DomainError("common.errors.bad_cursor", field="after")
    if not isinstance(values, list):
        raise DomainError("common.errors.bad_cursor", field="after")
    return values


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise DomainError("common.errors.page_too_large", field="first", max=MAX_PAGE)
    return first


def make_page(rows: list[T], size: int, key_of: Any) -> Page[T]:
    """``rows`` were fetched with ``limit(size + 1)``: the extra row tells if there is more.

    ``key_of(row)`` returns the sort key (a value or a tuple) that becomes the opaque cursor.
    """
    has_next = len(rows) > size
    rows = rows[:size]
    cursors = []
    for row in rows:
        k = key_of(row)
        cursors.append(encode_cursor(*k) if isinstance(k, tuple) else encode_cursor(k))
    return Page(items=rows, cursors=cursors, has_next=has_next)


def int_after(after: str | None) -> int | None:
    """The integer key inside a cursor made from one integer."""
    values = decode_cursor(after)
    if values is None:
        return None
    if len(values) != 1 or not isinstance(values[0], int):
        raise DomainError("common.errors.bad_cursor", field="after")
    return values[0]
