"""Permission classes for fields; each raises a translated ``DomainError`` when refused."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from backend.core.errors import Forbidden, Unauthenticated


class IsAuthenticated(BasePermission):
    message = "common.errors.unauthenticated"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.actor is not None

    def on_unauthorized(self) -> None:
        raise Unauthenticated()


class CanWrite(BasePermission):
    """Mutations need a browser session or an API key with the ``write`` scope."""

    message = "common.errors.missing_scope"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        actor = info.context.actor
        return actor is not None and actor.can("write")

    def on_unauthorized(self) -> None:
        raise Forbidden("common.errors.missing_scope", scope="write")
