"""Helpers for the governance API tests: real HTTP and SMTP receivers, users with roles, polling."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from tests.conftest import (
    POSTGRES_URL,
    Api,
    _backends,
    free_port,
    fresh_postgres_url,
    fresh_sqlite_url,
    start_api,
)

PASSWORD = "user-password-1"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class HttpReceiver:
    """A tiny HTTP/1.1 server on 127.0.0.1 that records every request and answers `status`."""

    status: int = 200
    answer: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=dict)  # extra answer headers
    requests: list[Received] = field(default_factory=list)
    server: asyncio.Server | None = None
    tls: ssl.SSLContext | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"

    async def start(self, tls: ssl.SSLContext | None = None) -> HttpReceiver:
        self.tls = tls
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=tls)
        return self

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                method, path, _ = line.decode().split(" ", 2)
                headers: dict[str, str] = {}
                while (raw := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = raw.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append(Received(method, path, headers, body))
                reason = b"OK" if self.status < 400 else b"ERROR"
                extra = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items()).encode()
                writer.write(
                    b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s"
                    % (self.status, reason, len(self.answer), extra, self.answer)
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd hook
        self.messages.append(envelope)
        return "250 OK"


class SmtpReceiver:
    """aiosmtpd on a free port, collecting every envelope."""

    def __init__(self) -> None:
        self.box = _Mailbox()
        self.port = free_port()
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[Any]:
        return self.box.messages


def verify_signature(secret: str, received: Received) -> bool:
    timestamp = received.headers["x-togglr-timestamp"]
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(received.headers["x-togglr-signature"], f"sha256={expected}")


async def eventually(
    check: Callable[[], Awaitable[Any]], within: float = 8.0, interval: float = 0.05
) -> Any:
    """Poll `check` until it returns something truthy."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s (last result: {result!r})")
        await asyncio.sleep(interval)


def module_api(**settings: Any) -> Any:
    """A module-scoped `api` fixture (one app per backend for the whole module), so a test module
    pays the start-up once. Tests share the app but each builds its own project and users."""

    @pytest_asyncio.fixture(scope="module", loop_scope="module", params=_backends())
    async def api(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> AsyncIterator[Api]:
        if request.param == "postgres":
            if POSTGRES_URL is None:
                pytest.skip(
                    "PostgreSQL not configured: set TOGGLR_TEST_POSTGRES_URL (always on in CI)"
                )
            url = await fresh_postgres_url()
        else:
            url = await fresh_sqlite_url(tmp_path_factory.mktemp("gov"))
        async for running in start_api(url, tmp_path_factory.mktemp("data"), **settings):
            yield running

    return api


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


async def member(
    api: Api, admin: dict[str, str], project_id: str, name: str, role: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """A new user with `role` in the project, and their auth headers. The name gets a suffix
    (`user["username"]`), as tests share one app per module."""
    name = unique(name)
    user = await api.create_user(admin, name, PASSWORD)
    r = await api.client.post(
        f"/api/v1/projects/{project_id}/memberships",
        json={"user_id": user["id"], "role_id": role},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    token = await api.login(name, PASSWORD)
    user["password"] = PASSWORD
    return user, api.auth(token)


async def audit(
    api: Api, headers: dict[str, str], project_id: str, **params: Any
) -> list[dict[str, Any]]:
    r = await api.client.get(
        f"/api/v1/projects/{project_id}/audit", params={"per_page": 200, **params}, headers=headers
    )
    assert r.status_code == 200, r.text
    return list(r.json()["items"])
