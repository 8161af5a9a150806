"""``RequiresFeature`` guards a field with a plan feature, refusing with a translated FEATURE_NOT_IN_PLAN."""

from __future__ import annotations

import strawberry

from backend.graphql.context import build_context
from backend.graphql.errors import translate_error
from backend.graphql.permissions import RequiresFeature
from tests.billing.helpers import subscribe
from tests.fixtures import actor_of


@strawberry.type
class Query:
    @strawberry.field(permission_classes=[RequiresFeature("collaboration")])
    def live_session(self) -> str:
        return "joined"


SCHEMA = strawberry.Schema(query=Query)


async def _ask(actor, locale: str = "en"):
    result = await SCHEMA.execute("{ liveSession }", context_value=build_context(actor=actor, locale=locale))
    if result.errors:
        result.errors = [translate_error(e, locale) for e in result.errors]
    return result


async def test_a_feature_field_refuses_a_plan_without_it_and_serves_one_with_it(sandbox, make_user):
    user = await make_user("feature@example.com", locale="de")
    actor = actor_of(user)
    refused = await _ask(actor, "de")
    error = refused.errors[0]
    assert error.extensions["code"] == "FEATURE_NOT_IN_PLAN"
    assert "Zusammenarbeit in Echtzeit" in error.message
    assert RequiresFeature("collaboration") is RequiresFeature("collaboration")  # one class per feature
    await subscribe(actor, "professional")
    allowed = await _ask(actor)
    assert allowed.errors is None and allowed.data == {"liveSession": "joined"}
    anonymous = await _ask(None)
    assert anonymous.errors[0].extensions["code"] == "UNAUTHENTICATED"
