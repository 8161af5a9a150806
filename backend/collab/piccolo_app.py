from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.collab.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="collab",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=list(TABLES),
    migration_dependencies=["backend.core.piccolo_app"],
    commands=[],
)
