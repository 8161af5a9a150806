"""Billing pages: pricing, checkout and its confirmation, the billing account, plan changes,
cancellation, usage, the payment-failed banner — and Stripe's webhook endpoint.

Every page runs named operations from ``graphql/operations/billing/``. Leaving for Stripe (Checkout,
the portal) goes through a small page of our own that forwards the browser, because a form post may
only redirect within the site (``form-action 'self'``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from litestar import MediaType, Request, Response, get, post
from litestar.response import Redirect

from backend.billing import services as billing
from backend.core.errors import DomainError
from backend.core.i18n import format_date, t
from web import sessions
from web.forms import form_data, payload, redirect
from web.operations import query, run_operation
from web.render import is_htmx, page_context, render

INTERVALS = {"month": "MONTH", "year": "YEAR"}


def _login(request: Request[Any, Any, Any]) -> Redirect:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"{request.app.route_reverse('login')}?next={quote(target)}")


def _org(value: str | None) -> str | None:
    return value or None


def _billing_url(request: Request[Any, Any, Any], org: str | None) -> str:
    base = request.app.route_reverse("billing")
    return f"{base}?{urlencode({'org': org})}" if org else base


async def _flash_errors(request: Request[Any, Any, Any], errors: list[dict[str, Any]]) -> None:
    for error in errors:
        await sessions.flash(request, "error", "billing.flash.error", message=error["message"])


async def _leave_for(request: Request[Any, Any, Any], url: str, reason: str) -> Response[Any]:
    """Send the browser to Stripe: htmx follows ``HX-Redirect``; a plain form gets a forwarding page."""
    if is_htmx(request):
        return Response("", status_code=200, headers={"HX-Redirect": url})
    return await render(request, "billing/redirect.html", url=url, reason=reason)


def _date(page: Any, value: Any) -> str:
    from datetime import datetime

    moment = datetime.fromisoformat(str(value)) if value and not isinstance(value, datetime) else value
    return format_date(moment, page.locale, page.time_zone, fmt="long") if moment else ""


# ----------------------------------------------------------------------------- pricing


@get("/pricing", name="pricing")
async def pricing_page(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    params = request.query_params
    interval = params.get("interval") if params.get("interval") in INTERVALS else "month"
    currency = (params.get("currency") or "").upper() or None
    data = await query(request, "PricingPage", {"currency": currency, "interval": INTERVALS[interval]})
    mine = await query(request, "PricingViewer") if page.actor is not None else None
    subscription = (mine or {}).get("billing", {}).get("subscription") if mine else None
    live = subscription if subscription and subscription["status"] != "canceled" else None
    managed = [
        m["organization"]
        for m in ((mine or {}).get("viewer") or {}).get("organizations", {}).get("nodes", [])
        if m["role"] in ("OWNER", "ADMIN")
    ]
    return await render(
        request,
        "billing/pricing.html",
        pricing=data["pricing"],
        interval=interval,
        current=live,
        locked_currency=(mine or {}).get("billing", {}).get("currency") if mine else None,
        organizations=managed,
        highlight=params.get("highlight") or "",
        canceled=bool(params.get("canceled")),
        block="plans",
    )


@post("/billing/checkout", name="billing_checkout")
async def checkout(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return _login(request)
    form = await form_data(request)
    interval = form.get("interval") if form.get("interval") in INTERVALS else "month"
    seats = form.get("seats", "1")
    variables = {
        "input": {
            "plan": form.get("plan", ""),
            "interval": INTERVALS[interval],
            "currency": form.get("currency") or None,
            "seats": int(seats) if seats.isdigit() else 0,
            "organizationId": _org(form.get("organization")),
        }
    }
    data = payload(await run_operation(request, "StartCheckout", variables), "startCheckout")
    if data["errors"]:
        await _flash_errors(request, data["errors"])
        back = (
            request.app.route_reverse("pricing")
            + "?"
            + urlencode({"interval": interval, "currency": form.get("currency", "")})
        )
        return redirect(back)
    return await _leave_for(request, data["url"], "checkout")


@get("/billing/return", name="billing_return")
async def checkout_return(request: Request[Any, Any, Any]) -> Response[Any]:
    """Stripe sends the customer back here: apply the session now, so the page shows the new plan."""
    page = await page_context(request)
    if page.actor is None:
        return _login(request)
    session_id = request.query_params.get("session_id", "")
    data = payload(
        await run_operation(request, "ConfirmCheckout", {"sessionId": session_id}), "confirmCheckout"
    )
    errors = [e["message"] for e in data["errors"]]
    return await render(
        request,
        "billing/confirmed.html",
        status=400 if errors else 200,
        subscription=data["subscription"],
        errors=errors,
    )


# ----------------------------------------------------------------------------- the billing account


@get("/billing", name="billing")
async def billing_page(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return _login(request)
    org = _org(request.query_params.get("org"))
    data = await query(
        request, "BillingPage", {"organizationId": org, "after": request.query_params.get("after")}
    )
    managed = [
        m["organization"] for m in data["viewer"]["organizations"]["nodes"] if m["role"] in ("OWNER", "ADMIN")
    ]
    return await render(
        request,
        "billing/account.html",
        account=data["billing"],
        entitlements=data["entitlements"],
        plans=data["plans"],
        organizations=managed,
        org=org,
    )


@get("/billing/change", name="billing_change")
async def change_preview(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return _login(request)
    params = request.query_params
    org = _org(params.get("org"))
    interval = params.get("interval") if params.get("interval") in INTERVALS else "month"
    seats = params.get("seats", "")
    change = {
        "plan": params.get("plan", ""),
        "interval": INTERVALS[interval],
        "seats": int(seats) if seats.isdigit() else None,
        "organizationId": org,
    }
    result = await run_operation(request, "PlanChangePreview", {"input": change, "organizationId": org})
    if result.errors and not result.codes() & {"UNAUTHENTICATED", "NOT_FOUND", "FORBIDDEN"}:
        for error in result.errors:
            await sessions.flash(request, "error", "billing.flash.error", message=error.message)
        return redirect(_billing_url(request, org))
    result.raise_for_errors()
    assert result.data is not None
    return await render(
        request,
        "billing/change.html",
        preview=result.data["planChangePreview"],
        account=result.data["billing"],
        change={**change, "interval": interval, "seats": seats},
        org=org,
    )


@post("/billing/change", name="billing_change_post")
async def change_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return _login(request)
    form = await form_data(request)
    org = _org(form.get("organization"))
    interval = form.get("interval") if form.get("interval") in INTERVALS else "month"
    seats = form.get("seats", "")
    proration = form.get("proration_date", "")
    variables = {
        "input": {
            "plan": form.get("plan", ""),
            "interval": INTERVALS[interval],
            "seats": int(seats) if seats.isdigit() else None,
            "organizationId": org,
        },
        "prorationDate": int(proration) if proration.isdigit() else None,
    }
    data = payload(await run_operation(request, "ChangePlan", variables), "changePlan")
    if data["errors"]:
        await _flash_errors(request, data["errors"])
    else:
        sub = data["subscription"]
        if sub["pendingPlan"]:
            await sessions.flash(
                request,
                "success",
                "billing.flash.downgrade_scheduled",
                plan=sub["pendingPlan"]["name"],
                date=_date(page, sub["pendingAt"]),
            )
        else:
            await sessions.flash(request, "success", "billing.flash.changed", plan=sub["plan"]["name"])
    return redirect(_billing_url(request, org))


@get("/billing/cancel", name="billing_cancel")
async def cancel_page(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return _login(request)
    org = _org(request.query_params.get("org"))
    data = await query(request, "CancelPage", {"organizationId": org})
    if not data["billing"]["subscription"] or data["billing"]["subscription"]["status"] == "canceled":
        return redirect(_billing_url(request, org))
    return await render(request, "billing/cancel.html", account=data["billing"], free=data["plan"], org=org)


@post("/billing/cancel", name="billing_cancel_post")
async def cancel_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return _login(request)
    org = _org((await form_data(request)).get("organization"))
    data = payload(
        await run_operation(request, "CancelSubscription", {"organizationId": org}), "cancelSubscription"
    )
    if data["errors"]:
        await _flash_errors(request, data["errors"])
    else:
        await sessions.flash(
            request,
            "success",
            "billing.flash.cancelled",
            date=_date(page, data["subscription"]["currentPeriodEnd"]),
        )
    return redirect(_billing_url(request, org))


@post("/billing/resume", name="billing_resume")
async def resume_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return _login(request)
    org = _org((await form_data(request)).get("organization"))
    data = payload(
        await run_operation(request, "ResumeSubscription", {"organizationId": org}), "resumeSubscription"
    )
    if data["errors"]:
        await _flash_errors(request, data["errors"])
    else:
        await sessions.flash(
            request, "success", "billing.flash.resumed", date=_date(page, data["subscription"]["renewsAt"])
        )
    return redirect(_billing_url(request, org))


@post("/billing/keep", name="billing_keep")
async def keep_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return _login(request)
    org = _org((await form_data(request)).get("organization"))
    data = payload(
        await run_operation(request, "KeepCurrentPlan", {"organizationId": org}), "keepCurrentPlan"
    )
    if data["errors"]:
        await _flash_errors(request, data["errors"])
    else:
        await sessions.flash(
            request, "success", "billing.flash.kept", plan=data["subscription"]["plan"]["name"]
        )
    return redirect(_billing_url(request, org))


@post("/billing/portal", name="billing_portal")
async def portal(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return _login(request)
    org = _org((await form_data(request)).get("organization"))
    back = _billing_url(request, org)
    data = payload(
        await run_operation(request, "OpenBillingPortal", {"organizationId": org, "returnPath": back}),
        "openBillingPortal",
    )
    if data["errors"]:
        await _flash_errors(request, data["errors"])
        return redirect(back)
    return await _leave_for(request, data["url"], "portal")


# ----------------------------------------------------------------------------- usage and banner


@get("/billing/usage", name="billing_usage")
async def usage_page(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return _login(request)
    data = await query(request, "UsagePage")
    rank = data["entitlements"]["plan"]["rank"]
    above = [p for p in data["plans"] if p["rank"] > rank]
    return await render(
        request,
        "billing/usage.html",
        meters=data["usage"],
        entitlements=data["entitlements"],
        next_plan=min(above, key=lambda p: p["rank"]) if above else None,
    )


@get("/billing/banner", name="billing_banner")
async def banner(request: Request[Any, Any, Any]) -> Response[Any]:
    """The payment-failed banner, loaded by every page's header (empty when all is well)."""
    page = await page_context(request)
    if page.actor is None:
        return Response("", status_code=204)
    data = await query(request, "BillingBanner")
    if not data["billingBanner"]:
        return Response("", status_code=204)
    return await render(request, "billing/_banner.html", banner=data["billingBanner"])


