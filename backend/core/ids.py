"""Opaque, typed public ids: ``usr_3k9…``. Never a raw sequence number."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def new_id(prefix: str, length: int = 20) -> str:
    """A random id with ``length`` base32 characters (100 bits for 20)."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def has_prefix(public_id: str, prefix: str) -> bool:
    return isinstance(public_id, str) and public_id.startswith(prefix + "_") and len(public_id) < 64
