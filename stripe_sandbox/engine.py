"""What the sandbox does: customers, prices, Checkout, subscriptions, schedules, invoices with
proration, payments that succeed or fail, refunds, portal sessions — and the events they cause.

Methods are synchronous and run on one event loop, so each API request changes state atomically.
Every state change records Stripe-shaped events in the current batch; the app hands the batch to
webhook delivery once the request is done.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from stripe_sandbox.config import SandboxConfig
from stripe_sandbox.money import accepts, add_interval, tax_for
from stripe_sandbox.objects import legacy_plan, listing, shape
from stripe_sandbox.store import Store, public

API_VERSION = "2026-10-28.endive"

# Stripe's own test payment methods: what a customer's card does when charged.
TEST_PAYMENT_METHODS = {
    "pm_card_visa": "ok",
    "pm_card_mastercard": "ok",
    "pm_card_chargeDeclined": "decline",
    "pm_card_chargeDeclinedExpiredCard": "expired",
    "pm_card_chargeDeclinedInsufficientFunds": "decline",
}
DECLINES = {
    "decline": ("card_declined", "Your card was declined."),
    "expired": ("expired_card", "Your card has expired."),
}
RETRY_DELAYS = (3 * 86400, 5 * 86400, 7 * 86400)  # smart-retry stand-in: 3, 8 and 15 days after


class StripeError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        kind: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.code = code
        self.param = param


def missing(object_name: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(404, f"No such {object_name}: '{object_id}'", code="resource_missing", param=param)


def _day(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d %b %Y")


class Engine:
    def __init__(self, store: Store, config: SandboxConfig) -> None:
        self.store = store
        self.config = config
        self._batch: list[dict[str, Any]] | None = None
        self._request: dict[str, Any] = {"id": None, "idempotency_key": None}
        self._invoice_seq: dict[str, int] = {}
        # Injected failures (``POST /_sandbox/faults``): name → how many times still to fire.
        self.faults: dict[str, int] = {}

    # ----------------------------------------------------------------------------- plumbing

    @contextlib.contextmanager
    def request(self, idempotency_key: str | None = None) -> Iterator[list[dict[str, Any]]]:
        """Collect the events one request causes; nested calls share the outer batch."""
        if self._batch is not None:
            yield self._batch
            return
        batch: list[dict[str, Any]] = []
        self._batch = batch
        self._request = {"id": f"req_{secrets.token_hex(7)}", "idempotency_key": idempotency_key}
        try:
            yield batch
        finally:
            self._batch = None
            self._request = {"id": None, "idempotency_key": None}

    def now(self) -> int:
        return self.store.now()

    def emit(self, kind: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"object": public(obj)}
        if previous:
            data["previous_attributes"] = previous
        event = shape(
            "event",
            id=self.store.new_id("evt"),
            type=kind,
            created=self.now(),
            data=data,
            api_version=API_VERSION,
            pending_webhooks=1 if self.config.webhook_url else 0,
            request=dict(self._request),
        )
        self.store.put(event)
        if self._batch is not None:
            self._batch.append(event)
        return event

    def _get(self, object_id: Any, kind: str, param: str = "id") -> dict[str, Any]:
        found = self.store.get(str(object_id or ""), kind)
        if found is None:
            raise missing(kind.replace(".", " ").replace("_", " "), str(object_id), param)
        return found

    def expand(self, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        result = public(obj)
        for path in paths:
            self._expand_path(result, path.split("."))
        return result

    def _expand_path(self, node: Any, parts: list[str]) -> None:
        if not parts or node is None:
            return
        head, rest = parts[0], parts[1:]
        if isinstance(node, list):
            for item in node:
                self._expand_path(item, parts)
            return
        if not isinstance(node, dict) or head not in node:
            return
        value = node[head]
        if isinstance(value, str) and self.store.get(value) is not None:
            node[head] = value = public(self.store.get(value))
        self._expand_path(value, rest)

    # ----------------------------------------------------------------------------- customers

    def create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = shape(
            "customer",
            id=self.store.new_id("cus"),
            created=self.now(),
            email=params.get("email") or None,
            name=params.get("name") or None,
            description=params.get("description") or None,
            metadata=dict(params.get("metadata") or {}),
            preferred_locales=list(params.get("preferred_locales") or []),
            invoice_prefix=secrets.token_hex(4).upper(),
            test_clock=params.get("test_clock") or None,
        )
        customer["address"] = {**customer["address"], **(params.get("address") or {})}
        behaviour = TEST_PAYMENT_METHODS.get(str(params.get("payment_method") or ""), "ok")
        customer["_card"] = behaviour
        default_pm = (params.get("invoice_settings") or {}).get("default_payment_method")
        if default_pm:
            customer["_card"] = TEST_PAYMENT_METHODS.get(default_pm, "ok")
            customer["invoice_settings"]["default_payment_method"] = self._payment_method(
                "card", customer["id"], customer["_card"]
            )["id"]
        self.store.put(customer)
        self.emit("customer.created", customer)
        return customer

    def update_customer(self, customer_id: str, params: dict[str, Any]) -> dict[str, Any]:
        customer = self._get(customer_id, "customer")
        previous: dict[str, Any] = {}
        for field in ("email", "name", "description"):
            if field in params:
                previous[field] = customer[field]
                customer[field] = params[field] or None
        if "metadata" in params:
            previous["metadata"] = dict(customer["metadata"])
            for key, value in (params["metadata"] or {}).items():
                if value == "":
                    customer["metadata"].pop(key, None)
                else:
                    customer["metadata"][key] = value
        if "preferred_locales" in params:
            customer["preferred_locales"] = list(params["preferred_locales"] or [])
        default_pm = (params.get("invoice_settings") or {}).get("default_payment_method")
        if default_pm:
            attached = self.store.get(default_pm, "payment_method")
            if attached is not None and attached.get("customer") != customer["id"]:
                raise StripeError(
                    400, f"The payment method `{default_pm}` must be attached to this customer."
                )
            behaviour = attached["_behaviour"] if attached else TEST_PAYMENT_METHODS.get(default_pm, "ok")
            self.set_card(customer, behaviour, attached)
            return customer
        self.store.put(customer)
        self.emit("customer.updated", customer, previous)
        return customer

    def set_card(
        self, customer: dict[str, Any], behaviour: str, method: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Give the customer a new default card that will ``ok``, ``decline`` or be ``expired``."""
        previous = {"invoice_settings": dict(customer["invoice_settings"])}
        customer["_card"] = behaviour
        method = method or self._payment_method("card", customer["id"], behaviour)
        customer["invoice_settings"]["default_payment_method"] = method["id"]
        self.store.put(customer)
        self.emit("customer.updated", customer, previous)
        return customer

    def attach_payment_method(self, method_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """Attach a payment method; Stripe's test tokens (``pm_card_visa``…) make a new card."""
        customer = self._get(params.get("customer"), "customer", "customer")
        if method_id in TEST_PAYMENT_METHODS:
            return self._payment_method("card", customer["id"], TEST_PAYMENT_METHODS[method_id])
        method = self._get(method_id, "payment_method")
        method["customer"] = customer["id"]
        return self.store.put(method)

    def _payment_method(self, kind: str, customer_id: str | None, behaviour: str = "ok") -> dict[str, Any]:
        method = shape(
            "payment_method",
            id=self.store.new_id("pm"),
            created=self.now(),
            customer=customer_id,
            type=kind,
            metadata={},
        )
        if kind == "card":
            last4 = {"ok": "4242", "decline": "0002", "expired": "0069"}.get(behaviour, "4242")
            method["card"] = {
                **method["card"],
                "last4": last4,
                "exp_year": 2034 if behaviour != "expired" else 2020,
            }
        else:
            method.pop("card", None)
            method[kind] = {}
        method["billing_details"] = {
            "address": {k: None for k in method["billing_details"]["address"]},
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        }
        method["_behaviour"] = behaviour
        return self.store.put(method)

    # ----------------------------------------------------------------------------- catalogue

    def create_product(self, params: dict[str, Any]) -> dict[str, Any]:
        product_id = params.get("id") or self.store.new_id("prod")
        if self.store.get(product_id) is not None:
            raise StripeError(400, "Product already exists.", code="resource_already_exists", param="id")
        product = shape(
            "product",
            id=product_id,
            created=self.now(),
            updated=self.now(),
            name=params.get("name") or "Product",
            description=params.get("description") or None,
            metadata=dict(params.get("metadata") or {}),
            tax_code=params.get("tax_code") or None,
        )
        self.store.put(product)
        self.emit("product.created", product)
        return product

    def create_price(self, params: dict[str, Any]) -> dict[str, Any]:
        product_id = params.get("product")
        if not product_id and params.get("product_data"):
            product_id = self.create_product(params["product_data"])["id"]
        product = self._get(product_id, "product", "product")
        if params.get("unit_amount") in (None, ""):
            raise StripeError(400, "Missing required param: unit_amount.", param="unit_amount")
        if not params.get("currency"):
            raise StripeError(400, "Missing required param: currency.", param="currency")
        lookup_key = params.get("lookup_key") or None
        if lookup_key:
            holder = next((p for p in self.store.all("price") if p.get("lookup_key") == lookup_key), None)
            if holder is not None:
                if str(params.get("transfer_lookup_key")).lower() != "true":
                    raise StripeError(
                        400,
                        f"A price (`{holder['id']}`) already uses that lookup key.",
                        param="lookup_key",
                    )
                holder["lookup_key"] = None
                self.store.put(holder)
        recurring = params.get("recurring") or None
        price = shape(
            "price",
            id=self.store.new_id("price"),
            created=self.now(),
            product=product["id"],
            currency=str(params["currency"]).lower(),
            unit_amount=int(params["unit_amount"]),
            unit_amount_decimal=str(int(params["unit_amount"])),
            lookup_key=lookup_key,
            nickname=params.get("nickname") or None,
            metadata=dict(params.get("metadata") or {}),
            tax_behavior=params.get("tax_behavior") or "unspecified",
            type="recurring" if recurring else "one_time",
            recurring=(
                {
                    "interval": recurring.get("interval", "month"),
                    "interval_count": int(recurring.get("interval_count") or 1),
                    "meter": None,
                    "usage_type": "licensed",
                    "trial_period_days": None,
                }
                if recurring
                else None
            ),
        )
        self.store.put(price)
        self.emit("price.created", price)
        return price

    def list_prices(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        prices = self.store.all("price")
        keys = params.get("lookup_keys")
        if keys:
            wanted = set(keys if isinstance(keys, list) else [keys])
            prices = [p for p in prices if p.get("lookup_key") in wanted]
        if params.get("active") not in (None, ""):
            active = str(params["active"]).lower() == "true"
            prices = [p for p in prices if p["active"] == active]
        for field in ("product", "currency"):
            if params.get(field):
                prices = [p for p in prices if p[field] == params[field]]
        return prices

    # ----------------------------------------------------------------------------- checkout

    def create_checkout_session(self, params: dict[str, Any]) -> dict[str, Any]:
        mode = params.get("mode")
        if mode != "subscription":
            raise StripeError(400, "The sandbox supports Checkout in subscription mode only.", param="mode")
        if not params.get("success_url"):
            raise StripeError(400, "Missing required param: success_url.", param="success_url")
        items = params.get("line_items") or []
        if not items:
            raise StripeError(400, "Missing required param: line_items.", param="line_items")
        customer = None
        if params.get("customer"):
            customer = self._get(params["customer"], "customer", "customer")
        line_items = []
        currency = None
        subtotal = 0
        for index, item in enumerate(items):
            price = self._get(item.get("price"), "price", f"line_items[{index}][price]")
            if price["type"] != "recurring":
                raise StripeError(
                    400,
                    "You must specify at least one recurring price in `subscription` mode.",
                    param=f"line_items[{index}][price]",
                )
            if currency and price["currency"] != currency:
                raise StripeError(400, "All prices must be in the same currency.", param="line_items")
            currency = price["currency"]
            quantity = int(item.get("quantity") or 1)
            if quantity < 1:
                raise StripeError(400, "Quantity must be at least 1.", param=f"line_items[{index}][quantity]")
            line_items.append({"price": price["id"], "quantity": quantity})
            subtotal += price["unit_amount"] * quantity
        assert currency is not None
        if customer is not None and customer.get("currency") and customer["currency"] != currency:
            raise StripeError(
                400,
                "You cannot combine currencies on a single customer. This customer has had a "
                f"subscription or invoice in {customer['currency']}.",
                code="currency_mismatch",
                param="line_items",
            )
        methods = list(params.get("payment_method_types") or ["card"])
        for method in methods:
            if method not in ("card", "sepa_debit", "ideal", "bancontact", "pix", "boleto", "konbini"):
                raise StripeError(
                    400, f"Invalid payment_method_types: {method}", param="payment_method_types"
                )
            if not accepts(method, currency):
                raise StripeError(
                    400,
                    f"The payment method `{method}` does not support the currency {currency}.",
                    param="payment_method_types",
                )
        automatic_tax = str((params.get("automatic_tax") or {}).get("enabled", "false")).lower() == "true"
        first_price = self._get(line_items[0]["price"], "price")
        tax, total, _ = tax_for(subtotal, currency, first_price["tax_behavior"], automatic_tax)
        session_id = self.store.new_id("cs_test")
        session = shape(
            "checkout.session",
            id=session_id,
            created=self.now(),
            expires_at=self.now() + 24 * 3600,
            mode="subscription",
            status="open",
            payment_status="unpaid",
            customer=customer["id"] if customer else None,
            customer_email=params.get("customer_email") or None,
            client_reference_id=params.get("client_reference_id") or None,
            metadata=dict(params.get("metadata") or {}),
            success_url=params["success_url"],
            cancel_url=params.get("cancel_url") or None,
            locale=params.get("locale") or None,
            payment_method_types=methods,
            currency=currency,
            amount_subtotal=subtotal,
            amount_total=total,
            total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": tax},
            automatic_tax={
                "enabled": automatic_tax,
                "liability": {"type": "self"} if automatic_tax else None,
                "status": "complete" if automatic_tax else None,
                "provider": "stripe" if automatic_tax else None,
            },
            subscription=None,
            invoice=None,
            url=f"{self.config.public_url}/checkout/{session_id}",
        )
        session["_line_items"] = line_items
        session["_subscription_metadata"] = dict(
            (params.get("subscription_data") or {}).get("metadata") or {}
        )
        self.store.put(session)
        return session

    def session_line_items(self, session: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for item in session["_line_items"]:
            price = self._get(item["price"], "price")
            product = self.store.get(price["product"]) or {}
            out.append({"price": public(price), "product": public(product), "quantity": item["quantity"]})
        return out

    def expire_checkout_session(self, session_id: str) -> dict[str, Any]:
        session = self._get(session_id, "checkout.session")
        if session["status"] != "open":
            raise StripeError(400, "Only Checkout Sessions with a status of `open` can be expired.")
        session["status"] = "expired"
        session["url"] = None
        self.store.put(session)
        self.emit("checkout.session.expired", session)
        return session

    def complete_checkout(self, session_id: str, method: str, outcome: str) -> dict[str, Any]:
        """The customer pressed "Pay" (``outcome="pay"``) or used a card that is declined."""
        session = self._get(session_id, "checkout.session")
        if session["status"] != "open":
            raise StripeError(400, "This Checkout Session is no longer open.")
        if session["expires_at"] < self.now():
            return self.expire_checkout_session(session_id)
        if method not in session["payment_method_types"]:
            raise StripeError(400, "That payment method is not offered here.", param="payment_method")
        if outcome != "pay":
            code, message = DECLINES["expired" if outcome == "expired" else "decline"]
            raise StripeError(402, message, kind="card_error", code=code)
        customer = self.store.get(session["customer"] or "", "customer")
        if customer is None:
            customer = self.create_customer({"email": session["customer_email"]})
            session["customer"] = customer["id"]
        customer["_card"] = "ok"
        payment_method = self._payment_method(method, customer["id"])
        previous = {"invoice_settings": dict(customer["invoice_settings"])}
        customer["invoice_settings"]["default_payment_method"] = payment_method["id"]
        country = _country(session["currency"])
        customer["address"] = {**customer["address"], "country": country}
        self.store.put(customer)
        self.emit("customer.updated", customer, previous)
        subscription = self.start_subscription(
            customer,
            session["_line_items"],
            metadata=session["_subscription_metadata"],
            automatic_tax=session["automatic_tax"]["enabled"],
            method=method,
        )
        session.update(
            status="complete",
            payment_status="paid",
            subscription=subscription["id"],
            invoice=subscription["latest_invoice"],
            url=None,
            customer_details={
                "address": dict(customer["address"]),
                "email": customer["email"] or session["customer_email"],
                "name": customer["name"],
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
                "business_name": None,
                "individual_name": None,
            },
        )
        self.store.put(session)
        self.emit("checkout.session.completed", session)
        return session

    # ----------------------------------------------------------------------------- subscriptions

    def _item(
        self, subscription_id: str, price: dict[str, Any], quantity: int, start: int, end: int
    ) -> dict[str, Any]:
        return shape(
            "subscription_item",
            id=self.store.new_id("si"),
            created=self.now(),
            metadata={},
            price=public(price),
            plan=legacy_plan(price),
            quantity=quantity,
            subscription=subscription_id,
            tax_rates=[],
            current_period_start=start,
            current_period_end=end,
        )

    def start_subscription(
        self,
        customer: dict[str, Any],
        line_items: list[dict[str, Any]],
        *,
        metadata: dict[str, Any],
        automatic_tax: bool,
        method: str = "card",
        allow_incomplete: bool = False,
    ) -> dict[str, Any]:
        now = self.now()
        subscription_id = self.store.new_id("sub")
        items = []
        currency = None
        for entry in line_items:
            price = self._get(entry["price"], "price", "items")
            if price["type"] != "recurring":
                raise StripeError(400, "Subscription prices must be recurring.", param="items")
            currency = price["currency"]
            end = add_interval(now, price["recurring"]["interval"], price["recurring"]["interval_count"])
            items.append(self._item(subscription_id, price, int(entry.get("quantity") or 1), now, end))
        if not items or currency is None:
            raise StripeError(400, "Missing required param: items.", param="items")
        if customer.get("currency") and customer["currency"] != currency:
            raise StripeError(
                400,
                "You cannot combine currencies on a single customer. This customer has had a "
                f"subscription or invoice in {customer['currency']}.",
                code="currency_mismatch",
            )
        subscription = shape(
            "subscription",
            id=subscription_id,
            created=now,
            start_date=now,
            billing_cycle_anchor=now,
            customer=customer["id"],
            currency=currency,
            status="incomplete",
            metadata=dict(metadata),
            items=listing(items, f"/v1/subscription_items?subscription={subscription_id}"),
            automatic_tax={
                "enabled": automatic_tax,
                "liability": {"type": "self"} if automatic_tax else None,
                "disabled_reason": None,
            },
            default_payment_method=customer["invoice_settings"]["default_payment_method"],
            payment_settings={
                "payment_method_options": None,
                "payment_method_types": [method],
                "save_default_payment_method": "on_subscription",
            },
        )
        subscription["_method"] = method
        self.store.put(subscription)
        if not customer.get("currency"):
            customer["currency"] = currency
            self.store.put(customer)
        self.emit("customer.subscription.created", subscription)
        lines = [
            self._line(
                item["price"],
                item["quantity"],
                item["current_period_start"],
                item["current_period_end"],
                subscription_id,
                item["id"],
                proration=False,
            )
            for item in items
        ]
        invoice = self._invoice(customer, subscription, lines, "subscription_create")
        paid = self._attempt(invoice, customer, method)
        if not paid and not allow_incomplete:
            code, message = DECLINES.get(customer.get("_card", "decline"), DECLINES["decline"])
            raise StripeError(402, message, kind="card_error", code=code)
        previous = {"status": subscription["status"]}
        subscription["status"] = "active" if paid else "incomplete"
        subscription["latest_invoice"] = invoice["id"]
        self.store.put(subscription)
        self.emit("customer.subscription.updated", subscription, previous)
        return subscription

    def create_subscription(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = self._get(params.get("customer"), "customer", "customer")
        items = params.get("items") or []
        behaviour = params.get("payment_behavior") or "allow_incomplete"
        automatic_tax = str((params.get("automatic_tax") or {}).get("enabled", "false")).lower() == "true"
        return self.start_subscription(
            customer,
            [{"price": i.get("price"), "quantity": i.get("quantity") or 1} for i in items],
            metadata=dict(params.get("metadata") or {}),
            automatic_tax=automatic_tax,
            allow_incomplete=behaviour != "error_if_incomplete",
        )

    def list_subscriptions(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        subs = self.store.all("subscription")
        if params.get("customer"):
            subs = [s for s in subs if s["customer"] == params["customer"]]
        status = params.get("status") or None
        if status and status != "all":
            subs = [s for s in subs if s["status"] == status]
        elif not status:
            subs = [s for s in subs if s["status"] != "canceled"]
        if params.get("price"):
            subs = [s for s in subs if any(i["price"]["id"] == params["price"] for i in s["items"]["data"])]
        return subs

    def update_subscription(self, subscription_id: str, params: dict[str, Any]) -> dict[str, Any]:
        subscription = self._get(subscription_id, "subscription")
        if subscription["status"] in ("canceled", "incomplete_expired"):
            raise StripeError(
                400,
                "A canceled subscription can only update its cancellation_details and metadata.",
            )
        schedule_id = subscription.get("schedule")
        touches_schedule = "cancel_at_period_end" in params or params.get("items")
        if schedule_id and touches_schedule:
            raise StripeError(
                400,
                f"The subscription is managed by the subscription schedule `{schedule_id}`, and "
                "updating any cancelation behavior or items directly is not allowed. Please update "
                "the schedule instead.",
            )
        previous: dict[str, Any] = {}
        if "metadata" in params:
            previous["metadata"] = dict(subscription["metadata"])
            for key, value in (params["metadata"] or {}).items():
                if value == "":
                    subscription["metadata"].pop(key, None)
                else:
                    subscription["metadata"][key] = value
        if "cancel_at_period_end" in params:
            wanted = str(params["cancel_at_period_end"]).lower() == "true"
            if wanted != subscription["cancel_at_period_end"]:
                period_end = subscription["items"]["data"][0]["current_period_end"]
                previous.update(
                    cancel_at_period_end=subscription["cancel_at_period_end"],
                    cancel_at=subscription["cancel_at"],
                    canceled_at=subscription["canceled_at"],
                )
                subscription["cancel_at_period_end"] = wanted
                subscription["cancel_at"] = period_end if wanted else None
                subscription["canceled_at"] = self.now() if wanted else None
                subscription["cancellation_details"] = {
                    "comment": (params.get("cancellation_details") or {}).get("comment"),
                    "feedback": (params.get("cancellation_details") or {}).get("feedback"),
                    "reason": "cancellation_requested" if wanted else None,
                }
        invoice = None
        if params.get("items"):
            invoice = self._change_items(subscription, params, previous)
        if previous:
            self.store.put(subscription)
            self.emit("customer.subscription.updated", subscription, previous)
        if invoice is not None:
            self._announce_invoice(invoice)
        return subscription

    def _change_items(
        self, subscription: dict[str, Any], params: dict[str, Any], previous: dict[str, Any]
    ) -> dict[str, Any] | None:
        change = params["items"][0]
        item = subscription["items"]["data"][0]
        if change.get("id") and change["id"] != item["id"]:
            raise StripeError(400, f"No such subscription item: '{change['id']}'", param="items[0][id]")
        new_price = self._get(change.get("price") or item["price"]["id"], "price", "items[0][price]")
        if new_price["currency"] != subscription["currency"]:
            raise StripeError(
                400, "The price's currency must match the subscription's.", param="items[0][price]"
            )
        quantity = int(change.get("quantity") or item["quantity"])
        behavior = params.get("proration_behavior") or "create_prorations"
        moment = int(params.get("proration_date") or self.now())
        lines, new_start, new_end = self.proration_lines(subscription, new_price, quantity, moment, behavior)
        customer = self._get(subscription["customer"], "customer")
        invoice = None
        if behavior == "always_invoice" and lines:
            invoice = self._invoice(customer, subscription, lines, "subscription_update", announce=False)
            paid = self._attempt(invoice, customer, subscription.get("_method", "card"), announce=False)
            if not paid and params.get("payment_behavior") == "error_if_incomplete":
                # Stripe makes no change at all when an immediate charge fails this way.
                invoice["status"] = "void"
                self.store.put(invoice)
                code, message = DECLINES.get(customer.get("_card", "decline"), DECLINES["decline"])
                raise StripeError(402, message, kind="card_error", code=code)
            if not paid:
                previous.setdefault("status", subscription["status"])
                subscription["status"] = "past_due"
            subscription["latest_invoice"] = invoice["id"]
        elif behavior == "create_prorations" and lines:
            subscription.setdefault("_pending_lines", []).extend(lines)
        previous["items"] = public(subscription["items"])
        item["price"] = public(new_price)
        item["plan"] = legacy_plan(new_price)
        item["quantity"] = quantity
        if new_start != item["current_period_start"]:
            subscription["billing_cycle_anchor"] = new_start
        item["current_period_start"], item["current_period_end"] = new_start, new_end
        return invoice

    def proration_lines(
        self,
        subscription: dict[str, Any],
        new_price: dict[str, Any],
        quantity: int,
        moment: int,
        behavior: str,
    ) -> tuple[list[dict[str, Any]], int, int]:
        """Lines for moving the subscription's only item to ``new_price`` at ``moment``.

        Same interval: credit the unused time on the old price and charge the remaining time on
        the new one, keeping the cycle. A new interval restarts the cycle now: credit the unused
        time and charge a whole new period.
        """
        item = subscription["items"]["data"][0]
        old_price = item["price"]
        start, end = item["current_period_start"], item["current_period_end"]
        moment = min(max(moment, start), end)
        same_interval = (old_price["recurring"]["interval"], old_price["recurring"]["interval_count"]) == (
            new_price["recurring"]["interval"],
            new_price["recurring"]["interval_count"],
        )
        new_start, new_end = start, end
        if not same_interval:
            new_start = moment
            new_end = add_interval(
                moment, new_price["recurring"]["interval"], new_price["recurring"]["interval_count"]
            )
        unchanged = new_price["id"] == old_price["id"] and quantity == item["quantity"]
        if behavior == "none" or unchanged:
            return [], new_start, new_end
        remaining = (end - moment) / max(1, end - start)
        old_name = self._product_name(old_price)
        new_name = self._product_name(new_price)
        credit = -round(old_price["unit_amount"] * item["quantity"] * remaining)
        lines = []
        if credit:
            lines.append(
                self._line(
                    old_price,
                    item["quantity"],
                    moment,
                    end,
                    subscription["id"],
                    item["id"],
                    proration=True,
                    amount=credit,
                    description=f"Unused time on {item['quantity']} × {old_name} after {_day(moment)}",
                )
            )
        if same_interval:
            charge = round(new_price["unit_amount"] * quantity * remaining)
            description = f"Remaining time on {quantity} × {new_name} after {_day(moment)}"
            period = (moment, end)
        else:
            charge = new_price["unit_amount"] * quantity
            description = f"{quantity} × {new_name} ({_day(new_start)} – {_day(new_end)})"
            period = (new_start, new_end)
        if charge:
            lines.append(
                self._line(
                    new_price,
                    quantity,
                    period[0],
                    period[1],
                    subscription["id"],
                    item["id"],
                    proration=same_interval,
                    amount=charge,
                    description=description,
                )
            )
        return lines, new_start, new_end

    def _product_name(self, price: dict[str, Any]) -> str:
        product = self.store.get(price["product"]) or {}
        return product.get("name") or price.get("nickname") or price["id"]

    def cancel_subscription(
        self, subscription_id: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        subscription = self._get(subscription_id, "subscription")
        if subscription["status"] == "canceled":
            return subscription
        self._end(subscription, self.now(), reason="cancellation_requested")
        return subscription

    def _end(self, subscription: dict[str, Any], at: int, reason: str) -> None:
        previous = {"status": subscription["status"], "ended_at": None}
        schedule_id = subscription.get("schedule")
        if schedule_id:
            schedule = self._get(schedule_id, "subscription_schedule")
            schedule.update(status="canceled", canceled_at=at)
            self.store.put(schedule)
            self.emit("subscription_schedule.canceled", schedule)
        subscription.update(
            status="canceled",
            ended_at=at,
            canceled_at=subscription["canceled_at"] or at,
            cancel_at_period_end=False,
            schedule=None,
        )
        subscription["cancellation_details"] = {
            **(subscription.get("cancellation_details") or {}),
            "reason": reason,
        }
        self.store.put(subscription)
        self.emit("customer.subscription.deleted", subscription, previous)
        # Stop retrying the unpaid invoices of an ended subscription, as Stripe does.
        for invoice in self.store.all("invoice"):
            if invoice.get("_subscription") == subscription["id"] and invoice["status"] == "open":
                invoice["next_payment_attempt"] = None
                self.store.put(invoice)

    def resume_subscription(self, subscription_id: str) -> dict[str, Any]:
        subscription = self._get(subscription_id, "subscription")
        if subscription["status"] != "paused":
            raise StripeError(400, "Only a paused subscription can be resumed.")
        previous = {"status": "paused"}
        subscription["status"] = "active"
        self.store.put(subscription)
        self.emit("customer.subscription.resumed", subscription, previous)
        return subscription

    # ----------------------------------------------------------------------------- schedules

    def create_schedule(self, params: dict[str, Any]) -> dict[str, Any]:
        subscription = self._get(params.get("from_subscription"), "subscription", "from_subscription")
        if subscription.get("schedule"):
            raise StripeError(
                400,
                "You cannot migrate a subscription that is already attached to a schedule: "
                f"`{subscription['schedule']}`.",
            )
        if subscription["status"] == "canceled":
            raise StripeError(400, "A canceled subscription cannot be attached to a schedule.")
        item = subscription["items"]["data"][0]
        schedule = shape(
            "subscription_schedule",
            id=self.store.new_id("sub_sched"),
            created=self.now(),
            customer=subscription["customer"],
            subscription=subscription["id"],
            status="active",
            end_behavior="release",
            metadata={},
            current_phase={
                "start_date": item["current_period_start"],
                "end_date": item["current_period_end"],
            },
            phases=[
                self._phase(
                    item["price"]["id"],
                    item["quantity"],
                    item["current_period_start"],
                    item["current_period_end"],
                    subscription["currency"],
                )
            ],
        )
        self.store.put(schedule)
        previous = {"schedule": None}
        subscription["schedule"] = schedule["id"]
        self.store.put(subscription)
        self.emit("subscription_schedule.created", schedule)
        self.emit("customer.subscription.updated", subscription, previous)
        return schedule

    def _phase(self, price_id: str, quantity: int, start: int, end: int, currency: str) -> dict[str, Any]:
        template = shape("subscription_schedule")["phases"][0]
        price = self._get(price_id, "price")
        template.update(
            start_date=start,
            end_date=end,
            currency=currency,
            proration_behavior="none",
            items=[
                {
                    "discounts": [],
                    "metadata": {},
                    "price": price_id,
                    "quantity": quantity,
                    "tax_rates": [],
                    "plan": legacy_plan(price),
                    "billing_thresholds": None,
                }
            ],
            transfer_data=None,
            billing_thresholds=None,
        )
        return template

    def update_schedule(self, schedule_id: str, params: dict[str, Any]) -> dict[str, Any]:
        schedule = self._get(schedule_id, "subscription_schedule")
        if schedule["status"] not in ("active", "not_started"):
            raise StripeError(400, f"You cannot update a subscription schedule that is {schedule['status']}.")
        if params.get("end_behavior"):
            schedule["end_behavior"] = params["end_behavior"]
        phases = params.get("phases")
        if phases:
            built = []
            start = int(phases[0].get("start_date") or schedule["current_phase"]["start_date"])
            if start != schedule["current_phase"]["start_date"]:
                raise StripeError(
                    400,
                    "You can not modify the start date of the current phase.",
                    param="phases[0][start_date]",
                )
            for index, phase in enumerate(phases):
                entries = phase.get("items") or []
                if not entries:
                    raise StripeError(
                        400,
                        "Missing required param: phases[{index}][items].",
                        param=f"phases[{index}][items]",
                    )
                price = self._get(entries[0].get("price"), "price", f"phases[{index}][items][0][price]")
                quantity = int(entries[0].get("quantity") or 1)
                if phase.get("end_date"):
                    end = int(phase["end_date"])
                else:
                    iterations = int(phase.get("iterations") or 1)
                    end = add_interval(
                        start,
                        price["recurring"]["interval"],
                        price["recurring"]["interval_count"] * iterations,
                    )
                built.append(
                    self._phase(price["id"], quantity, start, end, schedule["phases"][0]["currency"])
                )
                start = end
            schedule["phases"] = built
        if "metadata" in params:
            schedule["metadata"].update({k: v for k, v in (params["metadata"] or {}).items() if v != ""})
        self.store.put(schedule)
        self.emit("subscription_schedule.updated", schedule)
        return schedule

    def release_schedule(self, schedule_id: str) -> dict[str, Any]:
        schedule = self._get(schedule_id, "subscription_schedule")
        if schedule["status"] not in ("active", "not_started"):
            raise StripeError(
                400,
                "You cannot release a subscription schedule that is currently in the "
                f"`{schedule['status']}` status.",
            )
        subscription = self.store.get(schedule["subscription"] or "", "subscription")
        schedule.update(
            status="released",
            released_at=self.now(),
            released_subscription=schedule["subscription"],
            subscription=None,
        )
        self.store.put(schedule)
        self.emit("subscription_schedule.released", schedule)
        if subscription is not None and subscription.get("schedule") == schedule_id:
            subscription["schedule"] = None
            self.store.put(subscription)
            self.emit("customer.subscription.updated", subscription, {"schedule": schedule_id})
        return schedule

    # ----------------------------------------------------------------------------- invoices

    def _line(
        self,
        price: dict[str, Any],
        quantity: int,
        start: int,
        end: int,
        subscription_id: str,
        item_id: str,
        *,
        proration: bool,
        amount: int | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        value = price["unit_amount"] * quantity if amount is None else amount
        name = self._product_name(price)
        line = shape(
            "line_item",
            id=self.store.new_id("il"),
            amount=value,
            subtotal=value,
            currency=price["currency"],
            description=description or f"{quantity} × {name} ({_day(start)} – {_day(end)})",
            discountable=not proration,
            metadata={},
            period={"start": start, "end": end},
            quantity=quantity,
            subscription=subscription_id,
            taxes=[],
            pretax_credit_amounts=[],
        )
        line["parent"] = {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": proration,
                "proration_details": {"credited_items": None},
                "subscription": subscription_id,
                "subscription_item": item_id,
            },
        }
        line["pricing"] = {
            "type": "price_details",
            "price_details": {"price": price["id"], "product": price["product"]},
            "unit_amount_decimal": str(price["unit_amount"]),
        }
        return line

    def _invoice(
        self,
        customer: dict[str, Any],
        subscription: dict[str, Any] | None,
        lines: list[dict[str, Any]],
        reason: str,
        *,
        preview: bool = False,
        announce: bool = True,
    ) -> dict[str, Any]:
        currency = lines[0]["currency"] if lines else (subscription or {}).get("currency", "usd")
        subtotal = sum(line["amount"] for line in lines)
        automatic = bool(subscription and subscription["automatic_tax"]["enabled"])
        behavior = "exclusive"
        if lines:
            price = self.store.get(lines[0]["pricing"]["price_details"]["price"]) or {}
            behavior = price.get("tax_behavior", "exclusive")
        tax, total, rate = tax_for(subtotal, currency, behavior, automatic)
        tax = tax if subtotal > 0 else 0
        total = total if subtotal > 0 else subtotal
        invoice_id = f"upcoming_{customer['id']}" if preview else self.store.new_id("in")
        for line in lines:
            line["invoice"] = invoice_id
        starts = [line["period"]["start"] for line in lines] or [self.now()]
        ends = [line["period"]["end"] for line in lines] or [self.now()]
        invoice = shape(
            "invoice",
            id=invoice_id,
            created=self.now(),
            effective_at=None if preview else self.now(),
            customer=customer["id"],
            customer_email=customer["email"],
            customer_name=customer["name"],
            currency=currency,
            billing_reason=reason,
            status="draft",
            attempted=False,
            attempt_count=0,
            auto_advance=not preview,
            amount_due=max(total, 0),
            amount_paid=0,
            amount_remaining=max(total, 0),
            subtotal=subtotal,
            subtotal_excluding_tax=subtotal - tax if behavior == "inclusive" else subtotal,
            total=total,
            total_excluding_tax=total - tax,
            starting_balance=0,
            ending_balance=None,
            period_start=min(starts),
            period_end=max(ends),
            lines=listing(lines, f"/v1/invoices/{invoice_id}/lines"),
            number=None,
            hosted_invoice_url=None,
            invoice_pdf=None,
            metadata={},
            automatic_tax={
                "enabled": automatic,
                "liability": {"type": "self"} if automatic else None,
                "status": "complete" if automatic else None,
                "disabled_reason": None,
                "provider": "stripe" if automatic else None,
            },
            total_taxes=(
                [
                    {
                        "amount": tax,
                        "tax_behavior": behavior,
                        "taxability_reason": "standard_rated" if rate else "not_collecting",
                        "taxable_amount": subtotal - tax if behavior == "inclusive" else subtotal,
                        "type": "tax_rate_details",
                        "tax_rate_details": {"tax_rate": f"txr_sandbox_{currency}"},
                    }
                ]
                if automatic
                else []
            ),
            status_transitions={
                "finalized_at": None,
                "marked_uncollectible_at": None,
                "paid_at": None,
                "voided_at": None,
            },
            parent={
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "metadata": dict(subscription["metadata"]) if subscription else {},
                    "subscription": subscription["id"] if subscription else None,
                },
            },
        )
        invoice["_subscription"] = subscription["id"] if subscription else None
        invoice["_tax_rate"] = rate
        if preview:
            return invoice
        if customer["id"] not in self._invoice_seq:  # after a restart, continue the numbering
            self._invoice_seq[customer["id"]] = sum(
                1 for i in self.store.all("invoice") if i["customer"] == customer["id"] and i.get("number")
            )
        count = self._invoice_seq[customer["id"]] + 1
        self._invoice_seq[customer["id"]] = count
        invoice.update(
            status="open",
            number=f"{customer['invoice_prefix']}-{count:04d}",
            hosted_invoice_url=f"{self.config.public_url}/invoices/{invoice_id}",
        )
        invoice["status_transitions"]["finalized_at"] = self.now()
        self.store.put(invoice)
        if announce:
            self.emit("invoice.created", invoice)
            self.emit("invoice.finalized", invoice)
        else:
            invoice["_unannounced"] = True
        if total <= 0:
            self._mark_paid(invoice, announce=announce)
        return invoice

    def _announce_invoice(self, invoice: dict[str, Any]) -> None:
        """Emit the events of an invoice that was made before its subscription change was final."""
        if not invoice.pop("_unannounced", False):
            return
        self.store.put(invoice)
        self.emit("invoice.created", invoice)
        self.emit("invoice.finalized", invoice)
        for event in invoice.pop("_deferred", []):
            kind, obj = event
            self.emit(kind, self.store.get(obj) or {})
        self.store.put(invoice)

    def _defer_or_emit(self, invoice: dict[str, Any], kind: str, obj: dict[str, Any], announce: bool) -> None:
        if announce:
            self.emit(kind, obj)
        else:
            invoice.setdefault("_deferred", []).append((kind, obj["id"]))

    def _mark_paid(self, invoice: dict[str, Any], *, announce: bool = True) -> None:
        invoice.update(
            status="paid", amount_paid=invoice["amount_due"], amount_remaining=0, next_payment_attempt=None
        )
        invoice["status_transitions"]["paid_at"] = self.now()
        self.store.put(invoice)
        self._defer_or_emit(invoice, "invoice.paid", invoice, announce)
        self._defer_or_emit(invoice, "invoice.payment_succeeded", invoice, announce)

    def _attempt(
        self,
        invoice: dict[str, Any],
        customer: dict[str, Any],
        method: str = "card",
        *,
        announce: bool = True,
    ) -> bool:
        """Charge the invoice with the customer's default payment method."""
        if invoice["status"] == "paid":
            return True
        behaviour = customer.get("_card", "ok") if method == "card" else "ok"
        if self.consume_fault("decline_payments"):
            behaviour = "decline"
        invoice["attempted"] = True
        invoice["attempt_count"] += 1
        intent = shape(
            "payment_intent",
            id=self.store.new_id("pi"),
            created=self.now(),
            amount=invoice["amount_due"],
            amount_received=invoice["amount_due"] if behaviour == "ok" else 0,
            currency=invoice["currency"],
            customer=customer["id"],
            description=f"Invoice {invoice['number']}",
            payment_method=customer["invoice_settings"]["default_payment_method"],
            payment_method_types=[method],
            status="succeeded" if behaviour == "ok" else "requires_payment_method",
            metadata={},
        )
        code, message = DECLINES.get(behaviour, (None, None))
        charge = shape(
            "charge",
            id=self.store.new_id("ch"),
            created=self.now(),
            amount=invoice["amount_due"],
            amount_captured=invoice["amount_due"] if behaviour == "ok" else 0,
            amount_refunded=0,
            captured=behaviour == "ok",
            currency=invoice["currency"],
            customer=customer["id"],
            description=f"Invoice {invoice['number']}",
            payment_intent=intent["id"],
            payment_method=intent["payment_method"],
            paid=behaviour == "ok",
            refunded=False,
            status="succeeded" if behaviour == "ok" else "failed",
            failure_code=code,
            failure_message=message,
            metadata={},
            receipt_url=f"{self.config.public_url}/receipts/{invoice['id']}",
            outcome={
                "advice_code": None,
                "network_advice_code": None,
                "network_decline_code": None,
                "network_status": "approved_by_network" if behaviour == "ok" else "declined_by_network",
                "reason": None if behaviour == "ok" else (code or "generic_decline"),
                "risk_level": "normal",
                "seller_message": "Payment complete."
                if behaviour == "ok"
                else "The bank did not return any further details with this decline.",
                "type": "authorized" if behaviour == "ok" else "issuer_declined",
            },
        )
        charge["payment_method_details"] = {**charge["payment_method_details"], "type": method}
        charge["refunds"] = listing([], f"/v1/charges/{charge['id']}/refunds")
        intent["latest_charge"] = charge["id"]
        if code:
            intent["last_payment_error"] = {"type": "card_error", "code": code, "message": message}
        self.store.put(intent)
        self.store.put(charge)
        payment = shape(
            "invoice_payment",
            id=self.store.new_id("inpay"),
            created=self.now(),
            amount_paid=invoice["amount_due"] if behaviour == "ok" else None,
            amount_requested=invoice["amount_due"],
            currency=invoice["currency"],
            invoice=invoice["id"],
            is_default=True,
            payment={"type": "payment_intent", "payment_intent": intent["id"]},
            status="paid" if behaviour == "ok" else "open",
            status_transitions={"canceled_at": None, "paid_at": self.now() if behaviour == "ok" else None},
        )
        self.store.put(payment)
        if behaviour == "ok":
            self._defer_or_emit(invoice, "charge.succeeded", charge, announce)
            self._mark_paid(invoice, announce=announce)
            return True
        retries = invoice.setdefault("_retries", 0)
        invoice["_retries"] = retries + 1
        invoice["next_payment_attempt"] = (
            self.now() + RETRY_DELAYS[retries] if retries < len(RETRY_DELAYS) else None
        )
        self.store.put(invoice)
        self._defer_or_emit(invoice, "charge.failed", charge, announce)
        self._defer_or_emit(invoice, "invoice.payment_failed", invoice, announce)
        return False

    def pay_invoice(self, invoice_id: str) -> dict[str, Any]:
        invoice = self._get(invoice_id, "invoice")
        if invoice["status"] == "paid":
            raise StripeError(400, "Invoice is already paid.", code="invoice_already_paid")
        if invoice["status"] != "open":
            raise StripeError(400, f"You cannot pay an invoice that is {invoice['status']}.")
        customer = self._get(invoice["customer"], "customer")
        subscription = self.store.get(invoice.get("_subscription") or "", "subscription")
        paid = self._attempt(invoice, customer, (subscription or {}).get("_method", "card"))
        recovering = subscription is not None and subscription["status"] in (
            "past_due",
            "unpaid",
            "incomplete",
        )
        if recovering and paid and subscription is not None and not self._unpaid_invoices(subscription["id"]):
            previous = {"status": subscription["status"]}
            subscription["status"] = "active"
            self.store.put(subscription)
            self.emit("customer.subscription.updated", subscription, previous)
        if not paid:
            code, message = DECLINES.get(customer.get("_card", "decline"), DECLINES["decline"])
            raise StripeError(402, message, kind="card_error", code=code)
        return invoice

    def _unpaid_invoices(self, subscription_id: str) -> list[dict[str, Any]]:
        return [
            i
            for i in self.store.all("invoice")
            if i.get("_subscription") == subscription_id and i["status"] == "open"
        ]

    def list_invoices(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        invoices = self.store.all("invoice")
        if params.get("customer"):
            invoices = [i for i in invoices if i["customer"] == params["customer"]]
        if params.get("subscription"):
            invoices = [i for i in invoices if i.get("_subscription") == params["subscription"]]
        if params.get("status"):
            invoices = [i for i in invoices if i["status"] == params["status"]]
        return invoices

    def preview_invoice(self, params: dict[str, Any]) -> dict[str, Any]:
        details = params.get("subscription_details") or {}
        subscription = self._get(params.get("subscription"), "subscription", "subscription")
        customer = self._get(subscription["customer"], "customer")
        item = subscription["items"]["data"][0]
        changes = details.get("items") or []
        behavior = details.get("proration_behavior") or "create_prorations"
        if changes:
            change = changes[0]
            price = self._get(
                change.get("price") or item["price"]["id"], "price", "subscription_details[items][0][price]"
            )
            quantity = int(change.get("quantity") or item["quantity"])
            moment = int(details.get("proration_date") or self.now())
            lines, start, end = self.proration_lines(subscription, price, quantity, moment, behavior)
            if behavior == "always_invoice":
                return self.store.snapshot(
                    self._invoice(customer, subscription, lines, "subscription_update", preview=True)
                )
        else:
            price, quantity = self._get(item["price"]["id"], "price"), item["quantity"]
            lines, end = [], item["current_period_end"]
        next_end = add_interval(end, price["recurring"]["interval"], price["recurring"]["interval_count"])
        renewal = self._line(price, quantity, end, next_end, subscription["id"], item["id"], proration=False)
        pending = subscription.get("_pending_lines", [])
        return self.store.snapshot(
            self._invoice(customer, subscription, [*pending, *lines, renewal], "upcoming", preview=True)
        )

    # ----------------------------------------------------------------------------- time passing

    def renew(self, subscription: dict[str, Any], at: int | None = None) -> None:
        """The period ended: cancel, switch to the scheduled phase, or invoice the next period."""
        item = subscription["items"]["data"][0]
        boundary = item["current_period_end"] if at is None else at
        if subscription["status"] in ("canceled", "incomplete", "incomplete_expired"):
            return
        if subscription["cancel_at_period_end"]:
            self._end(subscription, boundary, reason="cancellation_requested")
            return
        previous: dict[str, Any] = {"items": public(subscription["items"])}
        schedule = self.store.get(subscription.get("schedule") or "", "subscription_schedule")
        if schedule is not None and schedule["status"] == "active":
            # The phase that starts where the old period ends (even when "renew now" cut it short).
            period_end = item["current_period_end"]
            phase = next(
                (p for p in schedule["phases"] if p["start_date"] <= period_end < p["end_date"]), None
            )
            release_after = phase is None or phase is schedule["phases"][-1]
            if phase is not None:
                price = self._get(phase["items"][0]["price"], "price")
                item["price"] = public(price)
                item["plan"] = legacy_plan(price)
                item["quantity"] = phase["items"][0]["quantity"]
                schedule["current_phase"] = {"start_date": phase["start_date"], "end_date": phase["end_date"]}
                self.store.put(schedule)
            if release_after:
                schedule.update(
                    status="released",
                    released_at=boundary,
                    released_subscription=subscription["id"],
                    subscription=None,
                )
                self.store.put(schedule)
                self.emit("subscription_schedule.released", schedule)
                subscription["schedule"] = None
                previous["schedule"] = schedule["id"]
        price = item["price"]
        start = boundary
        end = add_interval(start, price["recurring"]["interval"], price["recurring"]["interval_count"])
        item["current_period_start"], item["current_period_end"] = start, end
        customer = self._get(subscription["customer"], "customer")
        lines = subscription.pop("_pending_lines", [])
        lines.append(
            self._line(price, item["quantity"], start, end, subscription["id"], item["id"], proration=False)
        )
        self.store.put(subscription)
        self.emit("customer.subscription.updated", subscription, previous)
        invoice = self._invoice(customer, subscription, lines, "subscription_cycle")
        paid = self._attempt(invoice, customer, subscription.get("_method", "card"))
        status_before = subscription["status"]
        subscription["latest_invoice"] = invoice["id"]
        subscription["status"] = (
            "active" if paid and not self._unpaid_invoices(subscription["id"]) else "past_due"
        )
        self.store.put(subscription)
        if subscription["status"] != status_before:
            self.emit("customer.subscription.updated", subscription, {"status": status_before})

    def renew_now(self, subscription_id: str) -> dict[str, Any]:
        """Treat the current period as ending now (the control API's "renew" button)."""
        subscription = self._get(subscription_id, "subscription")
        self.renew(subscription, at=self.now())
        return subscription

    def tick(self) -> None:
        """Do what is due: renew ended periods, retry failed payments when their time comes."""
        now = self.now()
        for subscription in self.store.all("subscription"):
            if subscription["status"] in ("active", "past_due", "trialing"):
                for _ in range(120):  # at most ten years of monthly periods per tick
                    if subscription["status"] == "canceled":
                        break
                    if subscription["items"]["data"][0]["current_period_end"] > now:
                        break
                    self.renew(subscription)
        for invoice in self.store.all("invoice"):
            due = invoice.get("next_payment_attempt")
            if invoice["status"] == "open" and due and due <= now:
                with contextlib.suppress(StripeError):
                    self.pay_invoice(invoice["id"])

    # ----------------------------------------------------------------------------- refunds, portal

    def create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        charge = None
        if params.get("charge"):
            charge = self._get(params["charge"], "charge", "charge")
        elif params.get("payment_intent"):
            intent = self._get(params["payment_intent"], "payment_intent", "payment_intent")
            charge = self.store.get(intent.get("latest_charge") or "", "charge")
        if charge is None:
            raise StripeError(
                400,
                "One of the following params should be provided for this request: payment_intent or charge.",
            )
        if charge["status"] != "succeeded":
            raise StripeError(
                400,
                f"Charge {charge['id']} has not been captured or has failed.",
                code="charge_not_refundable",
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        amount = int(params.get("amount") or remaining)
        if amount <= 0 or amount > remaining:
            raise StripeError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                code="amount_too_large",
                param="amount",
            )
        refund = shape(
            "refund",
            id=self.store.new_id("re"),
            created=self.now(),
            amount=amount,
            charge=charge["id"],
            currency=charge["currency"],
            customer=charge["customer"],
            payment_intent=charge["payment_intent"],
            reason=params.get("reason") or None,
            metadata=dict(params.get("metadata") or {}),
            status="succeeded",
        )
        self.store.put(refund)
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        charge["refunds"]["data"].insert(0, public(refund))
        self.store.put(charge)
        self.emit("refund.created", refund)
        self.emit("charge.refunded", charge, previous)
        return refund

    def list_invoice_payments(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        payments = self.store.all("invoice_payment")
        if params.get("invoice"):
            payments = [p for p in payments if p["invoice"] == params["invoice"]]
        wanted = (params.get("payment") or {}).get("payment_intent")
        if wanted:
            payments = [p for p in payments if p["payment"].get("payment_intent") == wanted]
        return payments

    def create_portal_session(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = self._get(params.get("customer"), "customer", "customer")
        session_id = self.store.new_id("bps")
        session = shape(
            "billing_portal.session",
            id=session_id,
            created=self.now(),
            customer=customer["id"],
            configuration="bpc_sandbox_default",
            locale=params.get("locale") or None,
            return_url=params.get("return_url") or None,
            url=f"{self.config.public_url}/portal/{session_id}",
        )
        return self.store.put(session)

    # ----------------------------------------------------------------------------- test clocks

    def create_test_clock(self, params: dict[str, Any]) -> dict[str, Any]:
        frozen = int(params.get("frozen_time") or self.now())
        clock = shape(
            "test_helpers.test_clock",
            id=self.store.new_id("clock"),
            created=self.now(),
            frozen_time=frozen,
            deletes_after=frozen + 30 * 86400,
            name=params.get("name") or None,
            status="ready",
            status_details={},
        )
        if frozen > self.now():
            self.store.advance(frozen - self.now())
        return self.store.put(clock)

    def advance_test_clock(self, clock_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """One clock for the whole sandbox: advancing any test clock moves sandbox time."""
        clock = self._get(clock_id, "test_helpers.test_clock")
        target = int(params.get("frozen_time") or 0)
        if target < clock["frozen_time"]:
            raise StripeError(400, "The test clock cannot go back in time.", param="frozen_time")
        if target > self.now():
            self.store.advance(target - self.now())
        clock["frozen_time"] = target
        self.store.put(clock)
        self.tick()
        self.emit("test_helpers.test_clock.ready", clock)
        return clock

    # ----------------------------------------------------------------------------- faults

    def consume_fault(self, name: str) -> bool:
        if self.faults.get(name, 0) <= 0:
            return False
        self.faults[name] -= 1
        return True


def _country(currency: str) -> str:
    from stripe_sandbox.money import TAX_BY_CURRENCY

    return TAX_BY_CURRENCY.get(currency, ("US", 0.0))[0]
