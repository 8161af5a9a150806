"""Billing use cases. ``entitlements(user_id)`` is the one lookup every domain calls.

For other domains:

- ``await entitlements(user_id)`` → ``Entitlements`` (``.plan``, ``.has(feature)``, ``.limit(name)``,
  ``.allows(name, value)``, ``.over_limit(name, value)``, ``.read_only``, ``.upgrade_for(...)``);
- ``await require_feature(user_id, "collaboration")`` / ``await check_limit(user_id,
  "tracks_per_project", 17)`` raise ``FeatureNotInPlan`` / ``LimitReached`` (translated, with the
  plan to upgrade to) instead of returning;
- ``await consume(user_id, "ai_generations")`` takes quota atomically or raises ``LimitReached``;
  ``release`` gives it back; ``set_level(user_id, "storage_bytes", n)`` reports a running total.

GraphQL and pages use the rest, each taking the ``Actor``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.billing import (
    access,
    changes,
    checkout,
    customers,
    queries,
    stripe_api,
    usage,
    webhook_inbox,
    webhooks,
)
from backend.billing.changes import PlanChange, Preview
from backend.billing.checkout import CheckoutRequest
from backend.billing.customers import Subject
from backend.billing.entitlements import Entitlements, compute, seated_members
from backend.billing.errors import FeatureNotInPlan, LimitReached, format_limit
from backend.billing.plans import BY_RANK, CURRENCIES, PLANS, Plan
from backend.billing.regional import currency_for, payment_methods, tax_inclusive
from backend.billing.usage import Usage
from backend.core import jobs
from backend.core.actor import Actor
from backend.core.errors import NotFound
from backend.core.pagination import Page, decode_cursor, make_page, page_size

__all__ = [
    "Account",
    "CheckoutRequest",
    "Entitlements",
    "FeatureNotInPlan",
    "LimitReached",
    "PlanChange",
    "Preview",
    "Pricing",
    "Usage",
    "account",
    "admit_api_call",
    "banner",
    "cancel_subscription",
    "change_plan",
    "check_limit",
    "close_webhook_inbox",
    "complete_checkout",
    "consume",
    "entitlements",
    "format_limit",
    "invoices",
    "keep_current_plan",
    "plan",
    "portal_url",
    "preview_change",
    "pricing",
    "receive_webhook",
    "reconcile_now",
    "refund_invoice",
    "release",
    "require_feature",
    "resume_subscription",
    "set_level",
    "start_checkout",
    "usage_of",
]


# ----------------------------------------------------------------------------- for every domain


async def entitlements(user_id: int) -> Entitlements:
    return await compute(user_id)


def plan(code: str) -> Plan:
    return PLANS[code]


async def require_feature(user_id: int, feature: str, *, field: str | None = None) -> Entitlements:
    ent = await compute(user_id)
    if not ent.has(feature):
        upgrade = ent.upgrade_for(feature=feature)
        raise FeatureNotInPlan(feature, upgrade.code if upgrade else None, field=field)
    return ent


async def check_limit(user_id: int, name: str, value: int, *, field: str | None = None) -> Entitlements:
    """Refuse ``value`` (e.g. the 17th track) when it is over the plan's limit ``name``."""
    ent = await compute(user_id)
    if not ent.allows(name, value):
        upgrade = ent.upgrade_for(limit=name, needed=value)
        raise LimitReached(name, ent.limit(name), upgrade.code if upgrade else None, field=field)
    return ent


async def consume(user_id: int, metric: str, amount: int = 1) -> Usage:
    return await usage.consume(user_id, metric, amount)


async def release(user_id: int, metric: str, amount: int = 1) -> None:
    await usage.release(user_id, metric, amount)


async def set_level(user_id: int, metric: str, value: int) -> None:
    await usage.set_level(user_id, metric, value)


async def admit_api_call(
    user_id: int, key_id: int, entitlements: Entitlements, per_minute: int | None = None
) -> usage.Admission:
    """The API's per-request check for a key: its plan's rate limit and monthly allowance, counted
    together in one Redis round trip. ``per_minute`` overrides the plan's rate (tests, benchmarks)."""
    return await usage.admit_api_call(user_id, key_id, entitlements, per_minute)


async def usage_of(actor: Actor | None) -> list[Usage]:
    actor = access.require_actor(actor)
    return await usage.usage(actor.user_id)


# ----------------------------------------------------------------------------- pricing


@dataclass(frozen=True, slots=True)
class Pricing:
    currency: str
    region: str
    tax_inclusive: bool
    payment_methods: list[str]
    plans: tuple[Plan, ...]
    currencies: tuple[str, ...] = CURRENCIES


def pricing(actor: Actor | None, currency: str | None = None, locale: str | None = None) -> Pricing:
    region = actor.region if actor else ""
    chosen = currency_for(region or None, actor.locale if actor else locale, currency)
    return Pricing(chosen, region, tax_inclusive(chosen), payment_methods(region or "us", chosen), BY_RANK)


