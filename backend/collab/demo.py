"""Demo collaboration for ``cadenza dev`` (idempotent): the demo creator's studio project is shared
with the demo listener as a commenter, who left a comment; a snapshot names the seeded version."""

from __future__ import annotations

from backend.accounts import services as accounts
from backend.audio import services as audio
from backend.collab import comments, history, queries
from backend.collab.tables import Member
from backend.core import clock

CREATOR = "creator@demo.cadenza.local"
LISTENER = "listener@demo.cadenza.local"


async def seed() -> None:
    creator = await accounts.find_user_by_email(CREATOR)
    listener = await accounts.find_user_by_email(LISTENER)
    if creator is None or listener is None:
        return
    owner = await accounts.actor_for_user(creator["id"])
    guest = await accounts.actor_for_user(listener["id"])
    if owner is None or guest is None:
        return
    page = await audio.list_projects(owner, 20, None)
    if not page.items:
        return  # the studio's demo project wasn't made (its sounds didn't decode)
    project = next((p for p in page.items if p["title"] == "Demo song"), page.items[-1])
    if await queries.member(project["public_id"], listener["id"]) is not None:
        return
    await Member.insert(
        Member(
            project_id=project["public_id"],
            user_id=listener["id"],
            role="commenter",
            added_by=creator["id"],
            created_at=clock.now(),
            updated_at=clock.now(),
        )
    )
    await history.create_snapshot(owner, project["public_id"], "Demo as seeded")
    note = "Love the pad here. Could the drums come in a bar later?"
    await comments.add(guest, project["public_id"], note, time=4.0)
