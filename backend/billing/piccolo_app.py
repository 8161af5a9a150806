from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.billing.tables import (
    Customer,
    Invoice,
    Notice,
    Price,
    StripeRequest,
    Subscription,
    UsageCounter,
    WebhookEvent,
)

APP_CONFIG = AppConfig(
    app_name="billing",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Customer, Price, Subscription, Invoice, WebhookEvent, StripeRequest, UsageCounter, Notice],
    migration_dependencies=["backend.core.piccolo_app"],
    commands=[],
)
