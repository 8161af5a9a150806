"""``/graphql`` over HTTP: queries by GET or POST, mutations by POST only.

Written as one plain handler (not Strawberry's controller) so that status codes follow the
GraphQL-over-HTTP spec (a request that can't execute is a 400), authentication and rate limits run
before any parsing, and no dependency injection runs on the hot path.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import MediaType, Request, Response, route
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from backend.core import ratelimit
from backend.core.errors import RateLimited
from backend.core.i18n import current_locale, t
from backend.core.settings import get_settings
from backend.graphql.context import GraphQLContext, build_context
from backend.graphql.schema import get_schema
from web import sessions
from web.auth import authenticate, client_ip
from web.locale import negotiate

_QUERY_ONLY = (OperationType.QUERY,)
_ALL = (OperationType.QUERY, OperationType.MUTATION)
_HEADERS = {"Vary": "Authorization, Cookie", "Cache-Control": "no-store"}


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(
        json.dumps(body, separators=(",", ":"), default=str).encode(),
        status_code=status,
        media_type=MediaType.JSON,
        headers={**_HEADERS, **(headers or {})},
    )


def _error(message: str, status: int, code: str, headers: dict[str, str] | None = None) -> Response[bytes]:
    return _json({"errors": [{"message": message, "extensions": {"code": code}}]}, status, headers)


def format_result(result: ExecutionResult) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    body["data"] = result.data
    return body


async def _parse(request: Request[Any, Any, Any]) -> dict[str, Any] | Response[bytes]:
    if request.method == "GET":
        params = request.query_params
        variables = params.get("variables")
        try:
            parsed_vars = json.loads(variables) if variables else None
        except ValueError:
            return _error(t("common.errors.bad_json"), 400, "BAD_REQUEST")
        return {
            "query": params.get("query"),
            "variables": parsed_vars,
            "operationName": params.get("operationName"),
        }
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/json", "application/graphql-response+json"):
        # JSON only: a cross-site form can't send it, which is what keeps cookies safe here.
        return _error(t("common.errors.json_required"), 415, "UNSUPPORTED_MEDIA_TYPE")
    try:
        payload = json.loads(await request.body())
    except ValueError:
        return _error(t("common.errors.bad_json"), 400, "BAD_REQUEST")
    if not isinstance(payload, dict):
        return _error(t("common.errors.bad_json"), 400, "BAD_REQUEST")
    return payload


async def _rate_limit(request: Request[Any, Any, Any], actor_key: str | None) -> Response[bytes] | None:
    security = get_settings().security
    try:
        if actor_key is not None:
            await ratelimit.enforce(f"api:{actor_key}", security.api_requests_per_minute, 60)
        else:
            await ratelimit.enforce(
                f"api-ip:{client_ip(request)}", security.api_requests_per_minute_per_ip, 60
            )
    except RateLimited as exc:
        return _error(
            t(exc.key, seconds=exc.retry_after), 429, "RATE_LIMITED", {"Retry-After": str(exc.retry_after)}
        )
    return None


async def apply_session_actions(request: Request[Any, Any, Any], context: GraphQLContext) -> None:
    """``logIn``/``logOut`` change the session; the middleware writes the cookie."""
    for action, value in context.session_actions:
        if action == "login":
            await sessions.start_session(request, value)
        elif action == "logout":
            await sessions.end_session(request)


@route("/graphql", http_method=["GET", "POST"], name="graphql", request_max_body_size=1_000_000)
async def graphql_http(request: Request[Any, Any, Any]) -> Response[bytes]:
    auth = await authenticate(request)
    if auth.rejected:
        current_locale.set(negotiate(request, None))
        return _error(
            t("common.errors.bad_credentials"), 401, "UNAUTHENTICATED", {"WWW-Authenticate": "Bearer"}
        )
    locale = negotiate(request, auth.actor)
    current_locale.set(locale)
    limited = await _rate_limit(
        request, f"key:{auth.actor.api_key_id}" if auth.via == "key" and auth.actor else None
    )
    if limited is not None:
        return limited
    parsed = await _parse(request)
    if isinstance(parsed, Response):
        return parsed
    query = parsed.get("query")
    if not isinstance(query, str) or not query.strip():
        return _error(t("common.errors.no_query"), 400, "BAD_REQUEST")
    variables = parsed.get("variables")
    operation_name = parsed.get("operationName")
    if variables is not None and not isinstance(variables, dict):
        return _error(t("common.errors.bad_json"), 400, "BAD_REQUEST")
    if operation_name is not None and not isinstance(operation_name, str):
        return _error(t("common.errors.bad_json"), 400, "BAD_REQUEST")

    context = build_context(actor=auth.actor, locale=locale, ip=client_ip(request), request=request)
    try:
        result = await get_schema().execute(
            query,
            variable_values=variables,
            context_value=context,
            operation_name=operation_name,
            allowed_operation_types=_QUERY_ONLY if request.method == "GET" else _ALL,
        )
    except InvalidOperationTypeError as exc:
        if request.method == "GET" and exc.operation_type is not OperationType.SUBSCRIPTION:
            return _error(t("common.errors.mutation_over_get"), 405, "METHOD_NOT_ALLOWED", {"Allow": "POST"})
        return _error(t("common.errors.subscription_over_http"), 400, "BAD_REQUEST")
    except CannotGetOperationTypeError:
        return _error(t("common.errors.unknown_operation"), 400, "BAD_REQUEST")

    # Nothing executed (syntax, validation, limits: errors without a path): a request error, per
    # GraphQL over HTTP. Errors raised by resolvers carry a path and keep the 200.
    request_error = result.data is None and bool(result.errors) and all(not e.path for e in result.errors)
    status = 400 if request_error else 200
    await apply_session_actions(request, context)
    return _json(format_result(result), status)
