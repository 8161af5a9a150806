"""Composite indexes (SQLite cannot add constraints to an existing table, so uniqueness is an index)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.core.migrations import add_index, add_unique_index

ID = "2026-11-26T11:46:31:000000"
VERSION = "1.38.0"
DESCRIPTION = "social: composite unique and ordering indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="social", description=DESCRIPTION)
    add_unique_index(manager, "social_like", ["user_id", "release"])
    add_unique_index(manager, "social_repost", ["user_id", "release"])
    add_unique_index(manager, "social_follow", ["follower_id", "followee_id"])
    add_unique_index(manager, "social_play_daily", ["release_id", "day"])
    add_unique_index(manager, "social_digest", ["user_id", "day"])
    add_unique_index(manager, "social_feed_item", ["user_id", "release_id", "actor_id", "kind"])
    # The feed is read newest first per user; the release list per owner likewise.
    add_index(
        manager,
        "social_feed_item",
        ["user_id", "created_at DESC", "release_id DESC", "actor_id DESC"],
        name="social_feed_item_page_idx",
    )
    add_index(manager, "social_release", ["owner_id", "published_at DESC", "id DESC"], name="social_release_owner_idx")
    add_index(
        manager,
        "social_release",
        ["status", "visibility", "published_at DESC", "id DESC"],
        name="social_release_public_idx",
    )
    add_index(manager, "social_follow", ["followee_id", "id DESC"], name="social_follow_followee_idx")
    add_index(manager, "social_follow", ["follower_id", "id DESC"], name="social_follow_follower_idx")
    add_index(manager, "social_notification", ["user_id", "id DESC"], name="social_notification_user_idx")
    add_index(manager, "social_comment", ["release", "at_seconds", "id"], name="social_comment_release_idx")
    add_index(manager, "social_repost", ["user_id", "created_at DESC"], name="social_repost_user_idx")
    return manager
