"""Who may see and use which models and outputs. One condition a line."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from backend.core.actor import Actor
from backend.core.errors import Forbidden, NotFound, Unauthenticated


def require_actor(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated()
    return actor


def require_write(actor: Actor | None) -> Actor:
    actor = require_actor(actor)
    if not actor.can("write"):
        raise Forbidden("common.errors.missing_scope", scope="write")
    return actor


def can_view_model(actor: Actor | None, model: dict[str, Any], organization_ids: Collection[int]) -> bool:
    """Genre and base models are public; a personal model is its owner's (and their organization's)."""
    if model["kind"] != "personal":
        return True
    if actor is None:
        return False
    if model["owner_id"] == actor.user_id:
        return True
    return model["organization_id"] is not None and model["organization_id"] in organization_ids


def visible_model(
    actor: Actor | None, model: dict[str, Any] | None, organization_ids: Collection[int]
) -> dict[str, Any]:
    if model is None or not can_view_model(actor, model, organization_ids):
        raise NotFound()
    return model


def can_view_output(actor: Actor | None, output: dict[str, Any]) -> bool:
    if actor is None:
        return False
    return output["owner_id"] == actor.user_id or actor.is_admin


def visible_output(actor: Actor | None, output: dict[str, Any] | None) -> dict[str, Any]:
    if output is None or not can_view_output(actor, output):
        raise NotFound()
    return output


def can_train_genre_models(actor: Actor) -> bool:
    return actor.is_admin


def owns_upload(actor: Actor, upload: dict[str, Any] | None) -> bool:
    return upload is not None and upload["owner_id"] == actor.user_id
