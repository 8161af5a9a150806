"""List fields cost the same number of SQL queries for one item or many."""

from __future__ import annotations

from backend.billing.tables import Invoice
from tests.billing.helpers import subscribe
from tests.fixtures import actor_of, count_queries, gql, log_in

BILLING = """{ billing { subscription { plan { name features { label } limits { display } } renewalAmount { formatted } }
  invoices(first: 100) { nodes { id number total { formatted } tax { formatted } lines { description amount { formatted } } } } } }"""
PRICING = "{ pricing { priced(interval: YEAR) { plan { name limits { display } features { included } } amount { formatted } } } }"


async def _count(client, query: str) -> int:
    with count_queries() as counter:
        body = await gql(client, query)
    assert "errors" not in body, body
    return counter.count


async def test_invoices_and_plans_cost_the_same_queries_for_one_or_many(sandbox, client, make_user):
    user = await make_user("count@example.com")
    await subscribe(actor_of(user), "creator")
    await log_in(client, "count@example.com")
    one = await _count(client, BILLING)
    template = await Invoice.select().first()
    for n in range(8):
        await Invoice.insert(
            Invoice(
                **{
                    **{k: v for k, v in template.items() if k != "id"},
                    "public_id": f"bin_copy{n:012d}",
                    "stripe_id": f"in_copy{n}",
                    "lines": [],
                }
            )
        )
    assert len((await gql(client, BILLING))["data"]["billing"]["invoices"]["nodes"]) == 9
    assert await _count(client, BILLING) == one
    assert await _count(client, PRICING) <= 1  # who is asking; the plan table is data, not rows
