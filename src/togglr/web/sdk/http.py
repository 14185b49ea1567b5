"""Bare-ASGI plumbing shared by the SDK and OFREP handlers."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from togglr.web.body_limit import CODE as TOO_LARGE
from togglr.web.body_limit import too_large_message
from togglr.web.nul import MESSAGE as NUL_MESSAGE
from togglr.web.nul import nul_in_json

MAX_BODY = 64 * 1024
JSON_HEADERS = [(b"content-type", b"application/json")]
CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
    (
        b"access-control-allow-headers",
        b"Authorization, X-API-Key, Content-Type, If-None-Match, X-Request-Id",
    ),
    (b"access-control-expose-headers", b"ETag, Retry-After"),
]
# Browsers need only allow-origin (and expose-headers) on real responses; the rest is for preflight.
FIXED_HEADERS = [
    *JSON_HEADERS,
    CORS_HEADERS[0],
    CORS_HEADERS[3],
    (b"x-content-type-options", b"nosniff"),  # JSON only, never sniffed into something else
]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


async def respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    out = [(b"content-length", b"%d" % len(body)), *FIXED_HEADERS]
    if headers:
        out.extend(headers)
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive, first: dict[str, Any] | None = None) -> bytes:
    """The whole request body (at most MAX_BODY bytes); `first` is a message already received."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = first if first is not None else await receive()
        first = None
        if message["type"] == "http.disconnect":
            raise HttpError(400, "invalid_input", "client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise HttpError(413, TOO_LARGE, too_large_message(MAX_BODY))
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def parse_json(raw: bytes, *, allow_empty: bool = False) -> Any:
    if not raw.strip():
        if allow_empty:
            return {}
        raise HttpError(400, "invalid_input", "body: a JSON object is required")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise HttpError(400, "invalid_input", "body: malformed JSON") from None
    path = nul_in_json(raw, value)
    if path is not None:
        raise HttpError(400, "invalid_input", f"{path}: {NUL_MESSAGE}")
    return value


def api_key_of(scope: dict[str, Any]) -> str | None:
    """Raw `Authorization: <key>` (what the Togglr SDKs send), `Bearer <key>`, or `X-API-Key`."""
    auth = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            auth = value.decode("latin-1").strip()
            if auth[:7].lower() == "bearer ":
                auth = auth[7:].strip()
        elif name == b"x-api-key" and auth is None:
            auth = value.decode("latin-1").strip()
    return auth or None


def header(scope: dict[str, Any], wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return value.decode("latin-1")
    return None


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
