"""Request body size limit: 413 before a large body is read, and no body held past the limit.

Two ways in: a declared `Content-Length` over the limit is refused before the application runs
(nothing is read, no handler has a side effect); a body without one (chunked) is counted as the
application reads it, and reading stops with 413 as soon as the count passes the limit, so at
most the limit plus one chunk is ever in memory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException

from togglr.web.asgi import send_json
from togglr.web.errors import error_body

CODE = "too_large"  # the code the SDK API has always used for its 64 KiB limit (docs/api.md)
Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]
# Sent with every 413 here: we will not read the rest of the body, so the connection cannot carry
# another request (without it the server would read and discard the rest).
_CLOSE = (b"connection", b"close")


def too_large_message(limit: int) -> str:
    return f"request body over {limit} bytes"


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes the limit.

    A Starlette HTTPException: FastAPI re-raises those from body parsing (instead of turning
    them into a 400), so the app's own handler answers 413 in the usual error shape.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length, or None when it has none (chunked) or it is not a number."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP server rejects these before we see them
    return None


class BodyLimitMiddleware:
    """Pure ASGI middleware limiting every HTTP request body to `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send: Callable[[Message], Awaitable[None]]) -> None:
        body = error_body(CODE, too_large_message(self.max_bytes))
        await send_json(send, 413, body, [_CLOSE])

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None and length > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        exceeded = started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message: Message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if exceeded:  # the app answered our 413: the rest of the body stays unread
                    message["headers"] = [*message.get("headers", []), _CLOSE]
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(send)  # read outside a route (middleware): answer it here
