"""Who is acting: a signed-in user (by session or API key), or nobody."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    public_id: str
    email: str
    display_name: str
    handle: str
    platform_role: str
    locale: str
    time_zone: str
    region: str
    email_confirmed: bool
    # Set when the request came with an API key; ``None`` for a browser session.
    api_key_id: int | None = None
    scopes: frozenset[str] = field(default_factory=lambda: frozenset({"read", "write"}))

    @property
    def is_admin(self) -> bool:
        return self.platform_role == "admin"

    @property
    def is_moderator(self) -> bool:
        return self.platform_role in ("moderator", "admin")

    def can(self, scope: str) -> bool:
        return scope in self.scopes

    @classmethod
    def from_user_row(
        cls, row: dict[str, Any], *, api_key_id: int | None = None, scopes: frozenset[str] | None = None
    ) -> Actor:
        return cls(
            user_id=row["id"],
            public_id=row["public_id"],
            email=row["email"],
            display_name=row["display_name"],
            handle=row["handle"],
            platform_role=row["platform_role"],
            locale=row["locale"],
            time_zone=row["time_zone"],
            region=row["region"],
            email_confirmed=row["email_confirmed_at"] is not None,
            api_key_id=api_key_id,
            scopes=scopes if scopes is not None else frozenset({"read", "write"}),
        )
