"""Cadenza's plan table as Stripe products and prices, created on first need and found again by
lookup key (``cadenza_creator_month_eur``), so the same code works against a fresh sandbox, a test
account or the live account. Prices never change in place: a new figure in ``plans.py`` gets a new
Stripe price, which takes over the lookup key."""

from __future__ import annotations

import logging
from typing import Any

from backend.billing import idempotency, stripe_api
from backend.billing.plans import PLANS, Plan, lookup_key
from backend.billing.regional import tax_inclusive
from backend.billing.tables import Price
from backend.core import clock, db
from backend.core.errors import DomainError

log = logging.getLogger(__name__)


async def price_id(plan: Plan, interval: str, currency: str) -> str:
    """The Stripe price for this plan, interval and currency, creating product and price if needed."""
    if not plan.paid:
        raise DomainError("billing.errors.plan_not_for_sale", field="plan")
    key = lookup_key(plan, interval, currency)
    amount = plan.price(currency, interval)
    row = await Price.select().where(Price.lookup_key == key).first()
    if row is not None and row["unit_amount"] == amount:
        return row["stripe_id"]
    stripe = stripe_api.client()
    found = await stripe.v1.prices.list_async(params={"lookup_keys": [key], "active": True, "limit": 1})
    existing = [stripe_api.as_dict(p) for p in found.data]
    if existing and existing[0]["unit_amount"] == amount:
        return await _remember(existing[0]["id"], key, plan, interval, currency, amount)
    product = await _product(plan)
    created = await idempotency.stripe_call(
        "price",
        (key, amount),
        lambda options: stripe.v1.prices.create_async(
            params={
                "product": product,
                "currency": currency.lower(),
                "unit_amount": amount,
                "recurring": {"interval": interval},
                "lookup_key": key,
                "transfer_lookup_key": True,
                "tax_behavior": "inclusive" if tax_inclusive(currency) else "exclusive",
                "nickname": f"{plan.code} {interval} {currency}",
                "metadata": {"cadenza_plan": plan.code, "cadenza_interval": interval},
            },
            options=options,  # type: ignore[arg-type]
        ),
        subject=f"price:{key}",
    )
    return await _remember(created.id, key, plan, interval, currency, amount)


async def _product(plan: Plan) -> str:
    """Products have stable ids we choose, so finding one is a retrieve, not a search."""
    product_id = f"cadenza_{plan.code}"
    stripe = stripe_api.client()
    try:
        await stripe.v1.products.retrieve_async(product_id)
        return product_id
    except Exception as exc:
        if getattr(exc, "http_status", None) != 404:
            raise
    name = {"creator": "Cadenza Creator", "professional": "Cadenza Professional"}.get(
        plan.code, f"Cadenza {plan.code.title()}"
    )
    await idempotency.stripe_call(
        "product",
        (product_id,),
        lambda options: stripe.v1.products.create_async(
            params={
                "id": product_id,
                "name": name,
                "tax_code": "txcd_10103001",  # software as a service, for Stripe Tax
                "metadata": {"cadenza_plan": plan.code},
            },
            options=options,  # type: ignore[arg-type]
        ),
        subject=f"product:{plan.code}",
    )
    return product_id


async def _remember(stripe_id: str, key: str, plan: Plan, interval: str, currency: str, amount: int) -> str:
    try:
        async with db.transaction():
            await Price.delete().where(Price.lookup_key == key)
            await Price.delete().where(Price.stripe_id == stripe_id)
            await Price.insert(
                Price(
                    stripe_id=stripe_id,
                    lookup_key=key,
                    plan=plan.code,
                    interval=interval,
                    currency=currency.upper(),
                    unit_amount=amount,
                    created_at=clock.now(),
                )
            )
    except Exception as exc:
        if not db.is_unique_violation(exc):
            raise  # else a concurrent request stored the same price first
    return stripe_id


def describe(price: dict[str, Any]) -> tuple[Plan, str, str] | None:
    """(plan, interval, currency) of a Stripe price, from its lookup key or metadata."""
    recurring = price.get("recurring") or {}
    interval = recurring.get("interval") or "month"
    currency = str(price.get("currency") or "usd").upper()
    code = (price.get("metadata") or {}).get("cadenza_plan")
    key = price.get("lookup_key") or ""
    if not code and key.startswith("cadenza_"):
        code = key.split("_")[1]
    plan = PLANS.get(code or "")
    if plan is None:
        return None
    return plan, interval, currency
