"""Refusals of the audio engine, as translated domain errors (``audio.errors.*``).

Errors raised inside a child process travel to the caller as ``(class name, key, field, params)``
and are rebuilt with :func:`rebuild`, so the caller always sees the same exception types.
"""

from __future__ import annotations

from typing import Any

from backend.core.errors import DomainError


class EngineError(DomainError):
    """A document, effect, render or export request the engine refuses; ``key`` is translated."""

    def __init__(self, key: str, field: str | None = None, **params: Any) -> None:
        super().__init__(key, field=field, **params)

    def to_wire(self) -> dict[str, Any]:
        return {"cls": type(self).__name__, "key": self.key, "field": self.field, "params": self.params}


class IngestError(EngineError):
    """An upload that cannot become an asset: corrupt, empty, unsupported or absurd."""


class RenderCancelled(EngineError):
    """The caller asked for the render (or export) to stop; the child was killed."""

    def __init__(self, key: str = "audio.errors.render_cancelled", field: str | None = None, **params: Any):
        super().__init__(key, field, **params)


_CLASSES: dict[str, type[EngineError]] = {
    cls.__name__: cls for cls in (EngineError, IngestError, RenderCancelled)
}


def rebuild(wire: dict[str, Any]) -> EngineError:
    """The exception a child process reported, as the same class in this process."""
    cls = _CLASSES.get(str(wire.get("cls")), EngineError)
    params = wire.get("params") or {}
    return cls(str(wire["key"]), wire.get("field"), **params)
