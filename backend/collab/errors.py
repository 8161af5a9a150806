"""Refusals specific to collaboration. Each key is a translation in ``translations/collab.*.yml``."""

from __future__ import annotations

from typing import Any

from backend.core.errors import DomainError
from backend.core.i18n import t


class ResyncRequired(DomainError):
    """The client must fetch the project again (then re-apply what it still wants to do): its base
    revision is older than the window the server transforms against, or its batch, transformed,
    no longer fits the document (``cause`` says why). Code ``RESYNC_REQUIRED`` either way."""

    def __init__(
        self,
        key: str = "collab.errors.resync_required",
        *,
        current: int,
        cause: DomainError | None = None,
        locale: str | None = None,
        **params: Any,
    ) -> None:
        if cause is not None:
            params["reason"] = t(cause.key, locale, **cause.params)
        super().__init__(key, field="baseRevision", current=current, **params)
        self.current = current
        self.cause = cause

    @property
    def code(self) -> str:
        return "RESYNC_REQUIRED"  # one code for clients to act on, whatever the message says


class Busy(DomainError):
    """Too many commits raced this one, or the same batch is being committed right now: send it
    again (with the same client batch id, so it can't be committed twice)."""

    def __init__(self) -> None:
        super().__init__("collab.errors.busy", field="operations")


class Refused(DomainError):
    """A batch refused as it was sent (an object that isn't there on its base revision, a value out
    of range, ...): the studio's own error (key, field, code), plus the revision to resynchronise to.
    Nothing was committed."""

    def __init__(self, cause: DomainError, current: int) -> None:
        super().__init__(cause.key, field=cause.field, **cause.params)
        self.cause = cause
        self.current = current

    @property
    def code(self) -> str:
        return self.cause.code
