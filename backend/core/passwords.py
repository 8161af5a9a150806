"""Password hashing with argon2id, off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

_COMMON = frozenset(
    [
        "password",
        "password1",
        "password123",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "1q2w3e4r5t",
        "iloveyou123",
        "letmein123",
        "welcome123",
        "abc1234567",
        "passw0rd123",
        "football123",
        "monkey12345",
        "dragon12345",
        "baseball123",
        "sunshine123",
        "princess123",
        "trustno1234",
        "superman123",
        "qwerty1234",
        "0987654321",
        "1111111111",
        "aaaaaaaaaa",
    ]
)

MIN_LENGTH = 10
MAX_LENGTH = 256


def weakness(password: str, *, email: str = "") -> str | None:
    """The translation key explaining why ``password`` is too weak, or ``None``."""
    if len(password) < MIN_LENGTH:
        return "accounts.errors.password_too_short"
    if len(password) > MAX_LENGTH:
        return "accounts.errors.password_too_long"
    lowered = password.lower()
    if lowered in _COMMON or len(set(password)) < 4:
        return "accounts.errors.password_common"
    if email and lowered == email.lower():
        return "accounts.errors.password_is_email"
    return None


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(stored_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


async def dummy_verify() -> None:
    """Spend the same time as a real check, so unknown emails can't be told apart by timing."""
    await verify_password(_DUMMY, "not-the-password")


_DUMMY = _hasher.hash("cadenza-dummy-password")
