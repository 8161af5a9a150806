"""The context every resolver sees, built by one function for HTTP, websockets and pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from backend.core.actor import Actor
from backend.core.errors import Unauthenticated
from backend.core.i18n import DEFAULT_LOCALE

L = TypeVar("L")


@dataclass
class GraphQLContext:
    actor: Actor | None
    locale: str = DEFAULT_LOCALE
    ip: str = ""
    request: Any = None
    # Set by the websocket transport from the ``connection_init`` payload.
    connection_params: dict[str, Any] | None = None
    # Asked of the transport by resolvers (``logIn`` starts a session, ``logOut`` ends it).
    session_actions: list[tuple[str, Any]] = field(default_factory=list)
    in_process: bool = False
    _loaders: dict[Any, Any] = field(default_factory=dict)

    def loader(self, cls: Callable[[], L]) -> L:
        """One instance of each DataLoader class per request, created on first use."""
        found = self._loaders.get(cls)
        if found is None:
            found = self._loaders[cls] = cls()
        return found

    def require_actor(self) -> Actor:
        if self.actor is None:
            raise Unauthenticated()
        return self.actor

    def start_session(self, user_id: int) -> None:
        self.session_actions.append(("login", user_id))

    def end_session(self) -> None:
        self.session_actions.append(("logout", None))


def build_context(
    *,
    actor: Actor | None,
    locale: str,
    ip: str = "",
    request: Any = None,
    in_process: bool = False,
) -> GraphQLContext:
    return GraphQLContext(actor=actor, locale=locale, ip=ip, request=request, in_process=in_process)
