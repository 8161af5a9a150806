"""WebRTC signalling for voice calls, relayed through Cadenza: offers, answers and ICE candidates
go to *one* collaborator (a person, or one of their open clients), through their own channel.

Media flows peer to peer; Cadenza only passes these small messages along. STUN/TURN servers are
settings (``ice_servers``): none are needed on a local network.
"""

from __future__ import annotations

import json
from typing import Any

from backend.accounts import services as accounts
from backend.audio import services as audio
from backend.collab import access, channels, presence, roles
from backend.core import ratelimit
from backend.core.actor import Actor
from backend.core.errors import DomainError
from backend.core.settings import get_settings

KINDS = ("offer", "answer", "ice", "hangup")
PAYLOAD_MAX = 64 * 1024  # an SDP with many candidates is a few kilobytes


def ice_servers() -> list[dict[str, Any]]:
    """RTCPeerConnection's ``iceServers``, from settings."""
    settings = get_settings().collab
    servers: list[dict[str, Any]] = []
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if settings.turn_urls:
        servers.append(
            {
                "urls": list(settings.turn_urls),
                "username": settings.turn_username,
                "credential": settings.turn_credential,
            }
        )
    return servers


async def send(
    actor: Actor,
    project_id: str,
    to_user_id: str,
    kind: str,
    payload: Any,
    *,
    from_client_id: str,
    to_client_id: str | None = None,
) -> None:
    project = await audio.get_project(actor, project_id)
    access.require(access.can_call(actor, await roles.role_of(actor, project)))
    if kind not in KINDS:
        raise DomainError("collab.errors.bad_signal", field="kind")
    presence.check_client_id(from_client_id)
    if to_client_id is not None:
        presence.check_client_id(to_client_id)
    if len(json.dumps(payload)) > PAYLOAD_MAX:
        raise DomainError("collab.errors.signal_too_big", field="payload")
    recipient = await accounts.find_user(to_user_id)
    if recipient is None or recipient["id"] == actor.user_id:
        raise DomainError("collab.errors.not_a_member", field="toUserId")
    recipient_role = (
        "owner"
        if recipient["id"] == project["owner_id"]
        else await roles.role_in_project(recipient["id"], project_id)
    )
    if recipient_role is None:
        raise DomainError("collab.errors.not_a_member", field="toUserId")
    await ratelimit.enforce(f"collab-signal:{actor.user_id}", 600, 60)
    await channels.publish_to(
        project_id,
        recipient["public_id"],
        {
            "type": "signal",
            "kind": kind,
            "payload": payload,
            "from": {"id": actor.public_id, "name": actor.display_name},
            "from_client_id": from_client_id,
            "to_client_id": to_client_id,
        },
    )
