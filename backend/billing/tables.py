"""Billing's tables: Stripe's objects mirrored locally, the webhook inbox, the idempotency keys of
our own calls to Stripe, usage counters and the notices we have sent.

Users and organizations are referred to by id (``user_id``/``organization_id``), not by a foreign
key into the accounts domain, as the mail outbox does: domains meet through services.
"""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

LIVE_STATUSES = ("active", "trialing", "past_due", "unpaid", "incomplete")


class Customer(Table, tablename="billing_customer"):
    """A Stripe customer: one per user and one per organization (unique indexes in migrations)."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    user_id = BigInt(null=True, default=None)
    organization_id = BigInt(null=True, default=None)
    stripe_id = Varchar(length=64, null=True, default=None, unique=True, index=True)
    email = Varchar(length=254)
    locale = Varchar(length=8, default="en")
    # Stripe bills a customer in one currency only, fixed by the first subscription.
    currency = Varchar(length=3, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Price(Table, tablename="billing_price"):
    """Cadenza's plan table as Stripe prices, found again by lookup key."""

    id: Serial  # added by Piccolo; declared for the type checker
    stripe_id = Varchar(length=64, unique=True, index=True)
    lookup_key = Varchar(length=80, unique=True, index=True)
    plan = Varchar(length=20)
    interval = Varchar(length=8)
    currency = Varchar(length=3)
    unit_amount = BigInt()
    created_at = Timestamptz(default=TimestamptzNow())


class Subscription(Table, tablename="billing_subscription"):
    """Our mirror of a Stripe subscription. Stripe is the truth; this row follows it."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.restrict, index=True)
    user_id = BigInt(null=True, default=None, index=True)
    organization_id = BigInt(null=True, default=None, index=True)
    stripe_id = Varchar(length=64, unique=True, index=True)
    status = Varchar(length=24, index=True)
    plan = Varchar(length=20)
    interval = Varchar(length=8)
    currency = Varchar(length=3)
    unit_amount = BigInt(default=0)
    seats = Integer(default=1)
    stripe_price_id = Varchar(length=64, default="")
    current_period_start = Timestamptz(null=True, default=None)
    current_period_end = Timestamptz(null=True, default=None)
    cancel_at_period_end = Boolean(default=False)
    canceled_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    # A change scheduled for the end of the period (a downgrade), from the subscription schedule.
    schedule_id = Varchar(length=64, default="")
    pending_plan = Varchar(length=20, default="")
    pending_interval = Varchar(length=8, default="")
    pending_seats = Integer(null=True, default=None)
    pending_at = Timestamptz(null=True, default=None)
    latest_invoice_id = Varchar(length=64, default="")
    # The grace period: set when a payment first fails, cleared when the subscription is paid up.
    payment_failed_at = Timestamptz(null=True, default=None)
    grace_until = Timestamptz(null=True, default=None)
    stripe_created = BigInt(default=0)
    # The newest Stripe event (its ``created``) this row has been brought up to date with.
    last_event_at = BigInt(default=0)
    # Bumped whenever the mirrored state changes: part of our idempotency keys' fingerprints.
    revision = Integer(default=0)
    synced_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Invoice(Table, tablename="billing_invoice"):
    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.restrict, index=True)
    stripe_id = Varchar(length=64, unique=True, index=True)
    stripe_subscription_id = Varchar(length=64, default="", index=True)
    number = Varchar(length=64, default="")
    status = Varchar(length=16)
    billing_reason = Varchar(length=32, default="")
    currency = Varchar(length=3)
    subtotal = BigInt(default=0)
    tax = BigInt(default=0)
    total = BigInt(default=0)
    amount_due = BigInt(default=0)
    amount_paid = BigInt(default=0)
    amount_refunded = BigInt(default=0)
    period_start = Timestamptz(null=True, default=None)
    period_end = Timestamptz(null=True, default=None)
    hosted_invoice_url = Varchar(length=500, default="")
    payment_intent_id = Varchar(length=64, default="", index=True)
    lines = JSONB(default=[])
    stripe_created = BigInt(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class WebhookEvent(Table, tablename="billing_webhook_event"):
    """Every Stripe event we accepted, stored once (unique on Stripe's event id)."""

    id: Serial  # added by Piccolo; declared for the type checker
    stripe_id = Varchar(length=64, unique=True, index=True)
    type = Varchar(length=64)
    stripe_created = BigInt(default=0)
    object_id = Varchar(length=64, default="")
    payload = Text()
    status = Varchar(length=12, default="received", index=True)  # received processed ignored failed
    attempts = Integer(default=0)
    error = Text(default="")
    received_at = Timestamptz(default=TimestamptzNow())
    processed_at = Timestamptz(null=True, default=None)


class StripeRequest(Table, tablename="billing_stripe_request"):
    """The idempotency key of each state-changing call to Stripe, written before the call.

    ``fingerprint`` names the intent (what, on which object, from which state): a retry of the same
    intent finds the row and sends the same key, so Stripe answers it without doing it twice.
    """

    id: Serial  # added by Piccolo; declared for the type checker
    key = Varchar(length=80, unique=True, index=True)
    fingerprint = Varchar(length=64, unique=True, index=True)
    kind = Varchar(length=40)
    subject = Varchar(length=40, default="")
    params = JSONB(default={})
    status = Varchar(length=12, default="pending")  # pending succeeded failed unknown
    stripe_object_id = Varchar(length=80, default="")
    error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    completed_at = Timestamptz(null=True, default=None)


class UsageCounter(Table, tablename="billing_usage"):
    """How much of a metered limit a subject has used in a period (``-`` for running totals).

    (subject, metric, period) is unique: see the hand-made migration.
    """

    id: Serial  # added by Piccolo; declared for the type checker
    subject = Varchar(length=40)
    metric = Varchar(length=40)
    period = Varchar(length=10)
    used = BigInt(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())


class Notice(Table, tablename="billing_notice"):
    """A message we sent about billing, by a key that makes it go out once (``payment_failed:in_…``)."""

    id: Serial  # added by Piccolo; declared for the type checker
    key = Varchar(length=120, unique=True, index=True)
    kind = Varchar(length=40)
    customer = ForeignKey(Customer, on_delete=OnDelete.restrict, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
