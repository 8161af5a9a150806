"""Typed, translated errors: ``FieldError`` in mutation payloads, ``extensions.code`` elsewhere."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from strawberry.extensions import SchemaExtension

from backend.core.errors import DomainError, RateLimited, ValidationFailed
from backend.core.i18n import t
from graphql import GraphQLError


@strawberry.type(description="A problem with the input, in the caller's language.")
class FieldError:
    field: str | None = strawberry.field(description="The input field at fault (camelCase), if any.")
    code: str = strawberry.field(description="Stable machine-readable code, e.g. EMAIL_TAKEN.")
    message: str


def field_errors(exc: DomainError, locale: str) -> list[FieldError]:
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    return [FieldError(field=e.field, code=e.code, message=t(e.key, locale, **e.params)) for e in errors]


F = TypeVar("F", bound=Callable[..., Any])


def returns_payload(payload_cls: type) -> Callable[[F], F]:
    """Turn a ``DomainError`` raised by a mutation into ``payload(errors=[...])``."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except DomainError as exc:
                info = kwargs.get("info") or next(a for a in args if hasattr(a, "context"))
                return payload_cls(errors=field_errors(exc, info.context.locale))

        wrapper.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def translate_error(error: GraphQLError, locale: str) -> GraphQLError:
    original = error.original_error
    if not isinstance(original, DomainError):
        return error
    extensions = {**(error.extensions or {}), "code": original.code}
    if original.field:
        extensions["field"] = original.field
    if isinstance(original, RateLimited):
        extensions["retryAfter"] = original.retry_after
    return GraphQLError(
        t(original.key, locale, **original.params),
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original,
        extensions=extensions,
    )


def apply_error_policy(errors: list[GraphQLError], locale: str, *, mask: bool) -> list[GraphQLError]:
    """Refusals (``DomainError``) are translated with a code; other faults raised by resolvers are
    masked outside debug so internals never reach a client. Syntax/validation errors pass as they are."""
    policed = []
    for error in errors:
        original = error.original_error
        if isinstance(original, DomainError):
            error = translate_error(error, locale)
        elif original is not None and not isinstance(original, GraphQLError) and mask:
            error = GraphQLError("Unexpected error.", nodes=error.nodes, path=error.path)
        policed.append(error)
    return policed


class ErrorPolicy(SchemaExtension):
    """Applies ``apply_error_policy`` to every result, on every transport."""

    def __init__(self, *, mask: bool = True) -> None:
        self.mask = mask

    def on_operation(self):  # type: ignore[no-untyped-def]
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        locale = getattr(self.execution_context.context, "locale", "en")
        result.errors = apply_error_policy(list(result.errors), locale, mask=self.mask)
