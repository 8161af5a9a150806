"""``python -m stripe_sandbox --port 12111 --webhook-url URL --webhook-secret whsec_…``"""

from __future__ import annotations

import argparse
import logging

from stripe_sandbox.app import create_app
from stripe_sandbox.config import DeliveryConfig, SandboxConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stripe_sandbox", description="A Stripe-compatible test server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument(
        "--public-url", default="", help="how browsers reach this server (default: host:port)"
    )
    parser.add_argument("--webhook-url", default="", help="where to POST signed events")
    parser.add_argument("--webhook-secret", default="whsec_sandbox")
    parser.add_argument("--database", default=None, help="SQLite file to keep objects across restarts")
    parser.add_argument("--api-key", action="append", default=[], help="accept only these sk_test_ keys")
    parser.add_argument("--hold", action="store_true", help="keep events until /_sandbox/events/deliver")
    parser.add_argument("--duplicates", type=int, default=0, help="extra copies of every event")
    parser.add_argument("--max-delay-ms", type=int, default=0, help="random delay of each delivery")
    parser.add_argument("--reorder", action="store_true", help="shuffle the events of each request")
    parser.add_argument("--no-auto-renew", action="store_true", help="renew only when asked")
    args = parser.parse_args(argv)

    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = SandboxConfig(
        public_url=(args.public_url or f"http://{args.host}:{args.port}").rstrip("/"),
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        database=args.database,
        api_keys=tuple(args.api_key),
        delivery=DeliveryConfig(
            mode="hold" if args.hold else "auto",
            duplicates=args.duplicates,
            max_delay_ms=args.max_delay_ms,
            reorder=args.reorder,
        ),
        auto_renew=not args.no_auto_renew,
    )
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
