"""Configuration, read once from the environment into frozen dataclasses.

Nothing else in Cadenza reads ``os.environ``: ask ``get_settings()``.
Every variable is listed with its default in ``.env.example``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = REPO_ROOT / "data"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str) -> int:
    return int(value.strip())


def _list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str
    pool_min: int = 2
    pool_max: int = 20

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def sqlite_path(self) -> str:
        return self.url.removeprefix("sqlite:///")


@dataclass(frozen=True, slots=True)
class RedisSettings:
    url: str
    # Every key, queue and channel is prefixed, so that several test runs or deployments
    # can share one Redis server without seeing each other's data.
    prefix: str = "cadenza"


@dataclass(frozen=True, slots=True)
class MediaSettings:
    root: Path
    max_upload_bytes: int = 512 * 1024 * 1024
    url_ttl_seconds: int = 3600


@dataclass(frozen=True, slots=True)
class SecuritySettings:
    secret_key: str
    session_ttl_seconds: int = 14 * 24 * 3600
    cookie_secure: bool = False
    login_attempts_per_15min: int = 10
    signups_per_hour_per_ip: int = 20
    # 0: each API key gets its plan's limit; a number overrides every plan (tests, benchmarks).
    api_requests_per_minute: int = 0
    api_requests_per_minute_per_ip: int = 1200
    allowed_origins: tuple[str, ...] = ()
    max_request_body_bytes: int = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class GraphQLSettings:
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_cost: int = 20000
    max_subscriptions_per_connection: int = 20


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str = ""
    port: int = 587
    username: str = ""
    password: str = ""
    use_tls: bool = True
    sender: str = "Cadenza <no-reply@cadenza.local>"

    @property
    def enabled(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True, slots=True)
class StripeSettings:
    secret_key: str = ""
    webhook_secret: str = ""
    api_base: str = ""
    # Days a subscription keeps its plan after a failed payment, while Stripe retries.
    grace_days: int = 7
    # The embedded sandbox's webhook delivery: extra copies, random delay, shuffling (for trying
    # out how Cadenza copes; Stripe itself may do all three).
    sandbox_duplicates: int = 0
    sandbox_max_delay_ms: int = 0
    sandbox_reorder: bool = False

    @property
    def sandbox(self) -> bool:
        return not self.secret_key or self.secret_key.startswith("sk_test_")


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    poll_delay: float = 0.02
    sweep_interval_seconds: int = 30


@dataclass(frozen=True, slots=True)
class CollabSettings:
    # WebRTC voice calls: STUN/TURN servers handed to browsers (none are needed on a local network).
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_username: str = ""
    turn_credential: str = ""
    # How far behind the current revision a client's base may be and still be transformed.
    transform_window: int = 1000
    # A collaborator who stops sending heartbeats disappears after this long.
    presence_ttl_seconds: int = 8
    # Per client: presence updates beyond this (a flood) are refused with RATE_LIMITED.
    presence_updates_per_second: int = 10
    invitation_days: int = 14


@dataclass(frozen=True, slots=True)
class Settings:
    database: DatabaseSettings
    redis: RedisSettings
    media: MediaSettings
    security: SecuritySettings
    graphql: GraphQLSettings
    smtp: SmtpSettings
    stripe: StripeSettings
    workers: WorkerSettings
    collab: CollabSettings = field(default_factory=CollabSettings)
    region: str = "eu"
    base_url: str = "http://127.0.0.1:8000"
    debug: bool = False
    dev_mailbox: bool = False
    log_level: str = "INFO"
    log_json: bool = True
    data_dir: Path = field(default=DEFAULT_DATA_DIR)


def load_settings(env: dict[str, str] | os._Environ[str] | None = None) -> Settings:
    """Build settings from a mapping (the process environment by default)."""
    env = os.environ if env is None else env

    def get(name: str, default: str) -> str:
        value = env.get(name)
        return default if value is None or value == "" else value

    data_dir = Path(get("CADENZA_DATA_DIR", str(DEFAULT_DATA_DIR)))
    debug = _bool(get("DEBUG", "false"))
    return Settings(
        database=DatabaseSettings(
            url=get("DATABASE_URL", f"sqlite:///{data_dir / 'cadenza.sqlite'}"),
            pool_min=_int(get("DATABASE_POOL_MIN", "2")),
            pool_max=_int(get("DATABASE_POOL_MAX", "20")),
        ),
        redis=RedisSettings(
            url=get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            prefix=get("REDIS_PREFIX", "cadenza"),
        ),
        media=MediaSettings(
            root=Path(get("MEDIA_ROOT", str(data_dir / "media"))),
            max_upload_bytes=_int(get("MAX_UPLOAD_BYTES", str(512 * 1024 * 1024))),
            url_ttl_seconds=_int(get("MEDIA_URL_TTL_SECONDS", "3600")),
        ),
        security=SecuritySettings(
            secret_key=get("SECRET_KEY", "dev-insecure-secret-change-me"),
            session_ttl_seconds=_int(get("SESSION_TTL_SECONDS", str(14 * 24 * 3600))),
            cookie_secure=_bool(get("COOKIE_SECURE", "false")),
            login_attempts_per_15min=_int(get("LOGIN_ATTEMPTS_PER_15MIN", "10")),
            signups_per_hour_per_ip=_int(get("SIGNUPS_PER_HOUR_PER_IP", "20")),
            api_requests_per_minute=_int(get("API_REQUESTS_PER_MINUTE", "0")),
            api_requests_per_minute_per_ip=_int(get("API_REQUESTS_PER_MINUTE_PER_IP", "1200")),
            allowed_origins=_list(get("ALLOWED_ORIGINS", "")),
            max_request_body_bytes=_int(get("MAX_REQUEST_BODY_BYTES", str(2 * 1024 * 1024))),
        ),
        graphql=GraphQLSettings(
            max_depth=_int(get("GRAPHQL_MAX_DEPTH", "12")),
            max_aliases=_int(get("GRAPHQL_MAX_ALIASES", "30")),
            max_tokens=_int(get("GRAPHQL_MAX_TOKENS", "4000")),
            max_cost=_int(get("GRAPHQL_MAX_COST", "20000")),
            max_subscriptions_per_connection=_int(get("GRAPHQL_MAX_SUBSCRIPTIONS", "20")),
        ),
        smtp=SmtpSettings(
            host=get("SMTP_HOST", ""),
            port=_int(get("SMTP_PORT", "587")),
            username=get("SMTP_USERNAME", ""),
            password=get("SMTP_PASSWORD", ""),
            use_tls=_bool(get("SMTP_USE_TLS", "true")),
            sender=get("MAIL_FROM", "Cadenza <no-reply@cadenza.local>"),
        ),
        stripe=StripeSettings(
            secret_key=get("STRIPE_SECRET_KEY", ""),
            webhook_secret=get("STRIPE_WEBHOOK_SECRET", ""),
            api_base=get("STRIPE_API_BASE", ""),
            grace_days=_int(get("BILLING_GRACE_DAYS", "7")),
            sandbox_duplicates=_int(get("STRIPE_SANDBOX_DUPLICATES", "0")),
            sandbox_max_delay_ms=_int(get("STRIPE_SANDBOX_MAX_DELAY_MS", "0")),
            sandbox_reorder=_bool(get("STRIPE_SANDBOX_REORDER", "false")),
        ),
        workers=WorkerSettings(
            poll_delay=float(get("WORKER_POLL_DELAY", "0.02")),
            sweep_interval_seconds=_int(get("JOB_SWEEP_INTERVAL_SECONDS", "30")),
        ),
        collab=CollabSettings(
            stun_urls=_list(get("COLLAB_STUN_URLS", "")),
            turn_urls=_list(get("COLLAB_TURN_URLS", "")),
            turn_username=get("COLLAB_TURN_USERNAME", ""),
            turn_credential=get("COLLAB_TURN_CREDENTIAL", ""),
            transform_window=_int(get("COLLAB_TRANSFORM_WINDOW", "1000")),
            presence_ttl_seconds=_int(get("COLLAB_PRESENCE_TTL_SECONDS", "8")),
            presence_updates_per_second=_int(get("COLLAB_PRESENCE_UPDATES_PER_SECOND", "10")),
            invitation_days=_int(get("COLLAB_INVITATION_DAYS", "14")),
        ),
        region=get("REGION", "eu"),
        base_url=get("BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        debug=debug,
        dev_mailbox=_bool(get("DEV_MAILBOX", "true" if debug else "false")),
        log_level=get("LOG_LEVEL", "INFO"),
        log_json=_bool(get("LOG_JSON", "true")),
        data_dir=data_dir,
    )


# Tests may swap in changed settings (see tests/fixtures.py: settings_override).
_override: Settings | None = None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return _override or load_settings()
