"""The realtime bridge for pages: a server-sent-events stream that runs a GraphQL subscription
in-process and sends each result as a rendered HTML fragment (htmx's SSE extension swaps it in)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from litestar import Request
from litestar.response import Stream

from web.operations import OpResult, subscribe

KEEPALIVE_SECONDS = 15


def sse_message(html: str, event: str = "message") -> bytes:
    lines = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return f"event: {event}\n{lines}\n".encode()


def live_fragments(
    request: Request[Any, Any, Any],
    operation: str,
    variables: dict[str, Any],
    render: Callable[[OpResult], str],
    *,
    finished: Callable[[OpResult], bool] = lambda _r: False,
    event: str = "message",
) -> Stream:
    """Stream ``render(result)`` for every result of ``operation``; send ``done`` when finished."""

    async def stream() -> AsyncIterator[bytes]:
        results = subscribe(request, operation, variables)
        pending: asyncio.Task[OpResult] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(results.__anext__())
                done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_SECONDS)
                if not done:
                    yield b": keep-alive\n\n"
                    continue
                try:
                    result = pending.result()
                except StopAsyncIteration:
                    break
                pending = None
                if result.errors:
                    yield sse_message("", "error")
                    break
                yield sse_message(render(result), event)
                if finished(result):
                    yield sse_message("", "done")
                    break
        finally:
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending
            await results.aclose()

    return Stream(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
