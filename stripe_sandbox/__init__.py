"""A small Stripe-compatible test server: the endpoints Cadenza calls, hosted Checkout and portal
pages, and signed webhook delivery with configurable duplicates, delays and reordering.

It is a test double of *Stripe*, not of Cadenza: it never imports ``backend`` or ``web``. Cadenza
talks to it only through the official ``stripe`` SDK over HTTP, exactly as it talks to Stripe.

    python -m stripe_sandbox --port 12111 --webhook-url http://127.0.0.1:8000/webhooks/stripe \
        --webhook-secret whsec_...

``create_app(config)`` returns the ASGI app, which Cadenza mounts in its embedded default.
"""

from stripe_sandbox.app import create_app
from stripe_sandbox.config import SandboxConfig

__all__ = ["SandboxConfig", "create_app"]
