"""Opaque, typed public ids: ``usr_3k9…``. Never a raw sequence number."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def new_id(prefix: str, length: int = 20) -> str:
    """A random id with ``length`` base32 characters (100 bits for 20)."""
    # One read of the OS's randomness, five bits a character (secrets.choice read it once per
    # character: a fifth of the webhook endpoint's CPU when it creates jobs in bulk).
    bits = int.from_bytes(secrets.token_bytes((length * 5 + 7) // 8), "big")
    return f"{prefix}_" + "".join(_ALPHABET[(bits >> (5 * i)) & 31] for i in range(length))


def has_prefix(public_id: str, prefix: str) -> bool:
    return isinstance(public_id, str) and public_id.startswith(prefix + "_") and len(public_id) < 64
