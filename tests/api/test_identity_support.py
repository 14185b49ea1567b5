"""Shared pieces of the identity tests: a real SMTP server, a TOTP authenticator, app start-up.

Holds no tests itself; the test_identity_* modules import from it.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import httpx
import pyotp
import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from tests.conftest import (
    POSTGRES_URL,
    Api,
    free_port,
    fresh_postgres_url,
    fresh_sqlite_url,
    start_api,
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@dataclass
class SmtpSink:
    """Collects every message a real SMTP server (aiosmtpd) receives."""

    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd hook
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"

    async def wait_for(self, to: str, seconds: float = 10.0) -> Message:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for m in self.messages:
                if to in str(m["To"]):
                    return m
            await asyncio.sleep(0.05)
        raise AssertionError(f"no e-mail to {to} within {seconds}s")

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in str(m["To"])]


def body_text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError("no text part")


@contextmanager
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def mailer_settings(sink: SmtpSink) -> dict[str, Any]:
    return {
        "mailer_host": "127.0.0.1",
        "mailer_port": sink.port,
        "mailer_tls": "none",
        "mailer_from": "Togglr <togglr@test.dev>",
        "frontend_url": "https://flags.example.com/",
    }


async def database_url(backend: str, tmp_path: Any) -> str:
    if backend == "postgres":
        if POSTGRES_URL is None:
            pytest.skip("PostgreSQL not configured: set TOGGLR_TEST_POSTGRES_URL (always on in CI)")
        return await fresh_postgres_url()
    return await fresh_sqlite_url(tmp_path)


@asynccontextmanager
async def running(url: str, tmp_path: Any, **settings: Any) -> AsyncIterator[Api]:
    async for api in start_api(url, tmp_path, **settings):
        yield api


def unique(name: str) -> str:
    """Tests of a module share one app, so each names its own users."""
    return f"{name}-{uuid.uuid4().hex[:6]}"


def some_address() -> str:
    """A client address of its own, so per-address counters of tests (and of other runs sharing
    Redis) stay apart."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


@dataclass
class Node:
    api: Api
    sink: SmtpSink | None


def module_fixtures(*, smtp: bool = False) -> tuple[Any, Any]:
    """`node`: one app per backend for the whole module (start-up is the slow part), with a real
    SMTP server when asked. `api`: per test, a client from an address of its own."""

    @pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
    async def node(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> AsyncIterator[Node]:
        url = await database_url(request.param, tmp_path_factory.mktemp("db"))
        data = tmp_path_factory.mktemp("data")
        if not smtp:
            async with running(url, data) as app:
                yield Node(app, None)
            return
        with smtp_server() as sink:
            async with running(url, data, **mailer_settings(sink)) as app:
                yield Node(app, sink)

    @pytest_asyncio.fixture(loop_scope="module")
    async def api(node: Node) -> AsyncIterator[Api]:
        async with client_at(node.api, some_address()) as client:
            yield Api(client, node.api.app)

    return node, api


@asynccontextmanager
async def client_at(api: Api, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client that reaches the same app from another address."""
    transport = httpx.ASGITransport(app=api.app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://togglr.test") as client:
        yield client


class Authenticator:
    """An authenticator app. The server accepts each time step once (replay guard) and the steps
    next to the current one, so it hands out the previous, current and next step's code in turn."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        # Stay clear of a step boundary so the three steps remain valid while the test runs.
        if time.time() % 30 > 25:
            time.sleep(30 - time.time() % 30 + 0.1)
        self._base = int(time.time()) // 30
        self._next = -1

    def code(self) -> str:
        assert self._next <= 1, "only three codes per test (steps -1, 0, +1)"
        code = self.totp.at((self._base + self._next) * 30)
        self._next += 1
        return code

    def wrong_code(self) -> str:
        valid = {self.totp.at((self._base + d) * 30) for d in (-1, 0, 1)}
        return next(c for c in (f"{n:06d}" for n in range(1000000)) if c not in valid)


async def sign_in(
    api: Api,
    username: str,
    password: str = "user-password-1",
    client: httpx.AsyncClient | None = None,
) -> httpx.Response:
    return await (client or api.client).post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )


async def user_headers(
    api: Api, admin: dict[str, str], username: str
) -> tuple[dict[str, Any], dict[str, str]]:
    user = await api.create_user(admin, username)
    return user, api.auth(await api.login(username, "user-password-1"))


async def enable_two_factor(api: Api, headers: dict[str, str]) -> tuple[Authenticator, list[str]]:
    r = await api.client.post("/api/v1/users/me/2fa/setup", headers=headers)
    assert r.status_code == 200, r.text
    app = Authenticator(r.json()["secret"])
    r = await api.client.post(
        "/api/v1/users/me/2fa/confirm", json={"code": app.code()}, headers=headers
    )
    assert r.status_code == 200, r.text
    return app, r.json()["recovery_codes"]
