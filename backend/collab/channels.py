"""Pub/sub channels of a project. Commits go out on the studio's own channel (``project:<id>``,
published by ``apply_operations``); everything else collaboration says goes on its own channels, so
the studio's ``projectRevisions`` subscribers never see presence or comments."""

from __future__ import annotations

from typing import Any

from backend.audio import services as audio
from backend.core import events


def commits(project_id: str) -> str:
    return audio.channel(project_id)


def project(project_id: str) -> str:
    """Presence, comments, snapshots, membership changes, dropped batches."""
    return f"collab:{project_id}"


def person(project_id: str, user_public_id: str) -> str:
    """What is addressed to one collaborator only (call signalling)."""
    return f"collab:{project_id}:to:{user_public_id}"


async def publish(project_id: str, payload: dict[str, Any]) -> None:
    await events.publish(project(project_id), {"project": project_id, **payload})


async def publish_to(project_id: str, user_public_id: str, payload: dict[str, Any]) -> None:
    await events.publish(person(project_id, user_public_id), {"project": project_id, **payload})
