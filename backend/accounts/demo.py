"""Demo accounts for ``cadenza dev`` (idempotent). Passwords are printed in the README."""

from __future__ import annotations

from backend.accounts import queries
from backend.accounts.tables import Membership, Organization, User
from backend.core import clock
from backend.core.ids import new_id
from backend.core.passwords import hash_password

DEMO_PASSWORD = "cadenza-demo-2026"  # noqa: S105 - documented in the README, demo data only
DEMO_USERS = (
    # email, display name, handle, platform role, locale
    ("creator@demo.cadenza.local", "Demo Creator", "demo_creator", "creator", "en"),
    ("listener@demo.cadenza.local", "Demo Listener", "demo_listener", "listener", "es"),
    ("moderator@demo.cadenza.local", "Demo Moderator", "demo_moderator", "moderator", "de"),
    ("admin@demo.cadenza.local", "Demo Admin", "demo_admin", "admin", "en"),
)
DEMO_ORG = "Cadenza Demo Label"


async def seed() -> None:
    password_hash = None
    ids = {}
    for email, name, handle, role, locale in DEMO_USERS:
        existing = await queries.user_by_email(email)
        if existing is not None:
            ids[handle] = existing["id"]
            continue
        password_hash = password_hash or await hash_password(DEMO_PASSWORD)
        now = clock.now()
        rows = await User.insert(
            User(
                public_id=new_id("usr"),
                email=email,
                email_confirmed_at=now,
                password_hash=password_hash,
                display_name=name,
                handle=handle,
                region="eu",
                locale=locale,
                time_zone="Europe/Berlin",
                platform_role=role,
                created_at=now,
                updated_at=now,
            )
        ).returning(User.id)
        ids[handle] = rows[0]["id"]
    if not await queries.slug_exists("cadenza-demo-label"):
        org = await Organization.insert(
            Organization(
                public_id=new_id("org"), name=DEMO_ORG, slug="cadenza-demo-label", created_at=clock.now()
            )
        ).returning(Organization.id)
        await Membership.insert(Membership(organization=org[0]["id"], user=ids["demo_creator"], role="owner"))
        await Membership.insert(
            Membership(organization=org[0]["id"], user=ids["demo_listener"], role="member")
        )
