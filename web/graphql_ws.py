"""``/graphql`` over websockets: subscriptions with the ``graphql-transport-ws`` protocol only.

Strawberry's controller runs the protocol; its HTTP handlers are switched off (``graphql_http``
serves HTTP). Clients authenticate in ``connection_init`` with ``{"authorization": "Bearer <key>"}``
or by the session cookie; browsers from origins outside the allowlist are refused at the handshake.
"""

from __future__ import annotations

from typing import Any

from litestar import WebSocket, websocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.litestar import make_graphql_controller
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from backend.core.i18n import normalize_locale
from backend.core.settings import get_settings
from backend.graphql.context import GraphQLContext, build_context
from backend.graphql.schema import get_schema
from web.auth import authenticate, authenticate_token, client_ip
from web.locale import negotiate


def make_websocket_controller() -> type:
    settings = get_settings()
    base = make_graphql_controller(
        get_schema(),
        path="/graphql",
        graphql_ide=None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        max_subscriptions_per_connection=settings.graphql.max_subscriptions_per_connection,
        allowed_origins=settings.security.allowed_origins,
        keep_alive=True,
        keep_alive_interval=15,
    )

    class GraphQLWebSocketController(base):  # type: ignore[valid-type,misc]
        handle_http_get = None
        handle_http_post = None

        @websocket(name="graphql_ws")
        async def websocket_endpoint(self, socket: WebSocket[Any, Any, Any]) -> None:
            context = build_context(
                actor=None, locale=negotiate(socket, None), ip=client_ip(socket), request=socket
            )
            await self.run(request=socket, context=context, root_value=None)

        async def on_ws_connect(self, context: GraphQLContext) -> dict[str, object] | None:
            params = context.connection_params or {}
            secret = params.get("authorization") or params.get("Authorization") or params.get("apiKey")
            if isinstance(secret, str) and secret:
                token = secret.split(" ", 1)[1] if secret.lower().startswith("bearer ") else secret
                actor = await authenticate_token(token)
            else:
                auth = await authenticate(context.request, allow_key=False)
                actor = auth.actor
            if actor is None:
                raise ConnectionRejectionError()
            context.actor = actor
            context.locale = normalize_locale(str(params.get("locale", ""))) or negotiate(
                context.request, actor
            )
            return {"viewer": actor.public_id}

    return GraphQLWebSocketController
