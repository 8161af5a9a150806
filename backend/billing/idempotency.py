"""Idempotency keys for our state-changing calls to Stripe, stored *before* the call.

An intent (``kind`` plus what identifies it: the object, its state, the target) gets one row and
one key. A retry of the same intent — a double click, a timeout, a worker that died mid-call —
finds the row and sends the same key, so Stripe replays its first answer instead of charging or
subscribing twice. A call that Stripe definitely refused (a declined card) gives up its key: the
next attempt is a new request, as it should be once the card is fixed.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import stripe

from backend.billing import stripe_api
from backend.billing.tables import StripeRequest
from backend.core import clock, db

T = TypeVar("T")

# Stripe keeps idempotency keys for at least 24 hours; an intent older than that starts afresh.
KEY_LIFETIME = timedelta(hours=23)


def fingerprint(kind: str, *intent: Any) -> str:
    raw = json.dumps([kind, *intent], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


async def claim(
    kind: str, intent: tuple[Any, ...], *, subject: str = "", params: Any = None
) -> dict[str, Any]:
    """The row (and key) for this intent: the existing one for a retry, else a new one."""
    print_ = fingerprint(kind, *intent)
    for _ in range(3):
        row = (
            await StripeRequest.select()
            .where(StripeRequest.fingerprint == print_)
            .output(load_json=True)
            .first()
        )
        now = clock.now()
        if row is not None:
            stale = clock.as_utc(row["created_at"]) < now - KEY_LIFETIME
            if row["status"] == "failed" or (stale and row["status"] != "succeeded"):
                # A refused or forgotten attempt: the same intent tried again is a new request.
                key = _new_key(kind)
                await StripeRequest.update(
                    {
                        StripeRequest.key: key,
                        StripeRequest.status: "pending",
                        StripeRequest.error: "",
                        StripeRequest.created_at: now,
                        StripeRequest.completed_at: None,
                    }
                ).where(StripeRequest.id == row["id"])
                row = {**row, "key": key, "status": "pending"}
            return row
        try:
            values = {
                "key": _new_key(kind),
                "fingerprint": print_,
                "kind": kind,
                "subject": subject[:40],
                "params": params if params is not None else {},
                "status": "pending",
                "created_at": now,
            }
            inserted = await StripeRequest.insert(StripeRequest(**values)).returning(StripeRequest.id)
            return {**values, "id": inserted[0]["id"]}
        except Exception as exc:
            if not db.is_unique_violation(exc):
                raise
    raise RuntimeError(f"could not claim an idempotency key for {kind}")


def _new_key(kind: str) -> str:
    return f"cdz-{kind}-{uuid.uuid4()}"


async def _finish(row_id: int, status: str, *, object_id: str = "", error: str = "") -> None:
    await StripeRequest.update(
        {
            StripeRequest.status: status,
            StripeRequest.stripe_object_id: object_id[:80],
            StripeRequest.error: error[:2000],
            StripeRequest.completed_at: clock.now(),
        }
    ).where(StripeRequest.id == row_id)


async def stripe_call(
    kind: str,
    intent: tuple[Any, ...],
    call: Callable[[dict[str, Any]], Awaitable[T]],
    *,
    subject: str = "",
    params: Any = None,
) -> T:
    """Run ``call(options)`` with this intent's stored key in ``options['idempotency_key']``."""
    row = await claim(kind, intent, subject=subject, params=params)
    return await run(row, call)


async def run(row: dict[str, Any], call: Callable[[dict[str, Any]], Awaitable[T]]) -> T:
    """Make the call of a claimed row (callers that build parameters from ``row['params']``)."""
    try:
        result = await call({"idempotency_key": row["key"]})
    except stripe.StripeError as exc:
        if stripe_api.outcome_unknown(exc):
            await _finish(row["id"], "unknown", error=str(exc))
        else:
            await _finish(row["id"], "failed", error=str(exc))
        raise stripe_api.translate(exc) from exc
    object_id = getattr(result, "id", None) or ""
    await _finish(row["id"], "succeeded", object_id=str(object_id))
    return result


async def give_up(row_id: int) -> None:
    """Retire a key whose stored answer no longer fits (its next claim gets a fresh key)."""
    await _finish(row_id, "failed", error="superseded")


async def requests_for(subject: str) -> list[dict[str, Any]]:
    return await StripeRequest.select().where(StripeRequest.subject == subject).output(load_json=True)
