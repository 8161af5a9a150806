"""Whose billing: a user's own, or an organization's — and its Stripe customer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.accounts import services as accounts
from backend.billing import access, idempotency, queries, stripe_api
from backend.billing.tables import Customer
from backend.core import clock, db
from backend.core.actor import Actor
from backend.core.errors import Forbidden
from backend.core.ids import new_id


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str  # "user" or "organization"
    id: int
    public_id: str
    name: str
    email: str  # where receipts and notices go
    locale: str
    region: str

    @property
    def is_organization(self) -> bool:
        return self.kind == "organization"

    @property
    def key(self) -> str:
        return f"{'org' if self.is_organization else 'user'}:{self.id}"


async def subject_for(actor: Actor | None, organization_id: str | None = None) -> Subject:
    """The billing ``actor`` asks about; an organization's only for its owners and admins."""
    actor = access.require_actor(actor)
    if not organization_id:
        return Subject(
            "user",
            actor.user_id,
            actor.public_id,
            actor.display_name,
            actor.email,
            actor.locale,
            actor.region,
        )
    org = await accounts.get_organization(actor, organization_id)  # NotFound for outsiders
    role = await accounts.my_role(actor, org["id"])
    if not access.can_manage_organization_billing(role):
        raise Forbidden("billing.errors.organization_admins_only")
    return Subject(
        "organization", org["id"], org["public_id"], org["name"], actor.email, actor.locale, org["region"]
    )


async def find(subject: Subject) -> dict[str, Any] | None:
    if subject.is_organization:
        return await queries.customer_of_organization(subject.id)
    return await queries.customer_of_user(subject.id)


async def ensure(subject: Subject) -> dict[str, Any]:
    """The subject's customer with its Stripe id, creating both the first time."""
    row = await find(subject)
    if row is None:
        values: dict[str, Any] = {
            "public_id": new_id("bcu"),
            "user_id": None if subject.is_organization else subject.id,
            "organization_id": subject.id if subject.is_organization else None,
            "email": subject.email,
            "locale": subject.locale,
            "created_at": clock.now(),
        }
        try:
            await Customer.insert(Customer(**values))
        except Exception as exc:
            if not db.is_unique_violation(exc):
                raise  # else a concurrent request made it first
        row = await find(subject)
        assert row is not None
    if row["stripe_id"]:
        return row
    metadata = {"cadenza_customer": row["public_id"], f"cadenza_{subject.kind}": subject.public_id}
    stripe = stripe_api.client()
    created = await idempotency.stripe_call(
        "customer",
        (row["public_id"],),
        lambda options: stripe.v1.customers.create_async(
            params={
                "email": row["email"],
                "name": subject.name,
                "metadata": metadata,
                "preferred_locales": [subject.locale],
            },
            options=options,  # type: ignore[arg-type]
        ),
        subject=subject.key,
    )
    await Customer.update({Customer.stripe_id: created.id}).where(
        Customer.id == row["id"], Customer.stripe_id.is_null()
    )
    found = await queries.customer_by_id(row["id"])
    assert found is not None
    return found
