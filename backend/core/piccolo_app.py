from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.core.tables import Job, Upload

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Job, Upload],
    migration_dependencies=[],
    commands=[],
)
