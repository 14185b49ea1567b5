"""Client address and scheme from X-Forwarded-For / X-Forwarded-Proto, believed only from our proxies.

Anyone can send these headers. Believing them from any peer (or from loopback, uvicorn's default)
lets a client pick the address the login rate limit counts and the security log records, so
they count only when the connection comes from an address in TOGGLR_TRUSTED_PROXIES. The
header parsing is uvicorn's (the right-most untrusted hop of X-Forwarded-For is the client).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def behind_proxies(app: ASGIApp, networks: list[str]) -> ASGIApp:
    """`app`, reading forwarded headers from peers in `networks` (CIDR strings); as is when none."""
    if not networks:
        return app
    return ProxyHeadersMiddleware(app, trusted_hosts=networks)  # type: ignore[arg-type,return-value]
