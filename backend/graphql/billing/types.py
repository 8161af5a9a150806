"""Billing as clients see it: plans and prices, the subscription, entitlements, usage, invoices."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from backend.billing import services as billing
from backend.billing.plans import FEATURE_ORDER, LIMIT_ORDER, PLANS, UNLIMITED
from backend.billing.plans import Plan as PlanData
from backend.core import clock
from backend.core.i18n import format_money, t


@strawberry.enum
class BillingInterval(Enum):
    MONTH = "month"
    YEAR = "year"


@strawberry.enum
class ChangeTiming(Enum):
    IMMEDIATE = "immediate"
    PERIOD_END = "period_end"


@strawberry.type(description="An amount of money in minor units (cents, yen), with its display form.")
class BillingAmount:
    amount: int = strawberry.field(description="Minor units: 999 is 9.99 for USD, 999 is ¥999 for JPY.")
    currency: str
    formatted: str = strawberry.field(description="In the request's language, e.g. 9,99 €.")


def amount(value: int, currency: str, locale: str) -> BillingAmount:
    return BillingAmount(
        amount=int(value), currency=currency, formatted=format_money(int(value), currency, locale)
    )


@strawberry.type
class PlanLimit:
    name: str
    label: str
    value: float | None = strawberry.field(description="Null when unlimited. Bytes for storage.")
    display: str = strawberry.field(description="Formatted for people: '2 GB', '48 kHz', 'Unlimited'.")


@strawberry.type
class PlanFeature:
    code: str
    label: str
    included: bool


@strawberry.type(description="One of Cadenza's plans. Everything a plan allows is data, read from one table.")
class Plan:
    data: strawberry.Private[PlanData]

    @strawberry.field
    def code(self) -> str:
        return self.data.code

    @strawberry.field
    def name(self, info: Info) -> str:
        return t(f"billing.plans.{self.data.code}.name", info.context.locale)

    @strawberry.field
    def tagline(self, info: Info) -> str:
        return t(f"billing.plans.{self.data.code}.tagline", info.context.locale)

    @strawberry.field
    def rank(self) -> int:
        return self.data.rank

    @strawberry.field(description="Sold per seat to organizations.")
    def per_seat(self) -> bool:
        return self.data.per_seat

    @strawberry.field
    def price(
        self, info: Info, currency: str, interval: BillingInterval = BillingInterval.MONTH
    ) -> BillingAmount:
        code = currency.upper()
        if code not in self.data.monthly:
            from backend.core.errors import DomainError

            raise DomainError("billing.errors.currency_invalid", field="currency")
        return amount(self.data.price(code, interval.value), code, info.context.locale)

    @strawberry.field(description="Every feature, with whether this plan includes it (comparison tables).")
    def features(self, info: Info) -> list[PlanFeature]:
        return [
            PlanFeature(
                code=f,
                label=t(f"billing.features.{f}", info.context.locale),
                included=f in self.data.features,
            )
            for f in FEATURE_ORDER
        ]

    @strawberry.field
    def limits(self, info: Info) -> list[PlanLimit]:
        return [plan_limit(self.data, name, info.context.locale) for name in LIMIT_ORDER]

    @strawberry.field
    def has(self, feature: str) -> bool:
        return feature in self.data.features

    @strawberry.field
    def limit(self, name: str) -> float | None:
        value = self.data.limits.get(name)
        return None if value is None or value == UNLIMITED else float(value)


def plan_limit(plan: PlanData, name: str, locale: str) -> PlanLimit:
    value = plan.limits[name]
    return PlanLimit(
        name=name,
        label=t(f"billing.limits.{name}.name", locale),
        value=None if value == UNLIMITED else float(value),
        display=billing.format_limit(name, value, locale),
    )


def plan_of(code: str | None) -> Plan | None:
    data = PLANS.get(code or "")
    return Plan(data=data) if data else None


@strawberry.type(description="A plan's price in one currency and billing interval.")
class PricedPlan:
    plan: Plan
    amount: BillingAmount = strawberry.field(description="Charged each interval.")
    per_month: BillingAmount = strawberry.field(description="The same, spread over months (annual ÷ 12).")
    saving: BillingAmount = strawberry.field(description="Saved over a year against paying monthly.")


@strawberry.type
class Pricing:
    data: strawberry.Private[billing.Pricing]

    @strawberry.field(description="Every plan priced in this pricing's currency.")
    def priced(self, info: Info, interval: BillingInterval = BillingInterval.MONTH) -> list[PricedPlan]:
        currency, locale = self.data.currency, info.context.locale
        out = []
        for plan in self.data.plans:
            value = plan.price(currency, interval.value)
            per_month = value if interval == BillingInterval.MONTH else round(value / 12)
            saving = 0 if interval == BillingInterval.MONTH else plan.monthly[currency] * 12 - value
            out.append(
                PricedPlan(
                    plan=Plan(data=plan),
                    amount=amount(value, currency, locale),
                    per_month=amount(per_month, currency, locale),
                    saving=amount(saving, currency, locale),
                )
            )
        return out

    @strawberry.field
    def currency(self) -> str:
        return self.data.currency

    @strawberry.field
    def currencies(self) -> list[str]:
        return list(self.data.currencies)

    @strawberry.field(description="Prices include VAT (EU, UK, Brazil, Japan); false: tax is added (US).")
    def tax_inclusive(self) -> bool:
        return self.data.tax_inclusive

    @strawberry.field(description="How tax is handled, in the request's language.")
    def tax_note(self, info: Info) -> str:
        key = "inclusive" if self.data.tax_inclusive else "exclusive"
        return t(f"billing.tax.{key}", info.context.locale)

    @strawberry.field(description="The payment methods Checkout offers in this region and currency.")
    def payment_methods(self) -> list[str]:
        return self.data.payment_methods

    @strawberry.field
    def plans(self) -> list[Plan]:
        return [Plan(data=p) for p in self.data.plans]


@strawberry.type
class BillingSubscription:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def plan(self) -> Plan:
        return Plan(data=PLANS[self.row["plan"]])

    @strawberry.field
    def interval(self) -> BillingInterval:
        return BillingInterval(self.row["interval"])

    @strawberry.field(description="Stripe's status: active, past_due, canceled…")
    def status(self) -> str:
        return self.row["status"]

    @strawberry.field
    def currency(self) -> str:
        return self.row["currency"]

    @strawberry.field
    def seats(self) -> int:
        return int(self.row["seats"])

    @strawberry.field(description="What each renewal costs (before tax where tax is added).")
    def renewal_amount(self, info: Info) -> BillingAmount:
        return amount(
            int(self.row["unit_amount"]) * int(self.row["seats"]), self.row["currency"], info.context.locale
        )

    @strawberry.field
    def current_period_start(self) -> datetime | None:
        return _utc(self.row["current_period_start"])

    @strawberry.field(description="When the paid period ends: the next renewal, or the end if cancelled.")
    def current_period_end(self) -> datetime | None:
        return _utc(self.row["current_period_end"])

    @strawberry.field(description="True: it ends at currentPeriodEnd and will not renew.")
    def cancel_at_period_end(self) -> bool:
        return bool(self.row["cancel_at_period_end"])

    @strawberry.field
    def ended_at(self) -> datetime | None:
        return _utc(self.row["ended_at"])

    @strawberry.field(description="The next renewal, if it will renew.")
    def renews_at(self) -> datetime | None:
        if self.row["cancel_at_period_end"] or self.row["status"] == "canceled":
            return None
        return _utc(self.row["current_period_end"])

    @strawberry.field(description="A downgrade scheduled for the end of the period.")
    def pending_plan(self) -> Plan | None:
        return plan_of(self.row["pending_plan"])

    @strawberry.field
    def pending_interval(self) -> BillingInterval | None:
        return BillingInterval(self.row["pending_interval"]) if self.row["pending_interval"] else None

    @strawberry.field
    def pending_seats(self) -> int | None:
        return self.row["pending_seats"] if self.row["pending_plan"] else None

    @strawberry.field
    def pending_at(self) -> datetime | None:
        return _utc(self.row["pending_at"]) if self.row["pending_plan"] else None

    @strawberry.field
    def payment_failed_at(self) -> datetime | None:
        return _utc(self.row["payment_failed_at"])

    @strawberry.field(description="Until when a failed payment can be fixed without losing the plan.")
    def grace_until(self) -> datetime | None:
        return _utc(self.row["grace_until"])


def _utc(value: Any) -> datetime | None:
    return clock.as_utc(value) if value else None


@strawberry.type
class Entitlements:
    data: strawberry.Private[billing.Entitlements]

    @strawberry.field
    def plan(self) -> Plan:
        return Plan(data=self.data.plan)

    @strawberry.field(description="Where the plan comes from: OWN, ORGANIZATION or FREE.")
    def source(self) -> str:
        return self.data.source.upper()

    @strawberry.field(
        description="The account holds more than its plan allows: nothing is deleted, nothing added."
    )
    def read_only(self) -> bool:
        return self.data.read_only

    @strawberry.field
    def grace_until(self) -> datetime | None:
        return self.data.grace_until

    @strawberry.field
    def features(self) -> list[str]:
        return sorted(self.data.plan.features)

    @strawberry.field
    def has(self, feature: str) -> bool:
        return self.data.has(feature)

    @strawberry.field(description="Null when unlimited.")
    def limit(self, name: str) -> float | None:
        value = self.data.plan.limits.get(name)
        return None if value is None or value == UNLIMITED else float(value)

    @strawberry.field(description="The cheapest plan with this feature, or that reaches `needed` of `limit`.")
    def upgrade_for(
        self, feature: str | None = None, limit: str | None = None, needed: int = 0
    ) -> Plan | None:
        found = self.data.upgrade_for(feature=feature, limit=limit, needed=needed)
        return Plan(data=found) if found else None


@strawberry.type
class UsageMeter:
    metric: str
    label: str
    used: float
    limit: float | None = strawberry.field(description="Null when unlimited.")
    fraction: float = strawberry.field(description="used / limit, 0 when unlimited.")
    used_display: str
    limit_display: str
    resets_at: datetime | None = strawberry.field(description="Monthly meters start again then.")


@strawberry.type
class BillingInvoiceLine:
    description: str
    amount: BillingAmount
    proration: bool


@strawberry.type
class BillingInvoice:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field
    def number(self) -> str:
        return self.row["number"]

    @strawberry.field(description="draft, open, paid, void or uncollectible.")
    def status(self) -> str:
        return self.row["status"]

    @strawberry.field(description="subscription_create, subscription_cycle, subscription_update…")
    def reason(self) -> str:
        return self.row["billing_reason"]

    @strawberry.field
    def total(self, info: Info) -> BillingAmount:
        return amount(self.row["total"], self.row["currency"], info.context.locale)

    @strawberry.field
    def tax(self, info: Info) -> BillingAmount:
        return amount(self.row["tax"], self.row["currency"], info.context.locale)

    @strawberry.field
    def amount_paid(self, info: Info) -> BillingAmount:
        return amount(self.row["amount_paid"], self.row["currency"], info.context.locale)

    @strawberry.field
    def amount_refunded(self, info: Info) -> BillingAmount:
        return amount(self.row["amount_refunded"], self.row["currency"], info.context.locale)

    @strawberry.field
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(int(self.row["stripe_created"]), clock.now().tzinfo)

    @strawberry.field
    def period_start(self) -> datetime | None:
        return _utc(self.row["period_start"])

    @strawberry.field
    def period_end(self) -> datetime | None:
        return _utc(self.row["period_end"])

    @strawberry.field
    def hosted_url(self) -> str | None:
        return self.row["hosted_invoice_url"] or None

    @strawberry.field
    def lines(self, info: Info) -> list[BillingInvoiceLine]:
        lines = self.row["lines"] if isinstance(self.row["lines"], list) else []
        return [
            BillingInvoiceLine(
                description=line.get("description", ""),
                amount=amount(int(line.get("amount", 0)), self.row["currency"], info.context.locale),
                proration=bool(line.get("proration")),
            )
            for line in lines
        ]


@strawberry.type
class PlanChangePreview:
    data: strawberry.Private[billing.Preview]

    @strawberry.field
    def timing(self) -> ChangeTiming:
        return ChangeTiming(self.data.timing)

    @strawberry.field
    def plan(self) -> Plan:
        return Plan(data=self.data.plan)

    @strawberry.field
    def interval(self) -> BillingInterval:
        return BillingInterval(self.data.interval)

    @strawberry.field
    def seats(self) -> int:
        return self.data.seats

    @strawberry.field(description="Charged now: the prorated difference for the rest of the period.")
    def amount_due(self, info: Info) -> BillingAmount:
        return amount(self.data.amount_due, self.data.currency, info.context.locale)

    @strawberry.field
    def tax(self, info: Info) -> BillingAmount:
        return amount(self.data.tax, self.data.currency, info.context.locale)

    @strawberry.field
    def lines(self, info: Info) -> list[BillingInvoiceLine]:
        return [
            BillingInvoiceLine(
                description=line["description"],
                amount=amount(line["amount"], self.data.currency, info.context.locale),
                proration=line["proration"],
            )
            for line in self.data.lines
        ]

    @strawberry.field
    def effective_at(self) -> datetime:
        return self.data.effective_at

    @strawberry.field(description="Pass back to changePlan so the charge equals this preview.")
    def proration_date(self) -> int | None:
        return self.data.proration_date

    @strawberry.field(description="Each renewal after the change.")
    def next_amount(self, info: Info) -> BillingAmount:
        return amount(self.data.next_amount, self.data.currency, info.context.locale)

    @strawberry.field
    def next_renewal_at(self) -> datetime | None:
        return self.data.next_renewal_at


@strawberry.type
class BillingBanner:
    plan: Plan
    status: str
    grace_until: datetime
