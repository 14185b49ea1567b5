"""X-Forwarded-For counts only from TOGGLR_TRUSTED_PROXIES, never by default, not even from
loopback: the login limit and the security log see the real peer (issue 10, item 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api, fresh_sqlite_url, running_api
from tests.support.serve import togglr_serve

from togglr.config import Settings

NEW_PASSWORD = "a-much-better-password-2"


async def _failed_login_ip(api: Api, peer: str, forwarded: str) -> str:
    transport = httpx.ASGITransport(app=api.app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://togglr.test") as c:
        r = await c.post(
            "/api/v1/auth/login",
            json={"username": ADMIN_EMAIL, "password": "wrong-password"},
            headers={"X-Forwarded-For": forwarded},
        )
        assert r.status_code == 401
    admin = await api.admin()
    r = await api.client.get(
        "/api/v1/security-events?action=login_failed&per_page=1", headers=admin
    )
    return str(r.json()["items"][0]["new_value"]["ip"])


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    tmp_path: Path,
) -> None:
    url = await fresh_sqlite_url(tmp_path)
    async with running_api(url, tmp_path) as api:
        assert await _failed_login_ip(api, "127.0.0.1", "203.0.113.7") == "127.0.0.1"
    async with running_api(url, tmp_path, trusted_proxies="10.0.0.0/8, 127.0.0.1") as api:
        # from the proxy: the client it names (the right-most address that is not a proxy)
        ip = await _failed_login_ip(api, "10.1.2.3", "198.51.100.1, 203.0.113.7, 10.9.9.9")
        assert ip == "203.0.113.7"
        # from anyone else: the peer itself
        assert await _failed_login_ip(api, "192.0.2.50", "203.0.113.8") == "192.0.2.50"


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    assert Settings(trusted_proxies="10.0.0.5, fd00::/8").trusted_proxies == [
        "10.0.0.5/32",
        "fd00::/8",
    ]
    with pytest.raises(ValueError, match=r"not an IP address or network: 'proxy\.local'"):
        Settings(trusted_proxies="proxy.local")


def _sign_in(c: httpx.Client, password: str, forwarded: str, user: str = ADMIN_EMAIL) -> Any:
    return c.post(
        "/api/v1/auth/login",
        json={"username": user, "password": password},
        headers={"X-Forwarded-For": forwarded},
    )


@pytest.mark.slow
def test_over_http_a_loopback_client_cannot_choose_its_address(tmp_path: Path) -> None:
    """The production server (`togglr serve`): uvicorn used to believe X-Forwarded-For from
    127.0.0.1, so a local client spread its failures over invented addresses."""
    with togglr_serve(tmp_path) as server, httpx.Client(base_url=server.url, timeout=30) as c:
        r = _sign_in(c, ADMIN_PASSWORD, "203.0.113.7")
        assert r.status_code == 200, r.text
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = c.post(
            "/api/v1/users/me/change-password",
            json={"old_password": ADMIN_PASSWORD, "new_password": NEW_PASSWORD},
            headers=admin,
        )
        assert r.status_code == 204, r.text
        admin = {"Authorization": f"Bearer {_sign_in(c, NEW_PASSWORD, '').json()['access_token']}"}
        events = c.get("/api/v1/users/me/security-events?action=login", headers=admin).json()
        assert {e["new_value"]["ip"] for e in events["items"]} == {"127.0.0.1"}

        # 30 failures from "30 addresses" are 30 failures from this one: it is locked out
        for i in range(30):
            r = _sign_in(c, "wrong-password", f"198.51.100.{i + 1}", user=f"ghost-{i}")
            assert r.status_code == 401, r.text
        r = _sign_in(c, NEW_PASSWORD, "198.51.100.200")
        assert r.status_code == 429, r.text
