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


_FEATURE_PERMISSIONS: dict[str, type[BasePermission]] = {}


def RequiresFeature(feature: str) -> type[BasePermission]:  # noqa: N802 - used like a class
    """``permission_classes=[RequiresFeature("collaboration")]``: only for plans with the feature.

    A refusal is ``FEATURE_NOT_IN_PLAN``, translated and naming the feature; clients ask
    ``entitlements { upgradeFor(feature: …) }`` for the plan to offer.
    """
    found = _FEATURE_PERMISSIONS.get(feature)
    if found is not None:
        return found

    from backend.billing import services as billing
    from backend.core.i18n import current_locale

    class Requires(BasePermission):
        message = "billing.errors.feature_not_in_plan"

        async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            actor = info.context.actor
            if actor is None:
                raise Unauthenticated()
            # The refusal names the feature in the caller's language, whichever transport asked.
            token = current_locale.set(info.context.locale)
            try:
                await billing.require_feature(actor.user_id, feature)  # raises FeatureNotInPlan
            finally:
                current_locale.reset(token)
            return True

    Requires.__name__ = Requires.__qualname__ = f"Requires_{feature}"
    _FEATURE_PERMISSIONS[feature] = Requires
    return Requires
