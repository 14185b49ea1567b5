"""Forgotten passwords: the link comes by real SMTP, works once, expires, ends old sessions."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from tests.api.test_identity_support import (
    BACKENDS,
    SmtpSink,
    body_text,
    database_url,
    mailer_settings,
    running,
    sign_in,
    smtp_server,
)
from tests.conftest import Api

from togglr.storage.sql.tables_identity import password_resets


@pytest.fixture(params=BACKENDS)
async def env(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[tuple[Api, SmtpSink]]:
    url = await database_url(request.param, tmp_path)
    with smtp_server() as sink:
        async with running(url, tmp_path, **mailer_settings(sink)) as api:
            yield api, sink


def link_token(text: str) -> str:
    match = re.search(r"(https://flags\.example\.com/reset-password\?\S+)", text)
    assert match, text
    return parse_qs(urlparse(match.group(1)).query)["token"][0]


async def test_a_user_resets_a_forgotten_password_from_the_e_mail(env: Any) -> None:
    api, sink = env
    admin = await api.admin()
    await api.create_user(admin, "frank")
    old_session = (await sign_in(api, "frank")).json()["refresh_token"]

    r = await api.client.post("/api/v1/auth/forgot-password", json={"email": "Frank@Example.com"})
    assert r.status_code == 204
    mail = await sink.wait_for("frank@example.com")
    assert mail["Subject"] == "Togglr: reset your password"
    assert "togglr@test.dev" in str(mail["From"])
    assert any(p.get_content_type() == "text/html" for p in mail.walk())
    token = link_token(body_text(mail))

    weak = await api.client.post(
        "/api/v1/auth/reset-password", json={"token": token, "new_password": "short"}
    )
    assert weak.status_code == 400
    r = await api.client.post(
        "/api/v1/auth/reset-password", json={"token": token, "new_password": "brand-new-pass-9"}
    )
    assert r.status_code == 204
    assert (await sign_in(api, "frank")).status_code == 401
    r = await sign_in(api, "frank", "brand-new-pass-9")
    assert r.status_code == 200
    assert r.json()["is_tmp_password"] is False
    # the sessions from before the reset are over
    r = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": old_session})
    assert r.status_code == 401
    # and the link works once
    r = await api.client.post(
        "/api/v1/auth/reset-password", json={"token": token, "new_password": "another-pass-99"}
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_token"

    frank = api.auth(await api.login("frank", "brand-new-pass-9"))
    actions = [
        e["action"]
        for e in (await api.client.get("/api/v1/users/me/security-events", headers=frank)).json()[
            "items"
        ]
    ]
    assert "password_reset_requested" in actions and "password_reset" in actions


async def test_the_answer_never_tells_whether_an_account_exists(env: Any) -> None:
    api, sink = env
    admin = await api.admin()
    user = await api.create_user(admin, "gina")
    await api.client.patch(f"/api/v1/users/{user['id']}", json={"is_active": False}, headers=admin)
    for email in ("nobody@example.com", "gina@example.com"):
        r = await api.client.post("/api/v1/auth/forgot-password", json={"email": email})
        assert r.status_code == 204
        assert r.content == b""
    await api.client.post("/api/v1/auth/forgot-password", json={"email": "admin@togglr.dev"})
    await sink.wait_for("admin@togglr.dev")
    await asyncio.sleep(0.2)
    assert not sink.to("nobody@example.com") and not sink.to(
        "gina@example.com"
    )  # inactive: no link

    for body in ({}, {"email": ""}, {"email": "not-an-address"}):
        assert (await api.client.post("/api/v1/auth/forgot-password", json=body)).status_code == 400
    r = await api.client.post(
        "/api/v1/auth/reset-password", json={"token": "made-up", "new_password": "long-enough-1"}
    )
    assert r.status_code == 400
    assert (
        await api.client.post("/api/v1/auth/reset-password", json={"token": ""})
    ).status_code == 400


async def test_an_expired_link_is_refused_and_requests_are_rate_limited(env: Any) -> None:
    api, sink = env
    admin = await api.admin()
    await api.create_user(admin, "hank")
    await api.client.post("/api/v1/auth/forgot-password", json={"email": "hank@example.com"})
    token = link_token(body_text(await sink.wait_for("hank@example.com")))
    async with api.services.storage.unit_of_work() as uow:
        past = datetime.now(UTC) - timedelta(minutes=1)
        await uow.connection.execute(sa.update(password_resets).values(expires_at=past))
    r = await api.client.post(
        "/api/v1/auth/reset-password", json={"token": token, "new_password": "brand-new-pass-9"}
    )
    assert r.status_code == 400

    # five requests per address per hour, then 429: for known and unknown addresses alike
    for email in ("hank@example.com", "ghost@example.com"):
        statuses = [
            (
                await api.client.post("/api/v1/auth/forgot-password", json={"email": email})
            ).status_code
            for _ in range(6 if email.startswith("ghost") else 5)
        ]
        assert statuses[-1] == 429, statuses
        assert statuses[:-1] == [204] * (len(statuses) - 1)
    r = await api.client.post("/api/v1/auth/forgot-password", json={"email": "ghost@example.com"})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 3000


async def test_changing_the_password_ends_other_sessions(env: Any) -> None:
    api, _ = env
    admin = await api.admin()
    await api.create_user(admin, "ivy")
    first = (await sign_in(api, "ivy")).json()
    r = await api.client.post(
        "/api/v1/users/me/change-password",
        json={"old_password": "user-password-1", "new_password": "ivy-new-password-2"},
        headers=api.auth(first["access_token"]),
    )
    assert r.status_code == 204
    assert (
        await api.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
    ).status_code == 401
