"""Pages run named operations from ``graphql/operations/`` in-process, against the same schema
and with a context built by the same function as ``/graphql``: a page can do nothing the API can't."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException

from backend.core.settings import REPO_ROOT
from backend.graphql.context import GraphQLContext, build_context
from backend.graphql.schema import get_schema
from graphql import GraphQLError, OperationDefinitionNode, parse
from web.auth import client_ip
from web.graphql_http import apply_session_actions
from web.render import page_context

OPERATIONS_DIR = REPO_ROOT / "graphql" / "operations"


class OperationFailed(Exception):
    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


@lru_cache(maxsize=1)
def operations() -> dict[str, str]:
    """Every named operation, by name, with the text of the file that holds it (and its fragments)."""
    found: dict[str, str] = {}
    for path in sorted(OPERATIONS_DIR.rglob("*.graphql")):
        text = path.read_text()
        for definition in parse(text).definitions:
            if isinstance(definition, OperationDefinitionNode):
                if definition.name is None:
                    raise ValueError(f"{path}: operations must be named")
                name = definition.name.value
                if name in found:
                    raise ValueError(f"{path}: operation {name} is defined twice")
                found[name] = text
    return found


def operation_text(name: str) -> str:
    try:
        return operations()[name]
    except KeyError:
        raise LookupError(f"no operation named {name!r} in {Path(OPERATIONS_DIR).name}/") from None


@dataclass
class OpResult:
    data: dict[str, Any] | None
    errors: list[GraphQLError]
    context: GraphQLContext

    def codes(self) -> set[str]:
        return {str((e.extensions or {}).get("code", "")) for e in self.errors}

    def raise_for_errors(self) -> None:
        """Turn request-level errors into the HTTP answers a browser expects."""
        if not self.errors:
            return
        codes = self.codes()
        if "UNAUTHENTICATED" in codes:
            raise NotAuthorizedException()
        if "NOT_FOUND" in codes:
            raise NotFoundException()
        if "FORBIDDEN" in codes or "MISSING_SCOPE" in codes:
            raise PermissionDeniedException()
        raise OperationFailed(self.errors)


async def _context(request: Request[Any, Any, Any]) -> GraphQLContext:
    page = await page_context(request)
    return build_context(
        actor=page.actor, locale=page.locale, ip=client_ip(request), request=request, in_process=True
    )


async def run_operation(
    request: Request[Any, Any, Any], name: str, variables: dict[str, Any] | None = None
) -> OpResult:
    context = await _context(request)
    result = await get_schema().execute(
        operation_text(name), variable_values=variables, context_value=context, operation_name=name
    )
    await apply_session_actions(request, context)
    return OpResult(data=result.data, errors=list(result.errors or []), context=context)


async def query(
    request: Request[Any, Any, Any], name: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run a query operation for a page; request-level errors become 401/403/404."""
    result = await run_operation(request, name, variables)
    result.raise_for_errors()
    assert result.data is not None
    return result.data


async def subscribe(
    request: Request[Any, Any, Any], name: str, variables: dict[str, Any] | None = None
) -> AsyncIterator[OpResult]:
    """Run a subscription operation in-process (for server-sent events)."""
    context = await _context(request)
    stream = await get_schema().subscribe(
        operation_text(name), variable_values=variables, context_value=context, operation_name=name
    )
    if not hasattr(stream, "__aiter__"):
        yield OpResult(data=stream.data, errors=list(stream.errors or []), context=context)
        return
    try:
        async for item in stream:
            yield OpResult(data=item.data, errors=list(item.errors or []), context=context)
    finally:
        await stream.aclose()
