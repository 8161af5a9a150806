from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from backend.billing import services as billing
from backend.billing.plans import BY_RANK, PLANS
from backend.billing.usage import Usage
from backend.core import clock
from backend.core.i18n import format_number, t
from backend.graphql.billing.types import (
    BillingBanner,
    BillingInterval,
    BillingInvoice,
    BillingSubscription,
    Entitlements,
    Plan,
    PlanChangePreview,
    Pricing,
    UsageMeter,
)
from backend.graphql.pagination import Connection, connection
from backend.graphql.permissions import IsAuthenticated


@strawberry.input
class ChangePlanInput:
    plan: str
    interval: BillingInterval = BillingInterval.MONTH
    seats: int | None = None
    organization_id: strawberry.ID | None = None


def meter(item: Usage, locale: str) -> UsageMeter:
    unlimited = item.limit < 0
    return UsageMeter(
        metric=item.metric,
        label=t(f"billing.usage.{item.metric}", locale),
        used=float(item.used),
        limit=None if unlimited else float(item.limit),
        fraction=min(1.0, item.fraction) if not unlimited else 0.0,
        used_display=billing.format_limit(item.limit_name, item.used, locale)
        if item.metric == "storage_bytes"
        else format_number(item.used, locale),
        limit_display=billing.format_limit(item.limit_name, item.limit, locale),
        resets_at=item.resets_at,
    )


async def studio_meters(info: Info, ent: billing.Entitlements) -> list[UsageMeter]:
    """Storage and tracks are counted by the studio; billing only knows the limits."""
    from backend.audio import services as audio

    actor = info.context.actor
    locale = info.context.locale
    status = await audio.storage_status(actor)
    page = await audio.list_projects(actor, 100, None)
    biggest = max((len(_tracks(p)) for p in page.items), default=0)
    return [
        meter(
            Usage("storage_bytes", "storage_bytes", int(status["used"]), ent.limit("storage_bytes"), None),
            locale,
        ),
        meter(Usage("tracks", "tracks_per_project", biggest, ent.limit("tracks_per_project"), None), locale),
    ]


def _tracks(project: dict[str, Any]) -> list[Any]:
    document = project.get("document") or {}
    if isinstance(document, str):
        import json

        document = json.loads(document)
    return list(document.get("tracks") or [])


@strawberry.type
class BillingAccount:
    data: strawberry.Private[billing.Account]

    @strawberry.field(description="The organization whose billing this is; null for your own.")
    def organization_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.data.subject.public_id) if self.data.subject.is_organization else None

    @strawberry.field
    def name(self) -> str:
        return self.data.subject.name

    @strawberry.field(description="Bills are in this currency once a subscription has started.")
    def currency(self) -> str | None:
        return (self.data.customer or {}).get("currency") or None

    @strawberry.field
    def subscription(self) -> BillingSubscription | None:
        return BillingSubscription(row=self.data.subscription) if self.data.subscription else None

    @strawberry.field(description="Members holding a seat (organizations).")
    def seats_used(self) -> int | None:
        return self.data.seated

    @strawberry.field
    async def invoices(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[BillingInvoice]:
        org = self.data.subject.public_id if self.data.subject.is_organization else None
        page = await billing.invoices(info.context.actor, org, first, after)
        return connection(page, BillingInvoice)

    @strawberry.field(description="True when payments go to Stripe's test mode or the bundled sandbox.")
    def test_mode(self) -> bool:
        return billing.test_mode()


@strawberry.type
class BillingQueries:
    @strawberry.field(description="Plans and prices in a currency (by default the viewer's region's).")
    def pricing(self, info: Info, currency: str | None = None) -> Pricing:
        return Pricing(data=billing.pricing(info.context.actor, currency, info.context.locale))

    @strawberry.field(description="Every plan, cheapest first.")
    def plans(self) -> list[Plan]:
        return [Plan(data=p) for p in BY_RANK]

    @strawberry.field(description="A plan by code: free, creator, professional, enterprise.")
    def plan(self, code: str) -> Plan | None:
        data = PLANS.get(code)
        return Plan(data=data) if data else None

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Your billing, or an organization's (owners and admins only).",
    )
    async def billing(self, info: Info, organization_id: strawberry.ID | None = None) -> BillingAccount:
        return BillingAccount(
            data=await billing.account(info.context.actor, str(organization_id) if organization_id else None)
        )

    @strawberry.field(permission_classes=[IsAuthenticated], description="What your plan lets you do now.")
    async def entitlements(self, info: Info) -> Entitlements:
        return Entitlements(data=await billing.entitlements(info.context.actor.user_id))

    @strawberry.field(
        permission_classes=[IsAuthenticated], description="Your usage against your plan's limits."
    )
    async def usage(self, info: Info) -> list[UsageMeter]:
        actor = info.context.actor
        ent = await billing.entitlements(actor.user_id)
        counted = await billing.usage_of(actor)
        meters = [meter(u, info.context.locale) for u in counted if u.metric != "storage_bytes"]
        return meters + await studio_meters(info, ent)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="What changePlan would do: charged now (prorated) or at the period's end.",
    )
    async def plan_change_preview(self, info: Info, input: ChangePlanInput) -> PlanChangePreview:
        change = billing.PlanChange(input.plan, input.interval.value, input.seats)
        org = str(input.organization_id) if input.organization_id else None
        return PlanChangePreview(data=await billing.preview_change(info.context.actor, org, change))

    @strawberry.field(description="Set when your payment failed: until when it can be fixed.")
    async def billing_banner(self, info: Info) -> BillingBanner | None:
        found = await billing.banner(info.context.actor)
        if found is None:
            return None
        return BillingBanner(
            plan=Plan(data=PLANS[found["plan"]]),
            status=found["status"],
            grace_until=clock.as_utc(found["grace_until"]),
        )
