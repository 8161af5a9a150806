"""Stripe's form encoding: ``items[0][price]=p&metadata[k]=v&expand[0]=schedule`` ⇄ nested data."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_TOKEN = re.compile(r"\[([^\]]*)\]")


def _path(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    return [head, *_TOKEN.findall("[" + rest)] if rest else [head]


def _listify(value: Any) -> Any:
    """Dicts whose keys are all indexes (``0``, ``1``, or empty ``[]``) become lists."""
    if isinstance(value, dict):
        converted = {k: _listify(v) for k, v in value.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return value


def decode(body: str) -> dict[str, Any]:
    """Decode a form body or query string into nested dicts and lists (values stay strings)."""
    root: dict[str, Any] = {}
    counters: dict[int, int] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = _path(key)
        node = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part == "":  # ``a[]=x``: append
                slot = counters.get(id(node), 0)
                counters[id(node)] = slot + 1
                part = str(slot)
            if last:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):  # ``a=1&a[b]=2``: the nested form wins
                    child = node[part] = {}
                node = child
    return _listify(root)


def as_int(value: Any, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    return int(value)


def as_bool(value: Any, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() == "true"


def as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]
