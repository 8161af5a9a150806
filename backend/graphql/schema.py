"""The one schema: every ``backend.graphql.<domain>`` package contributes its roots.

A domain package exports any of ``Queries``, ``Mutations`` and ``Subscriptions``; they are merged
in alphabetical order of domain, so adding a domain never edits this file.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import strawberry
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from backend.core.errors import DomainError
from backend.core.settings import get_settings
from backend.graphql.errors import apply_error_policy
from backend.graphql.limits import extensions
from graphql import GraphQLError

log = logging.getLogger(__name__)


def _domain_roots(kind: str) -> tuple[type, ...]:
    root = Path(__file__).parent
    found = []
    for module in sorted(pkgutil.iter_modules([str(root)]), key=lambda m: m.name):
        if not module.ispkg:
            continue
        package = importlib.import_module(f"backend.graphql.{module.name}")
        cls = getattr(package, kind, None)
        if cls is not None:
            found.append(cls)
    return tuple(found)


class CadenzaSchema(strawberry.Schema):
    """Strawberry's schema, plus: every streamed result (subscriptions) gets the same error
    treatment as a single result — refusals translated with a code, server faults masked."""

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        result = await super().stream(*args, **kwargs)
        context = (
            kwargs.get("context_value") if "context_value" in kwargs else (args[2] if len(args) > 2 else None)
        )
        locale = getattr(context, "locale", "en")
        if hasattr(result, "__aiter__"):
            return self._translated(result, locale)
        self._fix_errors(result, locale)
        return result

    async def _translated(self, results: Any, locale: str) -> AsyncIterator[Any]:
        try:
            async for item in results:
                self._fix_errors(item, locale)
                yield item
        finally:
            await results.aclose()

    def _fix_errors(self, result: Any, locale: str) -> None:
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = apply_error_policy(list(errors), locale, mask=not get_settings().debug)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log server faults only: refusals and malformed queries are the client's, not ours."""
        for error in errors:
            original = error.original_error
            if original is not None and not isinstance(original, (DomainError, GraphQLError)):
                log.error("resolver error at %s", error.path, exc_info=original)


def build_schema(*, debug: bool | None = None) -> strawberry.Schema:
    settings = get_settings()
    query = merge_types("Query", _domain_roots("Queries"))
    mutations = _domain_roots("Mutations")
    subscriptions = _domain_roots("Subscriptions")
    return CadenzaSchema(
        query=query,
        mutation=merge_types("Mutation", mutations) if mutations else None,
        subscription=merge_types("Subscription", subscriptions) if subscriptions else None,
        extensions=extensions(settings.graphql, debug=settings.debug if debug is None else debug),
    )


@lru_cache(maxsize=1)
def get_schema() -> strawberry.Schema:
    return build_schema()


def schema_sdl() -> str:
    return get_schema().as_str().rstrip() + "\n"
