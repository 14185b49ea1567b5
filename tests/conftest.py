"""Shared fixtures: a real server app on a temporary SQLite file (or PostgreSQL), driven over ASGI."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from togglr.bootstrap import build_app
from togglr.config import Settings
from togglr.storage.sql.migrate import upgrade

ADMIN_EMAIL = "admin@togglr.dev"
ADMIN_PASSWORD = "admin-password-1"
IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("TOGGLR_TEST_POSTGRES_URL") or (
    "postgresql+asyncpg://postgres@127.0.0.1:5432/test" if IN_CI else None
)
NATS_URL = os.environ.get("TOGGLR_TEST_NATS_URL") or ("nats://127.0.0.1:4222" if IN_CI else None)


def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/togglr.db"


_PG_TEMPLATE: str | None = None
_PG_CREATED: list[str] = []
_SQLITE_TEMPLATE: Path | None = None


async def _pg_admin(sql: str) -> None:
    import asyncpg

    assert POSTGRES_URL is not None
    conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_url(name: str) -> str:
    assert POSTGRES_URL is not None
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


async def fresh_postgres_url(*, migrated: bool = True) -> str:
    """A clean PostgreSQL database: the session's migrated one with every table emptied, or a new empty one.

    Truncating is much cheaper than CREATE/DROP DATABASE, which checkpoints each time.
    """
    global _PG_TEMPLATE
    if not migrated:
        name = "togglr_t_" + uuid.uuid4().hex[:12]
        await _pg_admin(f'CREATE DATABASE "{name}"')
        _PG_CREATED.append(name)
        return _pg_url(name)
    if _PG_TEMPLATE is None:
        name = f"togglr_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        await _pg_admin(f'CREATE DATABASE "{name}"')
        _PG_CREATED.append(name)
        await asyncio.to_thread(upgrade, _pg_url(name))
        _PG_TEMPLATE = name
        return _pg_url(name)
    import asyncpg

    conn = await asyncpg.connect(
        _pg_url(_PG_TEMPLATE).replace("postgresql+asyncpg://", "postgresql://")
    )
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        if tables:
            names = ", ".join(f'"{t["tablename"]}"' for t in tables)
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
    return _pg_url(_PG_TEMPLATE)


async def fresh_sqlite_url(tmp_path: Any) -> str:
    """A copy of a migrated SQLite file (migrating once per session keeps the suite fast)."""
    global _SQLITE_TEMPLATE
    if _SQLITE_TEMPLATE is None:
        folder = Path(tempfile.mkdtemp(prefix="togglr-tmpl-"))
        template = folder / "template.db"
        await asyncio.to_thread(upgrade, f"sqlite+aiosqlite:///{template}")
        _SQLITE_TEMPLATE = template
    target = Path(tmp_path) / "togglr.db"
    shutil.copyfile(_SQLITE_TEMPLATE, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    yield
    if POSTGRES_URL is None or not _PG_CREATED:
        return

    async def drop() -> None:
        for name in reversed(_PG_CREATED):
            # best effort: a leftover test database harms nothing
            with contextlib.suppress(Exception):
                await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    asyncio.run(drop())


def make_settings(url: str, tmp_path: Any, **extra: Any) -> Settings:
    return Settings(
        database_url=url,
        data_dir=tmp_path,
        jwt_secret="test-secret-" + "x" * 32,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        metrics_port=0,
        fast_password_hashing=True,
        **extra,
    )


ADMIN_CHOSEN_PASSWORD = "admin-chosen-pass-2"


def sign_in_admin(base_url: str) -> dict[str, str]:
    """Bearer headers of the bootstrap admin on a server in another thread or process. The first
    time, it replaces the temporary password (the server holds everything else until then);
    later sign-ins, e.g. after a restart, use the chosen one."""
    login = "/api/v1/auth/login"
    with httpx.Client(base_url=base_url, timeout=10) as c:
        r = c.post(login, json={"username": "admin", "password": ADMIN_PASSWORD})
        if r.status_code == 401:
            r = c.post(login, json={"username": "admin", "password": ADMIN_CHOSEN_PASSWORD})
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        if r.json()["is_tmp_password"]:
            body = {"old_password": ADMIN_PASSWORD, "new_password": ADMIN_CHOSEN_PASSWORD}
            changed = c.post("/api/v1/users/me/change-password", json=body, headers=headers)
            assert changed.status_code == 204, changed.text
        return headers


@dataclass
class Api:
    """An HTTP client bound to a running app, with helpers for the common set-up steps."""

    client: httpx.AsyncClient
    app: Any

    @property
    def services(self) -> Any:
        return self.app.runtime.services

    async def login(self, username: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> str:
        r = await self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert r.status_code == 200, r.text
        if r.json()["is_tmp_password"]:
            await self.password_chosen(username)
        return str(r.json()["access_token"])

    async def password_chosen(self, login: str) -> None:
        """Shortcut for "this user replaced the temporary password" (the server holds everything
        else until then), keeping the password: helpers' users are ordinary accounts. Tests of the
        hold itself sign in with `client.post`."""
        async with self.services.storage.unit_of_work() as uow:
            user = await uow.users.find_by_login(login)
            await uow.users.update(replace(user, is_tmp_password=False), datetime.now(UTC))

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def admin(self) -> dict[str, str]:
        return self.auth(await self.login())

    async def project(self, headers: dict[str, str], name: str | None = None) -> dict[str, Any]:
        r = await self.client.post(
            "/api/v1/projects", json={"name": name or f"p-{uuid.uuid4().hex[:8]}"}, headers=headers
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def sdk_key(self, headers: dict[str, str], project_id: str, env: str = "prod") -> str:
        r = await self.client.get(
            f"/api/v1/projects/{project_id}/environments/{env}", headers=headers
        )
        assert r.status_code == 200, r.text
        return str(r.json()["api_key"])

    async def feature(
        self, headers: dict[str, str], project_id: str, **body: Any
    ) -> dict[str, Any]:
        payload = {
            "key": f"f_{uuid.uuid4().hex[:8]}",
            "name": "A feature",
            "kind": "simple",
            **body,
        }
        r = await self.client.post(
            f"/api/v1/projects/{project_id}/features", json=payload, headers=headers
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def put_state(
        self, headers: dict[str, str], feature_id: str, env: str = "prod", **body: Any
    ) -> dict[str, Any]:
        r = await self.client.put(
            f"/api/v1/features/{feature_id}/environments/{env}", json=body, headers=headers
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def create_user(
        self, headers: dict[str, str], username: str, password: str = "user-password-1"
    ) -> dict[str, Any]:
        r = await self.client.post(
            "/api/v1/users",
            json={"username": username, "email": f"{username}@example.com", "password": password},
            headers=headers,
        )
        assert r.status_code == 201, r.text
        return dict(r.json())


async def start_api(url: str, tmp_path: Any, **extra: Any) -> AsyncIterator[Api]:
    app = build_app(make_settings(url, tmp_path, **extra))
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://togglr.test") as client:
            yield Api(client, app)


@contextlib.asynccontextmanager
async def running_api(url: str, tmp_path: Any, **settings: Any) -> AsyncIterator[Api]:
    """`start_api` as a context manager: another app on a database, e.g. a second node or a restart."""
    async for api in start_api(url, tmp_path, **settings):
        yield api


def _backends() -> list[Any]:
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]


@pytest.fixture(params=_backends())
async def api(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[Api]:
    """A running app on SQLite and (when available) PostgreSQL."""
    if request.param == "postgres":
        if POSTGRES_URL is None:
            pytest.skip("PostgreSQL not configured: set TOGGLR_TEST_POSTGRES_URL (always on in CI)")
        url = await fresh_postgres_url()
    else:
        url = await fresh_sqlite_url(tmp_path)
    async for a in start_api(url, tmp_path):
        yield a


@pytest.fixture
async def sqlite_api(tmp_path: Any) -> AsyncIterator[Api]:
    """A running app on SQLite only, for tests of web behaviour that the database does not change."""
    async for a in start_api(await fresh_sqlite_url(tmp_path), tmp_path):
        yield a


@dataclass
class LiveServer:
    """A real server on a loopback port (uvicorn in a thread), for clients that need a socket."""

    url: str
    app: Any

    @property
    def services(self) -> Any:
        return self.app.runtime.services


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def run_live_server(url: str, tmp_path: Any, **extra: Any) -> Iterator[LiveServer]:
    import threading

    import uvicorn

    port = free_port()
    app = build_app(make_settings(url, tmp_path, **extra))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
async def live_server(tmp_path: Any) -> AsyncIterator[LiveServer]:
    """A real server on SQLite listening on a loopback port."""
    url = await fresh_sqlite_url(tmp_path)
    with run_live_server(url, tmp_path) as server:
        yield server


@pytest.fixture(params=_backends())
async def live_server_any(
    request: pytest.FixtureRequest, tmp_path: Any
) -> AsyncIterator[LiveServer]:
    """A real server on a loopback port, on SQLite and (when available) PostgreSQL."""
    if request.param == "postgres":
        if POSTGRES_URL is None:
            pytest.skip("PostgreSQL not configured: set TOGGLR_TEST_POSTGRES_URL (always on in CI)")
        url = await fresh_postgres_url()
    else:
        url = await fresh_sqlite_url(tmp_path)
    with run_live_server(url, tmp_path) as server:
        yield server
