"""Security headers on every answer of the management API, the web UI and the API docs page.

The built UI is static files only: no inline script, so `script-src 'self'` holds. Styles need
`'unsafe-inline'`: Mantine writes its theme's CSS variables into a `<style>` element at run time
(and the UI sets `style` attributes). Injected styles cannot run code, and tokens stay behind
`script-src`. Tokens live in localStorage, so the policy matters on every page of the origin:
the API docs page, which loads Swagger UI from a CDN and starts it with an inline script, gets
its own policy naming that CDN and the hash of the very script it serves (`docs_policy`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

UI_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",  # QR codes of 2FA enrolment and Mantine's inline SVG icons
        "font-src 'self' data:",
        "connect-src 'self'",  # the API and the /api/ws WebSocket (CSP 3: 'self' covers ws/wss)
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
DOCS_CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
_CSP = b"content-security-policy"


def docs_policy(html: bytes) -> str:
    """The policy of the Swagger UI page `html`: its CDN, and the hashes of its inline scripts."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {DOCS_CDN} {hashes}",
            f"style-src {DOCS_CDN} 'unsafe-inline'",
            "img-src 'self' data: https://fastapi.tiangolo.com",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeadersMiddleware:
    """Pure ASGI: adds the headers to every HTTP answer that does not set them itself.

    HSTS only on answers to HTTPS requests (the scheme is the proxy's when a trusted proxy said
    so, see togglr.web.proxies): a browser must learn it over a connection it can trust.
    """

    def __init__(self, app: ASGIApp, hsts_max_age: int) -> None:
        self.app = app
        self._headers: list[tuple[bytes, bytes]] = [
            (_CSP, UI_POLICY.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),  # reset links carry their token in the URL
        ]
        self._hsts = (b"strict-transport-security", b"max-age=%d" % hsts_max_age)
        self._hsts_on = hsts_max_age > 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self._headers)
        if self._hsts_on and scope.get("scheme") == "https":
            extra.append(self._hsts)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in extra if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
