"""405 Method Not Allowed, answered from the OpenAPI documents we serve.

A method the document does not list for a path answers 405 with an `Allow` header naming exactly
the methods the document lists there (RFC 9110 §15.5.6). Routers only know the route they matched
first, so their `Allow` named one route's methods; the document is what clients read, so it decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from togglr.web.asgi import send_json
from togglr.web.errors import error_body

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Any]
HTTP_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"})
_PARAM = re.compile(r"\\\{[^/]+?\\\}")  # an escaped `{name}` in re.escape()d template text


class AllowedMethods:
    """The methods an OpenAPI document lists for the path templates that match a request path."""

    def __init__(self, document: dict[str, Any]) -> None:
        # Grouped by segment count: a path is only compared with templates of its own depth.
        self._by_depth: dict[int, list[tuple[re.Pattern[str], frozenset[str]]]] = {}
        for template, item in document.get("paths", {}).items():
            methods = frozenset(m.upper() for m in item if m.upper() in HTTP_METHODS)
            if not methods:
                continue
            pattern = re.compile(_PARAM.sub("[^/]+", re.escape(template)))
            self._by_depth.setdefault(template.count("/"), []).append((pattern, methods))

    def allowed(self, path: str) -> frozenset[str] | None:
        """The union over every template the path matches, or None when it matches none."""
        found: frozenset[str] | None = None
        for pattern, methods in self._by_depth.get(path.count("/"), ()):
            if pattern.fullmatch(path):
                found = methods if found is None else found | methods
        return found

    def refusal(self, method: str, path: str) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
        """The 405 body and headers when `method` is not listed for `path`; None otherwise."""
        allowed = self.allowed(path)
        if allowed is None or method in allowed:
            return None
        allow = ", ".join(sorted(allowed))
        body = error_body("method_not_allowed", f"{method} is not allowed here; use {allow}")
        return body, [(b"allow", allow.encode())]


class MethodNotAllowedMiddleware:
    """Pure ASGI: refuses methods the management API's OpenAPI document does not list for a path.

    The document is built on first use (FastAPI generates it lazily from the routes).
    """

    def __init__(self, app: ASGIApp, document: Callable[[], dict[str, Any]], prefix: str) -> None:
        self.app = app
        self._document = document
        self._prefix = prefix
        self._table: AllowedMethods | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self._prefix):
            if self._table is None:
                self._table = AllowedMethods(self._document())
            refusal = self._table.refusal(scope["method"], scope["path"])
            if refusal is not None:
                await send_json(send, 405, *refusal)
                return
        await self.app(scope, receive, send)