# ----------------------------------------------------------------------------- Stripe's webhooks


@post("/webhooks/stripe", name="stripe_webhook", status_code=200, request_max_body_size=512 * 1024)
async def stripe_webhook(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Verify on the raw body, store once, acknowledge; the money worker does the rest."""
    body = await request.body()
    try:
        received = await billing.receive_webhook(body, request.headers.get("stripe-signature"))
    except DomainError as exc:
        return Response(
            {"error": {"code": exc.code, "message": t(exc.key, "en")}},
            status_code=400,
            media_type=MediaType.JSON,
        )
    # Stored and committed (its job is enqueued right after, with those stored alongside it).
    return Response({"received": True, "duplicate": received.duplicate}, media_type=MediaType.JSON)


# ----------------------------------------------------------------------------- the embedded sandbox


def _sandbox_mount() -> list[Any]:
    """Without Stripe configuration, the bundled Stripe sandbox is served by this app (test mode).

    It is created on its first request, from the settings of that moment, and keeps its objects in
    the data folder, so a restarted ``cadenza dev`` still knows its customers and subscriptions.
    """
    from backend.billing.stripe_api import SANDBOX_PATH, config

    if not config().embedded:
        return []
    from litestar.handlers import asgi
    from litestar.types import Receive, Scope, Send

    from backend.core.settings import get_settings
    from stripe_sandbox import SandboxConfig, create_app
    from stripe_sandbox.config import DeliveryConfig

    holder: list[Any] = []

    @asgi(SANDBOX_PATH, is_mount=True, is_static=True, name="stripe_sandbox", copy_scope=True)
    async def stripe_sandbox(scope: Scope, receive: Receive, send: Send) -> None:
        if not holder:
            settings, cfg = get_settings(), config()
            holder.append(
                create_app(
                    SandboxConfig(
                        public_url=str(cfg.api_base),
                        webhook_url=f"{settings.base_url}/webhooks/stripe",
                        webhook_secret=cfg.webhook_secret,
                        database=str(settings.data_dir / "stripe-sandbox.sqlite"),
                        api_keys=(cfg.api_key,),
                        delivery=DeliveryConfig(
                            duplicates=settings.stripe.sandbox_duplicates,
                            max_delay_ms=settings.stripe.sandbox_max_delay_ms,
                            reorder=settings.stripe.sandbox_reorder,
                        ),
                    )
                )
            )
        await holder[0](scope, receive, send)

    return [stripe_sandbox]


route_handlers = [
    pricing_page,
    checkout,
    checkout_return,
    billing_page,
    change_preview,
    change_submit,
    cancel_page,
    cancel_submit,
    resume_submit,
    keep_submit,
    portal,
    usage_page,
    banner,
    stripe_webhook,
    *_sandbox_mount(),
]