# ----------------------------------------------------------------------------- one subject's billing


@dataclass(frozen=True, slots=True)
class Account:
    subject: Subject
    customer: dict[str, Any] | None
    subscription: dict[str, Any] | None
    seated: int | None  # organizations: members who hold a seat


async def account(actor: Actor | None, organization_id: str | None = None) -> Account:
    subject = await customers.subject_for(actor, organization_id)
    customer = await customers.find(subject)
    subscription = await queries.current_subscription(customer["id"]) if customer else None
    seated = None
    if subject.is_organization and subscription is not None and actor is not None:
        seated = len(await seated_members(actor, subject.id, int(subscription["seats"])))
    return Account(subject, customer, subscription, seated)


async def banner(actor: Actor | None) -> dict[str, Any] | None:
    """What the payment-failed banner says for this viewer, if anything."""
    if actor is None:
        return None
    customer = await queries.customer_of_user(actor.user_id)
    sub = await queries.current_subscription(customer["id"]) if customer else None
    if sub is None or sub["status"] not in ("past_due", "unpaid") or sub["grace_until"] is None:
        return None
    return {"plan": sub["plan"], "grace_until": sub["grace_until"], "status": sub["status"]}


async def start_checkout(actor: Actor | None, organization_id: str | None, request: CheckoutRequest) -> str:
    actor = access.require_actor(actor)
    access.require_write(actor)
    subject = await customers.subject_for(actor, organization_id)
    return await checkout.start(actor, subject, request)


async def complete_checkout(actor: Actor | None, session_id: str) -> dict[str, Any]:
    actor = access.require_actor(actor)
    return await checkout.complete(actor, session_id)


async def preview_change(actor: Actor | None, organization_id: str | None, change: PlanChange) -> Preview:
    subject = await customers.subject_for(actor, organization_id)
    assert actor is not None
    return await changes.preview(actor, subject, change)


async def change_plan(
    actor: Actor | None, organization_id: str | None, change: PlanChange, proration_date: int | None = None
) -> dict[str, Any]:
    actor = access.require_actor(actor)
    access.require_write(actor)
    subject = await customers.subject_for(actor, organization_id)
    return await changes.change_plan(actor, subject, change, proration_date)


async def cancel_subscription(actor: Actor | None, organization_id: str | None = None) -> dict[str, Any]:
    actor = access.require_actor(actor)
    access.require_write(actor)
    return await changes.cancel(actor, await customers.subject_for(actor, organization_id))


async def resume_subscription(actor: Actor | None, organization_id: str | None = None) -> dict[str, Any]:
    actor = access.require_actor(actor)
    access.require_write(actor)
    return await changes.resume(actor, await customers.subject_for(actor, organization_id))


async def keep_current_plan(actor: Actor | None, organization_id: str | None = None) -> dict[str, Any]:
    actor = access.require_actor(actor)
    access.require_write(actor)
    return await changes.keep_current_plan(actor, await customers.subject_for(actor, organization_id))


async def portal_url(actor: Actor | None, organization_id: str | None, return_url: str) -> str:
    actor = access.require_actor(actor)
    access.require_write(actor)
    return await changes.portal_url(actor, await customers.subject_for(actor, organization_id), return_url)


async def invoices(
    actor: Actor | None, organization_id: str | None, first: int | None, after: str | None
) -> Page[dict[str, Any]]:
    subject = await customers.subject_for(actor, organization_id)
    customer = await customers.find(subject)
    size = page_size(first)
    if customer is None:
        return make_page([], size, lambda r: r["id"])
    cursor = decode_cursor(after)
    before = (int(cursor[0]), int(cursor[1])) if cursor and len(cursor) == 2 else None
    rows = await queries.invoices_of(customer["id"], size + 1, before)
    return make_page(rows, size, lambda r: (r["stripe_created"], r["id"]))


async def refund_invoice(actor: Actor | None, invoice_id: str, amount: int | None = None) -> dict[str, Any]:
    actor = access.require_actor(actor)
    access.require_write(actor)
    return await changes.refund(actor, invoice_id, amount)


async def reconcile_now(actor: Actor | None) -> dict[str, Any]:
    """Start a reconciliation now (platform admins); returns the job row."""
    actor = access.require_actor(actor)
    if not actor.is_admin:
        raise NotFound()
    return await jobs.enqueue("billing.reconcile", owner_id=actor.user_id, subject="on demand")


async def receive_webhook(payload: bytes, signature: str | None) -> webhooks.Received:
    """Verify one delivery (``BadSignature`` at once if forged) and return once it is stored.

    Its job is enqueued right after, together with those of the deliveries stored with it.
    """
    delivery = webhooks.verify(payload, signature)
    return await webhook_inbox.inbox().store(delivery)


async def close_webhook_inbox() -> None:
    """Store the deliveries still waiting, then stop (at the app's shutdown)."""
    await webhook_inbox.close()


def test_mode() -> bool:
    return stripe_api.config().test_mode
