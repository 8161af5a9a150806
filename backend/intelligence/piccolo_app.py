from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.intelligence.tables import GenreModel, Output, TagSuggestion

APP_CONFIG = AppConfig(
    app_name="intelligence",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[GenreModel, Output, TagSuggestion],
    migration_dependencies=["backend.core.piccolo_app"],
    commands=[],
)
