from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.audio.tables import Asset, Export, Project, ProjectAsset, ProjectOperation, Render, StorageUsage

APP_CONFIG = AppConfig(
    app_name="audio",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Asset, StorageUsage, Project, ProjectOperation, ProjectAsset, Render, Export],
    migration_dependencies=["backend.core.piccolo_app"],
    commands=[],
)
