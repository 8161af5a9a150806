"""The ASGI app: Stripe's form-encoded ``/v1`` API, the hosted pages and the ``/_sandbox`` controls.

A plain ASGI router, so it can be served on its own (``python -m stripe_sandbox``) or mounted under
a path prefix inside another app (Cadenza's embedded default). It needs no lifespan: background
work (webhook delivery, renewals) starts on the first request.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlparse

from stripe_sandbox import pages
from stripe_sandbox.config import SandboxConfig
from stripe_sandbox.engine import Engine, StripeError
from stripe_sandbox.forms import decode
from stripe_sandbox.objects import error_body, listing
from stripe_sandbox.store import IdempotencyRecord, Store, public
from stripe_sandbox.webhooks import Deliverer

log = logging.getLogger("stripe_sandbox")

Handler = Callable[..., Any]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, Any]
    body: bytes
    headers: dict[str, str]
    root_path: str

    def params(self) -> dict[str, Any]:
        if self.method == "GET" or (self.method == "DELETE" and not self.body):
            return self.query
        content_type = self.headers.get("content-type", "")
        if "json" in content_type:
            data = json.loads(self.body or b"{}")
            return data if isinstance(data, dict) else {}
        return decode(self.body.decode("utf-8"))


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def json_response(status: int, data: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status, json.dumps(data).encode(), "application/json", headers)


def html_response(body: str, status: int = 200) -> Response:
    return Response(status, body.encode(), "text/html; charset=utf-8")


def redirect(location: str) -> Response:
    return Response(303, b"", "text/plain", (("location", location),))


class Sandbox:
    """The whole sandbox: engine, store, webhook delivery and the routes."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        # Where the sandbox lives under its host (mounted at /stripe-sandbox, or at the root).
        self.base_path = urlparse(config.public_url).path.rstrip("/")
        self.store = Store(config.database)
        self.engine = Engine(self.store, config)
        self.deliverer = Deliverer(self.store, config)
        self._ticker: asyncio.Task[None] | None = None
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        self._build_routes()

    # ----------------------------------------------------------------------------- routing

    def route(self, method: str, pattern: str, handler: Handler, *, api: bool = False) -> None:
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$"
        self._routes.append((method, re.compile(regex), handler, api))

    def _build_routes(self) -> None:
        e = self.engine
        api = [
            ("POST", "/v1/customers", lambda r: e.create_customer(r.params())),
            ("GET", "/v1/customers", lambda r: self._list(r, self._customers(r.params()))),
            ("GET", "/v1/customers/{id}", lambda r, id: e._get(id, "customer")),
            ("POST", "/v1/customers/{id}", lambda r, id: e.update_customer(id, r.params())),
            ("POST", "/v1/products", lambda r: e.create_product(r.params())),
            ("GET", "/v1/products", lambda r: self._list(r, self.store.all("product"))),
            ("GET", "/v1/products/{id}", lambda r, id: e._get(id, "product")),
            ("POST", "/v1/prices", lambda r: e.create_price(r.params())),
            ("GET", "/v1/prices", lambda r: self._list(r, e.list_prices(r.params()))),
            ("GET", "/v1/prices/{id}", lambda r, id: e._get(id, "price")),
            ("POST", "/v1/checkout/sessions", lambda r: e.create_checkout_session(r.params())),
            ("GET", "/v1/checkout/sessions", lambda r: self._list(r, self._sessions(r.params()))),
            ("GET", "/v1/checkout/sessions/{id}", lambda r, id: e._get(id, "checkout.session")),
            ("POST", "/v1/checkout/sessions/{id}/expire", lambda r, id: e.expire_checkout_session(id)),
            (
                "GET",
                "/v1/checkout/sessions/{id}/line_items",
                lambda r, id: self._list(r, self._session_items(id)),
            ),
            ("POST", "/v1/subscriptions", lambda r: e.create_subscription(r.params())),
            ("GET", "/v1/subscriptions", lambda r: self._list(r, e.list_subscriptions(r.params()))),
            ("GET", "/v1/subscriptions/{id}", lambda r, id: e._get(id, "subscription")),
            ("POST", "/v1/subscriptions/{id}", lambda r, id: e.update_subscription(id, r.params())),
            ("DELETE", "/v1/subscriptions/{id}", lambda r, id: e.cancel_subscription(id, r.params())),
            ("POST", "/v1/subscriptions/{id}/resume", lambda r, id: e.resume_subscription(id)),
            ("POST", "/v1/subscription_schedules", lambda r: e.create_schedule(r.params())),
            ("GET", "/v1/subscription_schedules/{id}", lambda r, id: e._get(id, "subscription_schedule")),
            ("POST", "/v1/subscription_schedules/{id}", lambda r, id: e.update_schedule(id, r.params())),
            ("POST", "/v1/subscription_schedules/{id}/release", lambda r, id: e.release_schedule(id)),
            ("GET", "/v1/invoices", lambda r: self._list(r, e.list_invoices(r.params()))),
            ("POST", "/v1/invoices/create_preview", lambda r: e.preview_invoice(r.params())),
            ("GET", "/v1/invoices/{id}", lambda r, id: self._invoice(r, id)),
            ("POST", "/v1/invoices/{id}/pay", lambda r, id: e.pay_invoice(id)),
            ("GET", "/v1/invoice_payments", lambda r: self._list(r, e.list_invoice_payments(r.params()))),
            ("POST", "/v1/refunds", lambda r: e.create_refund(r.params())),
            ("GET", "/v1/refunds/{id}", lambda r, id: e._get(id, "refund")),
            ("GET", "/v1/charges/{id}", lambda r, id: e._get(id, "charge")),
            ("GET", "/v1/payment_intents/{id}", lambda r, id: e._get(id, "payment_intent")),
            ("GET", "/v1/payment_methods/{id}", lambda r, id: e._get(id, "payment_method")),
            (
                "POST",
                "/v1/payment_methods/{id}/attach",
                lambda r, id: e.attach_payment_method(id, r.params()),
            ),
            ("POST", "/v1/billing_portal/sessions", lambda r: e.create_portal_session(r.params())),
            ("GET", "/v1/events", lambda r: self._list(r, self._events(r.params()))),
            ("GET", "/v1/events/{id}", lambda r, id: e._get(id, "event")),
            ("POST", "/v1/test_helpers/test_clocks", lambda r: e.create_test_clock(r.params())),
            ("GET", "/v1/test_helpers/test_clocks/{id}", lambda r, id: e._get(id, "test_helpers.test_clock")),
            (
                "POST",
                "/v1/test_helpers/test_clocks/{id}/advance",
                lambda r, id: e.advance_test_clock(id, r.params()),
            ),
        ]
        for method, pattern, handler in api:
            self.route(method, pattern, handler, api=True)
        self.route("GET", "/checkout/{id}", self.checkout_page)
        self.route("POST", "/checkout/{id}", self.checkout_submit)
        self.route("GET", "/portal/{id}", self.portal_page)
        self.route("POST", "/portal/{id}/{action}", self.portal_action)
        self.route("GET", "/invoices/{id}", self.invoice_page)
        self.route("GET", "/receipts/{id}", self.invoice_page)
        self.route("GET", "/_sandbox", self.dashboard)
        self.route("GET", "/_sandbox/", self.dashboard)
        self.route("POST", "/_sandbox/reset", self.reset)
        self.route("GET", "/_sandbox/webhooks", self.webhook_settings)
        self.route("POST", "/_sandbox/webhooks", self.webhook_settings)
        self.route("GET", "/_sandbox/events", self.event_log)
        self.route("POST", "/_sandbox/events/deliver", self.deliver)
        self.route("POST", "/_sandbox/events/flush", self.flush)
        self.route("POST", "/_sandbox/advance", self.advance)
        self.route("POST", "/_sandbox/subscriptions/{id}/renew", self.renew)
        self.route("POST", "/_sandbox/customers/{id}/card", self.card)
        self.route("POST", "/_sandbox/faults", self.set_faults)
        self.route("POST", "/_sandbox/idle", self.idle)

    # ----------------------------------------------------------------------------- ASGI

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        root_path = scope.get("root_path", "")
        path = scope["path"]
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :] or "/"
        request = Request(
            method=scope["method"],
            path=path,
            query=decode(scope.get("query_string", b"").decode("latin-1")),
            body=body,
            headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])},
            root_path=root_path,
        )
        self._start_background()
        response = await self.dispatch(request)
        headers = [(b"content-type", response.content_type.encode()), (b"cache-control", b"no-store")]
        headers += [(k.encode(), v.encode()) for k, v in response.headers]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _start_background(self) -> None:
        if self.config.auto_renew and (self._ticker is None or self._ticker.done()):
            self._ticker = asyncio.get_running_loop().create_task(self._tick_forever())

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(5)
            try:
                with self.engine.request() as batch:
                    self.engine.tick()
                self.deliverer.submit(batch)
            except Exception:  # a bad object must not stop time
                log.exception("sandbox tick failed")

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(BaseException):
                await self._ticker
        await self.deliverer.close()

    async def dispatch(self, request: Request) -> Response:
        allowed = False
        for method, regex, handler, is_api in self._routes:
            match = regex.match(request.path)
            if match is None:
                continue
            if method != request.method:
                allowed = True
                continue
            if is_api:
                return self._api(request, handler, match.groupdict())
            try:
                result = handler(request, **match.groupdict())
                if asyncio.iscoroutine(result):
                    result = await result
                return result
            except StripeError as exc:
                return json_response(
                    exc.status, error_body(exc.message, kind=exc.kind, code=exc.code, param=exc.param)
                )
        if allowed:
            return json_response(405, error_body("Method not allowed."))
        return json_response(404, error_body(f"Unrecognized request URL ({request.method}: {request.path})."))

    # ----------------------------------------------------------------------------- the API

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.startswith(("sk_test_", "rk_test_")):
            return False
        return not self.config.api_keys or key in self.config.api_keys

    def _api(self, request: Request, handler: Handler, args: dict[str, str]) -> Response:
        if not self._authorized(request):
            return json_response(
                401,
                error_body(
                    "Invalid API Key provided. The sandbox accepts test-mode secret keys (sk_test_…)."
                ),
            )
        key = request.headers.get("idempotency-key")
        mutating = request.method in ("POST", "DELETE")
        scoped = f"{request.headers.get('authorization', '')}:{key}" if key and mutating else None
        params = request.params()
        fingerprint = hashlib.sha256(
            f"{request.method} {request.path} {json.dumps(params, sort_keys=True)}".encode()
        ).hexdigest()
        if scoped is not None:
            seen = self.store.idempotency.get(scoped)
            if seen is not None:
                if seen.status == 0:
                    return json_response(
                        409,
                        error_body(
                            "There is currently another in-progress request using this Idempotent Key "
                            "(that probably means you submitted twice, and the other request is still "
                            "going through).",
                            kind="idempotency_error",
                        ),
                    )
                if seen.fingerprint != fingerprint:
                    return json_response(
                        400,
                        error_body(
                            "Keys for idempotent requests can only be used with the same parameters they "
                            f"were first used with. Try using a key other than '{key}' if you meant to "
                            "execute a different request.",
                            kind="idempotency_error",
                        ),
                    )
                return Response(
                    seen.status,
                    seen.body.encode(),
                    "application/json",
                    (("idempotent-replayed", "true"), ("idempotency-key", key or "")),
                )
            self.store.remember(scoped, IdempotencyRecord(fingerprint, 0, ""))
        expand = (
            [str(x) for x in (params.get("expand") or [])] if isinstance(params.get("expand"), list) else []
        )
        with self.engine.request(key) as batch:
            try:
                result = handler(request, **args)
                if isinstance(result, dict) and result.get("object") != "list":
                    result = self.engine.expand(result, expand)
                status, body = 200, result
            except StripeError as exc:
                status = exc.status
                body = error_body(exc.message, kind=exc.kind, code=exc.code, param=exc.param)
        self.deliverer.submit(batch)
        text = json.dumps(public(body))
        if scoped is not None:
            if status in (400, 404) and body.get("error", {}).get("type") == "invalid_request_error":
                self.store.forget(scoped)  # Stripe saves no result for requests that failed validation
            else:
                self.store.remember(scoped, IdempotencyRecord(fingerprint, status, text))
        headers: tuple[tuple[str, str], ...] = (
            ("request-id", self.engine._request.get("id") or "req_sandbox"),
        )
        if key:
            headers += (("idempotency-key", key),)
        if mutating and self.engine.consume_fault("drop_responses"):
            # The request was carried out, but its answer is "lost on the way" (a proxy's 502).
            return json_response(
                502, error_body("Bad gateway (sandbox: response dropped).", kind="api_error")
            )
        return Response(status, text.encode(), "application/json", headers)

    def _list(self, request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
        params = request.params()
        limit = min(100, max(1, int(params.get("limit") or 10)))
        after = params.get("starting_after")
        if after:
            ids = [i["id"] for i in items]
            items = items[ids.index(after) + 1 :] if after in ids else []
        expand = (
            [str(x) for x in (params.get("expand") or [])] if isinstance(params.get("expand"), list) else []
        )
        # ``expand[]=data.schedule`` expands inside each listed object.
        inner = [p.removeprefix("data.") for p in expand if p.startswith("data.")]
        page = [self.engine.expand(i, inner) for i in items[:limit]]
        return listing(page, request.path, has_more=len(items) > limit)

    def _customers(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        customers = self.store.all("customer")
        if params.get("email"):
            customers = [c for c in customers if c.get("email") == params["email"]]
        return customers

    def _sessions(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        sessions = self.store.all("checkout.session")
        if params.get("customer"):
            sessions = [s for s in sessions if s.get("customer") == params["customer"]]
        if params.get("subscription"):
            sessions = [s for s in sessions if s.get("subscription") == params["subscription"]]
        if params.get("status"):
            sessions = [s for s in sessions if s.get("status") == params["status"]]
        return sessions

    def _session_items(self, session_id: str) -> list[dict[str, Any]]:
        session = self.engine._get(session_id, "checkout.session")
        out = []
        for index, entry in enumerate(self.engine.session_line_items(session)):
            price = entry["price"]
            out.append(
                {
                    "id": f"li_{session_id[-12:]}{index}",
                    "object": "item",
                    "amount_subtotal": price["unit_amount"] * entry["quantity"],
                    "amount_total": price["unit_amount"] * entry["quantity"],
                    "currency": price["currency"],
                    "description": entry["product"].get("name"),
                    "price": price,
                    "quantity": entry["quantity"],
                }
            )
        return out

    def _invoice(self, request: Request, invoice_id: str) -> dict[str, Any]:
        """Stripe includes ``payments`` only when asked to expand it."""
        invoice = public(self.engine._get(invoice_id, "invoice"))
        expand = request.params().get("expand") or []
        if "payments" in expand:
            payments = self.engine.list_invoice_payments({"invoice": invoice_id})
            invoice["payments"] = listing(public(payments), f"/v1/invoice_payments?invoice={invoice_id}")
        return invoice

    def _events(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        events = self.store.all("event")
        if params.get("type"):
            events = [e for e in events if e["type"] == params["type"]]
        return events

    # ----------------------------------------------------------------------------- hosted pages

    def _names(self) -> dict[str, str]:
        return {p["id"]: p["name"] for p in self.store.all("product")}

    def checkout_page(self, request: Request, id: str, error: str = "") -> Response:
        session = self.store.get(id, "checkout.session")
        if session is None:
            return html_response(pages.layout("Checkout", "<p>Not found</p>"), 404)
        items = self.engine.session_line_items(session)
        customer = self.store.get(session.get("customer") or "", "customer")
        return html_response(
            pages.checkout_page(session, items, customer, self.config.account_name, error),
            402 if error else 200,
        )

    def checkout_submit(self, request: Request, id: str) -> Response:
        form = request.params()
        session = self.store.get(id, "checkout.session")
        if session is None:
            return html_response(pages.layout("Checkout", "<p>Not found</p>"), 404)
        if session["status"] != "open":
            return self.checkout_page(request, id)  # paid or expired: says so, changes nothing
        method = str(form.get("payment_method") or session["payment_method_types"][0])
        outcome = str(form.get("outcome") or "pay")
        with self.engine.request() as batch:
            try:
                self.engine.complete_checkout(id, method, outcome)
            except StripeError as exc:
                error = (
                    pages.text(pages.locale_of(session.get("locale")), "declined")
                    if exc.status == 402
                    else exc.message
                )
                self.deliverer.submit(batch)
                return self.checkout_page(request, id, error)
        self.deliverer.submit(batch)
        return redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", quote(id)))

    def portal_page(self, request: Request, id: str) -> Response:
        session = self.store.get(id, "billing_portal.session")
        if session is None:
            return html_response(pages.layout("Portal", "<p>Not found</p>"), 404)
        customer = self.engine._get(session["customer"], "customer")
        subs = [s for s in self.engine.list_subscriptions({"customer": customer["id"]})]
        invoices = self.engine.list_invoices({"customer": customer["id"]})[:20]
        return html_response(
            pages.portal_page(session, customer, subs, invoices, self._names(), self.config.account_name)
        )

    def portal_action(self, request: Request, id: str, action: str) -> Response:
        session = self.store.get(id, "billing_portal.session")
        if session is None:
            return html_response(pages.layout("Portal", "<p>Not found</p>"), 404)
        form = request.params()
        customer = self.engine._get(session["customer"], "customer")
        with self.engine.request() as batch:
            if action == "card":
                self.engine.set_card(customer, "ok")
                for invoice in self.engine.list_invoices({"customer": customer["id"], "status": "open"}):
                    with contextlib.suppress(StripeError):
                        self.engine.pay_invoice(invoice["id"])
            elif action in ("cancel", "resume"):
                subscription = self.engine._get(form.get("subscription"), "subscription")
                if subscription["customer"] != customer["id"]:
                    return html_response(pages.layout("Portal", "<p>Not found</p>"), 404)
                if subscription.get("schedule"):
                    self.engine.release_schedule(subscription["schedule"])
                self.engine.update_subscription(
                    subscription["id"], {"cancel_at_period_end": "true" if action == "cancel" else "false"}
                )
        self.deliverer.submit(batch)
        return redirect(f"{self.base_path}/portal/{id}")

    def invoice_page(self, request: Request, id: str) -> Response:
        invoice = self.store.get(id, "invoice")
        if invoice is None:
            return html_response(pages.layout("Invoice", "<p>Not found</p>"), 404)
        return html_response(pages.invoice_page(invoice, self.config.account_name))

    # ----------------------------------------------------------------------------- controls

    def dashboard(self, request: Request) -> Response:
        return html_response(
            pages.dashboard_page(
                self.store.all("subscription"),
                self.store.all("event"),
                self.deliverer.log.attempts,
                self.config.delivery,
                self.config.webhook_url,
                self.store.now(),
            )
        )

    def _back(self, request: Request, data: Any) -> Response:
        """JSON for programs; forms from the dashboard go back to it."""
        if "json" in request.headers.get("content-type", "") or "json" in request.headers.get("accept", ""):
            return json_response(200, data)
        return redirect(f"{self.base_path}/_sandbox")

    async def reset(self, request: Request) -> Response:
        await self.deliverer.idle(2)
        self.store.reset()
        self.deliverer.held.clear()
        self.deliverer.log.attempts.clear()
        self.engine.faults.clear()
        return json_response(200, {"reset": True})

    def webhook_settings(self, request: Request) -> Response:
        delivery = self.config.delivery
        if request.method == "POST":
            params = request.params()
            if "mode" in params:
                delivery.mode = "hold" if params["mode"] == "hold" else "auto"
            for name in ("duplicates", "max_delay_ms", "max_attempts"):
                if name in params:
                    setattr(delivery, name, int(params[name]))
            if "reorder" in params:
                delivery.reorder = str(params["reorder"]).lower() in ("true", "1")
            if params.get("url"):
                self.config.webhook_url = str(params["url"])
        return json_response(
            200,
            {
                "url": self.config.webhook_url,
                "mode": delivery.mode,
                "duplicates": delivery.duplicates,
                "max_delay_ms": delivery.max_delay_ms,
                "reorder": delivery.reorder,
                "max_attempts": delivery.max_attempts,
                "held": list(self.deliverer.held),
            },
        )

    def event_log(self, request: Request) -> Response:
        params = request.params()
        events = list(reversed(self.store.all("event")))  # oldest first: the order they happened
        if params.get("type"):
            events = [e for e in events if e["type"] == params["type"]]
        if params.get("held"):
            held = set(self.deliverer.held)
            events = [e for e in events if e["id"] in held]
        return json_response(
            200,
            {
                "data": [
                    {
                        "id": e["id"],
                        "type": e["type"],
                        "created": e["created"],
                        "object": e["data"]["object"].get("id"),
                        "deliveries": [a.status for a in self.deliverer.log.attempts.get(e["id"], [])],
                    }
                    for e in events
                ]
            },
        )

    async def deliver(self, request: Request) -> Response:
        params = request.params()
        ids = [str(i) for i in (params.get("ids") or [])]
        statuses = await self.deliverer.deliver(
            ids, url=params.get("url") or None, concurrent=bool(params.get("concurrent"))
        )
        return json_response(200, {"statuses": statuses})

    async def flush(self, request: Request) -> Response:
        ids = list(self.deliverer.held)
        statuses = await self.deliverer.deliver(ids)
        return json_response(200, {"ids": ids, "statuses": statuses})

    def advance(self, request: Request) -> Response:
        seconds = int(request.params().get("seconds") or 0)
        self.store.advance(seconds)
        with self.engine.request() as batch:
            self.engine.tick()
        self.deliverer.submit(batch)
        return self._back(request, {"now": self.store.now()})

    def renew(self, request: Request, id: str) -> Response:
        with self.engine.request() as batch:
            subscription = self.engine.renew_now(id)
        self.deliverer.submit(batch)
        return self._back(request, public(subscription))

    def card(self, request: Request, id: str) -> Response:
        behaviour = str(request.params().get("behaviour") or "ok")
        if behaviour not in ("ok", "decline", "expired"):
            raise StripeError(400, "behaviour must be ok, decline or expired")
        with self.engine.request() as batch:
            customer = self.engine.set_card(self.engine._get(id, "customer"), behaviour)
        self.deliverer.submit(batch)
        return self._back(request, public(customer))

    def set_faults(self, request: Request) -> Response:
        for name, count in request.params().items():
            self.engine.faults[str(name)] = int(count)
        return json_response(200, dict(self.engine.faults))

    async def idle(self, request: Request) -> Response:
        await self.deliverer.idle(float(request.params().get("timeout") or 10))
        return json_response(200, {"idle": True})


def create_app(config: SandboxConfig | None = None) -> Sandbox:
    return Sandbox(config or SandboxConfig())
