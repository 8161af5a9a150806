"""Guard rails: depth, aliases, tokens and a query-cost rule; parser and validation caches."""

from __future__ import annotations

from typing import Any

from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from backend.core.pagination import DEFAULT_PAGE, MAX_PAGE
from backend.core.settings import GraphQLSettings
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
)

LIST_ARGUMENTS = ("first", "last", "limit")


def query_cost(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str] = frozenset(),
) -> int:
    """Each field costs 1; a paginated field multiplies the cost of what it selects by its page size.

    A page size given as a variable is counted at the maximum, since validation can't see its value.
    """
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue
            multiplier = 1
            for argument in selection.arguments or ():
                if argument.name.value in LIST_ARGUMENTS:
                    if isinstance(argument.value, IntValueNode):
                        multiplier = max(1, min(int(argument.value.value), MAX_PAGE * 10))
                    elif isinstance(argument.value, VariableNode):
                        multiplier = MAX_PAGE
                    else:
                        multiplier = DEFAULT_PAGE
            total += 1 + multiplier * query_cost(selection.selection_set, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            total += query_cost(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                total += query_cost(fragment.selection_set, fragments, seen | {name})
    return total


def cost_rule(max_cost: int) -> type[ValidationRule]:
    class QueryCostRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            fragments = {
                d.name.value: d
                for d in self.context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            cost = query_cost(node.selection_set, fragments)
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"Query cost {cost} exceeds the maximum of {max_cost}.",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "maxCost": max_cost},
                    )
                )

    return QueryCostRule


def _ignore_introspection(ignored: Any) -> bool:
    return ignored.field_name.startswith("__")


def validation_rules(settings: GraphQLSettings) -> list[Any]:
    """The guard-rail rules as classes made once. Strawberry's ValidationCache keys on the rule
    classes, so making them per request (as the limiter extensions do) would defeat the cache."""
    return [
        *QueryDepthLimiter(
            max_depth=settings.max_depth, should_ignore=_ignore_introspection
        ).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        cost_rule(settings.max_cost),
    ]


def extensions(settings: GraphQLSettings, *, debug: bool) -> list[Any]:
    """Factories, so each operation gets fresh extension state; caches and rules are shared."""
    from backend.graphql.errors import ErrorPolicy

    rules = validation_rules(settings)
    return [
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(rules),
        lambda: ErrorPolicy(mask=not debug),
    ]
