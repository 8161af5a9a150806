"""How a sandbox is set up: where it is reached, where it sends webhooks, how chaotic delivery is."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DeliveryConfig:
    """Webhook delivery, changeable at run time through ``POST /_sandbox/webhooks``.

    ``mode``: ``auto`` sends each event as it happens; ``hold`` keeps them until a test asks for
    them to be delivered (in whatever order it likes).
    """

    mode: str = "auto"
    duplicates: int = 0  # extra copies of every event
    max_delay_ms: int = 0  # each copy waits a random time up to this
    reorder: bool = False  # shuffle the events of one API request before sending
    max_attempts: int = 8  # failed deliveries are retried with backoff, like Stripe's (shorter)


@dataclass
class SandboxConfig:
    # The address the sandbox's own pages are reached at (hosted checkout, portal), without "/".
    public_url: str = "http://127.0.0.1:12111"
    webhook_url: str = ""
    webhook_secret: str = "whsec_sandbox"  # noqa: S105 - a test double's default
    # Persist objects in a small SQLite file, so a restarted sandbox still knows its customers.
    database: str | None = None
    # Only these secret keys are accepted; empty accepts any ``sk_test_`` key.
    api_keys: tuple[str, ...] = ()
    account_name: str = "Cadenza"
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    # Renew subscriptions whose period ended in real time (a background tick); tests turn it off.
    auto_renew: bool = True
