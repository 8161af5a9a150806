"""Stripe-shaped objects, each built from Stripe's own example (``shapes.json``, taken from
``fixtures3.json`` in stripe/openapi, MIT) with the fields that matter here filled in and the
example's placeholder values (shipping costs, transfer data, discounts…) cleared."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

SHAPES_FILE = Path(__file__).with_name("shapes.json")

# Fields of the examples that hold made-up values which would mislead a client: cleared.
_CLEAR: dict[str, dict[str, Any]] = {
    "customer": {"discount": None, "shipping": None, "currency": None, "default_source": None},
    "product": {"package_dimensions": None, "description": None, "default_price": None, "type": "service"},
    "price": {"transform_quantity": None, "custom_unit_amount": None, "nickname": None},
    "checkout.session": {
        "after_expiration": None,
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "shipping_cost": None,
        "shipping_address_collection": None,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "currency_conversion": None,
        "collected_information": None,
        "payment_method_configuration_details": None,
        "customer_details": None,
        "adaptive_pricing": {"enabled": False},
        "managed_payments": {"enabled": False},
        "invoice_creation": None,
        "payment_intent": None,
        "discounts": [],
        "permissions": None,
        "consent": None,
        "consent_collection": None,
        "saved_payment_method_options": None,
        "wallet_options": None,
    },
    "subscription": {
        "billing_cycle_anchor_config": None,
        "cancel_at": None,
        "canceled_at": None,
        "ended_at": None,
        "next_pending_invoice_item_invoice": None,
        "pause_collection": None,
        "pending_invoice_item_interval": None,
        "pending_update": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_start": None,
        "cancel_at_period_end": False,
        "billing_thresholds": None,
        "managed_payments": {"enabled": False},
        "billing_schedules": [],
        "latest_invoice": None,
        "schedule": None,
    },
    "subscription_item": {"billing_thresholds": None},
    "subscription_schedule": {
        "canceled_at": None,
        "completed_at": None,
        "released_at": None,
        "released_subscription": None,
    },
    "invoice": {
        "last_finalization_error": None,
        "from_invoice": None,
        "shipping_cost": None,
        "shipping_details": None,
        "amount_overpaid": 0,
        "due_date": None,
        "next_payment_attempt": None,
        "webhooks_delivered_at": None,
        "total_taxes": [],
        "total_pretax_credit_amounts": [],
        "account_country": None,
    },
    "charge": {"source": None, "transfer_data": None, "review": None, "balance_transaction": None},
    "payment_intent": {
        "last_payment_error": None,
        "next_action": None,
        "processing": None,
        "transfer_data": None,
        "canceled_at": None,
        "payment_method_configuration_details": None,
        "managed_payments": {"enabled": False},
        "automatic_payment_methods": None,
    },
    "billing_portal.session": {"flow": None},
}


@cache
def _shapes() -> dict[str, dict[str, Any]]:
    return json.loads(SHAPES_FILE.read_text())


def shape(kind: str, **fields: Any) -> dict[str, Any]:
    """A fresh object of ``kind`` shaped like Stripe's example, with ``fields`` set."""
    obj = copy.deepcopy(_shapes()[kind])
    obj.update(copy.deepcopy(_CLEAR.get(kind, {})))
    obj.update(fields)
    obj["livemode"] = False
    return obj


def listing(data: list[dict[str, Any]], url: str, has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def legacy_plan(price: dict[str, Any]) -> dict[str, Any]:
    """The deprecated ``plan`` that subscription items still carry, derived from the price."""
    recurring = price.get("recurring") or {}
    return {
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": str(price["unit_amount"]),
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "id": price["id"],
        "interval": recurring.get("interval", "month"),
        "interval_count": recurring.get("interval_count", 1),
        "livemode": False,
        "metadata": price.get("metadata", {}),
        "meter": None,
        "nickname": price.get("nickname"),
        "object": "plan",
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def error_body(
    message: str, *, kind: str = "invalid_request_error", code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    if kind == "card_error" and code:
        error["decline_code"] = "expired_card" if code == "expired_card" else "generic_decline"
    return {"error": error}
