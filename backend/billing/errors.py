"""Refusals that come with a way forward: the plan that would allow it.

Pages show them with ``templates/components/upgrade_prompt.html``; GraphQL clients get the code
(``LIMIT_REACHED`` / ``FEATURE_NOT_IN_PLAN``) and can ask ``billing { upgradeFor(...) }`` for the plan.
The name of the limit or feature is translated when the error is raised, in the request's language.
"""

from __future__ import annotations

from backend.billing.plans import GB, UNLIMITED
from backend.core.errors import DomainError
from backend.core.i18n import format_number, t


def format_limit(name: str, value: int, locale: str | None = None) -> str:
    if value == UNLIMITED:
        return t("billing.limits.unlimited", locale)
    if name == "storage_bytes":
        # Below a gigabyte in megabytes: "8.2 MB" used says more than "0 GB".
        if value < GB:
            return t("billing.units.mb", locale, value=format_number(round(value / 1024**2, 1), locale))
        return t("billing.units.gb", locale, value=format_number(round(value / GB, 1), locale))
    if name == "export_max_sample_rate":
        return t("billing.units.khz", locale, value=format_number(value / 1000, locale))
    if name == "export_max_bit_depth":
        return t("billing.units.bits", locale, value=value)
    return format_number(value, locale)


class LimitReached(DomainError):
    def __init__(self, limit_name: str, limit: int, upgrade_to: str | None, field: str | None = None) -> None:
        super().__init__(
            "billing.errors.limit_reached",
            field=field,
            what=t(f"billing.limits.{limit_name}.name"),
            limit=format_limit(limit_name, limit),
        )
        self.limit_name = limit_name
        self.limit = limit
        self.upgrade_to = upgrade_to


class FeatureNotInPlan(DomainError):
    def __init__(self, feature: str, upgrade_to: str | None, field: str | None = None) -> None:
        super().__init__(
            "billing.errors.feature_not_in_plan", field=field, what=t(f"billing.features.{feature}")
        )
        self.feature = feature
        self.upgrade_to = upgrade_to
