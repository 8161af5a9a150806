"""The one door to Stripe: the official SDK (``StripeClient``) over HTTP, pointed at Stripe when
keys are configured, at the bundled sandbox otherwise.

Every call that changes state takes the idempotency key stored for it beforehand
(``idempotency.stripe_call``); reads take none. SDK errors become ``DomainError``s here, so callers
never show a user Stripe's own words.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

import stripe

from backend.core.errors import DomainError
from backend.core.settings import get_settings

log = logging.getLogger(__name__)
# The SDK logs every request at INFO; our own log says what matters (failures, drift).
logging.getLogger("stripe").setLevel(logging.WARNING)

SANDBOX_PATH = "/stripe-sandbox"
SANDBOX_KEY = "sk_test_cadenza_sandbox"  # noqa: S105 - accepted only by the bundled sandbox


@dataclass(frozen=True, slots=True)
class StripeConfig:
    api_key: str
    api_base: str | None  # None: Stripe itself
    webhook_secret: str
    test_mode: bool  # shown as "test mode" in the interface
    embedded: bool  # the sandbox is mounted inside this app at SANDBOX_PATH


def config() -> StripeConfig:
    settings = get_settings()
    stripe_settings = settings.stripe
    embedded = not stripe_settings.secret_key and not stripe_settings.api_base
    secret = stripe_settings.webhook_secret or (
        # Without configuration the mounted sandbox and this app derive the same signing secret.
        "whsec_"
        + hmac.new(
            settings.security.secret_key.encode(), b"cadenza-stripe-sandbox", hashlib.sha256
        ).hexdigest()[:32]
    )
    return StripeConfig(
        api_key=stripe_settings.secret_key or SANDBOX_KEY,
        api_base=stripe_settings.api_base.rstrip("/")
        if stripe_settings.api_base
        else (f"{settings.base_url}{SANDBOX_PATH}" if embedded else None),
        webhook_secret=secret,
        test_mode=stripe_settings.sandbox,
        embedded=embedded,
    )


_clients: dict[tuple[int, str, str | None], stripe.StripeClient] = {}


def client() -> stripe.StripeClient:
    """One SDK client per event loop (its HTTP connection pool belongs to the loop)."""
    cfg = config()
    loop_id = id(asyncio.get_running_loop())
    found = _clients.get((loop_id, cfg.api_key, cfg.api_base))
    if found is None:
        options: dict[str, Any] = {
            "max_network_retries": 0,  # we retry ourselves, with our own stored keys
            "http_client": stripe.HTTPXClient(timeout=20),
        }
        if cfg.api_base:
            options["base_addresses"] = {"api": cfg.api_base}
        found = stripe.StripeClient(cfg.api_key, **options)
        if len(_clients) > 16:  # old loops (tests) leave clients behind
            _clients.clear()
        _clients[(loop_id, cfg.api_key, cfg.api_base)] = found
    return found


def as_dict(obj: Any) -> dict[str, Any]:
    """``StripeObject`` is not a mapping in stripe 16: plain data, recursively."""
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    return obj.to_dict()


class StripeUnavailable(DomainError):
    """Stripe could not be reached, or its answer was lost: the outcome is unknown."""

    def __init__(self) -> None:
        super().__init__("billing.errors.stripe_unavailable")


def translate(exc: stripe.StripeError) -> DomainError:
    """What to tell the user about a Stripe error (its details go to the log)."""
    if isinstance(exc, stripe.CardError):
        code = getattr(exc, "code", "") or ""
        if code == "expired_card":
            return DomainError("billing.errors.card_expired")
        return DomainError("billing.errors.card_declined")
    if isinstance(exc, stripe.IdempotencyError):
        return DomainError("billing.errors.in_progress")
    if isinstance(exc, stripe.InvalidRequestError):
        if getattr(exc, "code", "") == "currency_mismatch":
            return DomainError("billing.errors.currency_locked", field="currency")
        log.error("Stripe refused a request: %s", exc.user_message or exc)
        return DomainError("billing.errors.stripe_refused")
    if isinstance(exc, stripe.APIConnectionError):
        log.warning("Stripe unreachable: %s", exc.user_message or type(exc).__name__)
    else:
        log.error("Stripe failed: %s", exc)
    return StripeUnavailable()


def outcome_unknown(exc: stripe.StripeError) -> bool:
    """True when Stripe may have carried the request out: keep its key for the retry."""
    if isinstance(exc, stripe.APIConnectionError):
        return True
    status = getattr(exc, "http_status", None) or 0
    return status >= 500 or status == 409
