"""Errors a user can be shown. The message is a translation key, resolved per request."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the caller should see: ``key`` names the translated message.

    ``code`` is the stable, machine-readable part (``EMAIL_TAKEN``); ``field`` names the
    input at fault, if any; ``params`` fill the message's placeholders.
    """

    def __init__(self, key: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.field = field
        self.params = params

    @property
    def code(self) -> str:
        return self.key.rsplit(".", 1)[-1].upper()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, field={self.field!r})"


class NotFound(DomainError):
    def __init__(self, key: str = "common.errors.not_found", **params: Any) -> None:
        super().__init__(key, **params)


class Forbidden(DomainError):
    def __init__(self, key: str = "common.errors.forbidden", **params: Any) -> None:
        super().__init__(key, **params)


class Unauthenticated(DomainError):
    def __init__(self, key: str = "common.errors.unauthenticated", **params: Any) -> None:
        super().__init__(key, **params)


class RateLimited(DomainError):
    def __init__(self, retry_after: int, key: str = "common.errors.rate_limited") -> None:
        super().__init__(key, seconds=retry_after)
        self.retry_after = retry_after


class ValidationFailed(DomainError):
    """Several field errors at once (a form with more than one mistake)."""

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__("common.errors.invalid_input")
        self.errors = errors
