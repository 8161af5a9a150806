"""``/graphql`` over HTTP: queries by GET or POST, mutations by POST only.

Written as one plain handler (not Strawberry's controller) so that status codes follow the
GraphQL-over-HTTP spec (a request that can't execute is a 400), authentication and rate limits run
before any parsing, and no dependency injection runs on the hot path.
"""

from __future__ import annotations

import json
import time
from typing import Any

import msgspec
from litestar import MediaType, Request, Response, route
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from backend.billing import services as billing
from backend.billing.services import Entitlements
from backend.core import ratelimit
from backend.core.actor import Actor
from backend.core.errors import RateLimited
from backend.core.i18n import current_locale, t
from backend.core.settings import get_settings
from backend.graphql.context import GraphQLContext, build_context
from backend.graphql.schema import get_schema
from web import sessions
from web.auth import authenticate, client_ip
from web.locale import negotiate

_encoder = msgspec.json.Encoder(enc_hook=str)


def _encode(body: dict[str, Any]) -> bytes:
    return _encoder.encode(body)


_QUERY_ONLY = (OperationType.QUERY,)
_ALL = (OperationType.QUERY, OperationType.MUTATION)
_HEADERS = {"Vary": "Authorization, Cookie", "Cache-Control": "no-store"}


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(
        _encode(body),
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


# Entitlements of API-key owners, kept briefly per process so the hot path doesn't recompute the
# plan on every request; a plan change reaches the rate limits within this many seconds.
_PLAN_TTL = 30.0
_plans: dict[int, tuple[float, Entitlements]] = {}


def forget_plans() -> None:
    """Drop the cached plans (tests start each case from nothing; ids are reused there)."""
    _plans.clear()


async def _entitlements(user_id: int) -> Entitlements:
    now = time.monotonic()
    cached = _plans.get(user_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    found = await billing.entitlements(user_id)
    if len(_plans) > 10_000:
        _plans.clear()
    _plans[user_id] = (now + _PLAN_TTL, found)
    return found


async def _rate_limit(
    request: Request[Any, Any, Any], actor: Actor | None, via_key: bool
) -> Response[bytes] | None:
    """Per key: the plan's requests a minute and calls a month. Without a key: per client IP."""
    security = get_settings().security
    if actor is not None and via_key and actor.api_key_id is not None:
        plan = await _entitlements(actor.user_id)
        admission = await billing.admit_api_call(
            actor.user_id, actor.api_key_id, plan, security.api_requests_per_minute or None
        )
        if not admission.allowed:
            seconds = admission.retry_after
            headers = {"Retry-After": str(seconds)}
            return _error(t("common.errors.rate_limited", seconds=seconds), 429, "RATE_LIMITED", headers)
        if admission.allowance_used_up:
            return _error(t("common.errors.api_allowance_used"), 429, "API_ALLOWANCE_USED")
        return None
    try:
        await ratelimit.enforce(f"api-ip:{client_ip(request)}", security.api_requests_per_minute_per_ip, 60)
    except RateLimited as exc:
        headers = {"Retry-After": str(exc.retry_after)}
        return _error(t(exc.key, seconds=exc.retry_after), 429, "RATE_LIMITED", headers)
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
    limited = await _rate_limit(request, auth.actor, auth.via == "key")
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
