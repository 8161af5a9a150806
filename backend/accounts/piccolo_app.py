from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.accounts.tables import ApiKey, EmailToken, Invitation, Membership, Organization, User

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[User, EmailToken, Organization, Membership, Invitation, ApiKey],
    migration_dependencies=["backend.core.piccolo_app"],
    commands=[],
)
