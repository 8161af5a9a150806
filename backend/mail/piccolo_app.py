from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.mail.tables import OutboxEmail

APP_CONFIG = AppConfig(
    app_name="mail",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[OutboxEmail],
    migration_dependencies=["backend.core.piccolo_app"],
    commands=[],
)
