from __future__ import annotations

import strawberry
from strawberry.types import Info

from backend.billing import services as billing
from backend.core.errors import DomainError
from backend.core.settings import get_settings
from backend.graphql.billing.queries import ChangePlanInput
from backend.graphql.billing.types import BillingInterval, BillingInvoice, BillingSubscription
from backend.graphql.errors import FieldError, returns_payload
from backend.graphql.permissions import CanWrite, IsAuthenticated


@strawberry.input
class StartCheckoutInput:
    plan: str
    interval: BillingInterval = BillingInterval.MONTH
    currency: str | None = strawberry.field(default=None, description="Default: the region's currency.")
    seats: int = strawberry.field(default=1, description="Enterprise only: seats for the organization.")
    organization_id: strawberry.ID | None = strawberry.field(default=None, description="Enterprise only.")


@strawberry.type
class StartCheckoutPayload:
    url: str | None = strawberry.field(default=None, description="Stripe Checkout: send the customer there.")
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class SubscriptionPayload:
    subscription: BillingSubscription | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class PortalPayload:
    url: str | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class InvoicePayload:
    invoice: BillingInvoice | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class ReconcilePayload:
    job_id: strawberry.ID | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


def _org(value: strawberry.ID | None) -> str | None:
    return str(value) if value else None


def _return_url(path: str | None) -> str:
    """Only paths on this site: a portal link must never send people elsewhere."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        path = "/billing"
    return f"{get_settings().base_url}{path}"


@strawberry.type
class BillingMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated, CanWrite],
        description="Start subscribing: returns the Stripe Checkout URL (regional payment methods, tax).",
    )
    @returns_payload(StartCheckoutPayload)
    async def start_checkout(self, info: Info, input: StartCheckoutInput) -> StartCheckoutPayload:
        actor = info.context.actor
        currency = input.currency or billing.pricing(actor).currency
        request = billing.CheckoutRequest(input.plan, input.interval.value, currency, input.seats)
        url = await billing.start_checkout(actor, _org(input.organization_id), request)
        return StartCheckoutPayload(url=url)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Apply a finished Checkout now (the return page); the webhook then finds it done.",
    )
    @returns_payload(SubscriptionPayload)
    async def confirm_checkout(self, info: Info, session_id: str) -> SubscriptionPayload:
        row = await billing.complete_checkout(info.context.actor, session_id)
        return SubscriptionPayload(subscription=BillingSubscription(row=row))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated, CanWrite],
        description="Upgrade now with a prorated charge, or downgrade at the end of the period.",
    )
    @returns_payload(SubscriptionPayload)
    async def change_plan(
        self, info: Info, input: ChangePlanInput, proration_date: int | None = None
    ) -> SubscriptionPayload:
        change = billing.PlanChange(input.plan, input.interval.value, input.seats)
        row = await billing.change_plan(
            info.context.actor, _org(input.organization_id), change, proration_date
        )
        return SubscriptionPayload(subscription=BillingSubscription(row=row))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated, CanWrite],
        description="Stop renewing. Everything stays until the end of the paid period.",
    )
    @returns_payload(SubscriptionPayload)
    async def cancel_subscription(
        self, info: Info, organization_id: strawberry.ID | None = None
    ) -> SubscriptionPayload:
        row = await billing.cancel_subscription(info.context.actor, _org(organization_id))
        return SubscriptionPayload(subscription=BillingSubscription(row=row))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated, CanWrite],
        description="Undo a cancellation before the period ends.",
    )
    @returns_payload(SubscriptionPayload)
    async def resume_subscription(
        self, info: Info, organization_id: strawberry.ID | None = None
    ) -> SubscriptionPayload:
        row = await billing.resume_subscription(info.context.actor, _org(organization_id))
        return SubscriptionPayload(subscription=BillingSubscription(row=row))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated, CanWrite], description="Drop a scheduled downgrade."
    )
    @returns_payload(SubscriptionPayload)
    async def keep_current_plan(
        self, info: Info, organization_id: strawberry.ID | None = None
    ) -> SubscriptionPayload:
        row = await billing.keep_current_plan(info.context.actor, _org(organization_id))
        return SubscriptionPayload(subscription=BillingSubscription(row=row))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated, CanWrite],
        description="A Stripe customer portal session (payment methods, invoices); returns its URL.",
    )
    @returns_payload(PortalPayload)
    async def open_billing_portal(
        self, info: Info, organization_id: strawberry.ID | None = None, return_path: str | None = None
    ) -> PortalPayload:
        url = await billing.portal_url(info.context.actor, _org(organization_id), _return_url(return_path))
        return PortalPayload(url=url)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated, CanWrite], description="Platform admins: refund an invoice."
    )
    @returns_payload(InvoicePayload)
    async def refund_invoice(
        self, info: Info, invoice_id: strawberry.ID, amount: int | None = None
    ) -> InvoicePayload:
        row = await billing.refund_invoice(info.context.actor, str(invoice_id), amount)
        return InvoicePayload(invoice=BillingInvoice(row=row))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Platform admins: compare with Stripe now, repair drift.",
    )
    @returns_payload(ReconcilePayload)
    async def reconcile_billing(self, info: Info) -> ReconcilePayload:
        job = await billing.reconcile_now(info.context.actor)
        if job is None:
            raise DomainError("common.errors.try_again")
        return ReconcilePayload(job_id=strawberry.ID(job["public_id"]))
