from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.social.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="social",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=list(ALL_TABLES),
    migration_dependencies=["backend.core.piccolo_app"],
    commands=[],
)
