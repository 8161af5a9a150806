"""HMAC signatures for URLs and tokens, keyed by ``SECRET_KEY``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from backend.core.settings import get_settings


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(message: str, purpose: str) -> str:
    key = hashlib.sha256(f"{purpose}:{get_settings().security.secret_key}".encode()).digest()
    return _b64(hmac.new(key, message.encode(), hashlib.sha256).digest()[:24])


def verify(message: str, signature: str, purpose: str) -> bool:
    return hmac.compare_digest(sign(message, purpose), signature or "")


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Tokens with enough entropy are stored as a plain SHA-256 (a slow hash adds nothing)."""
    return hashlib.sha256(token.encode()).hexdigest()
