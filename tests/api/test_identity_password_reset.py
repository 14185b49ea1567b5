"""Forgotten passwords: the link comes by real SMTP, works once, expires, ends old sessions."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from tests.api.test_identity_support import Node, body_text, module_fixtures, sign_in, unique
from tests.conftest import Api

from togglr.storage.sql.tables_identity import password_resets

pytestmark = pytest.mark.asyncio(loop_scope="module")
node, api = module_fixtures(smtp=True)
NEW_PASSWORD = "brand-new-pass-9"


def link_token(text: str) -> str:
    match = re.search(r"(https://flags\.example\.com/reset-password\?\S+)", text)
    assert match, text
    return parse_qs(urlparse(match.group(1)).query)["token"][0]


async def reset(api: Api, token: str, password: str = NEW_PASSWORD) -> int:
    r = await api.client.post(
        "/api/v1/auth/reset-password", json={"token": token, "new_password": password}
    )
    return r.status_code


async def test_a_user_resets_a_forgotten_password_from_the_e_mail(api: Api, node: Node) -> None:
    assert node.sink is not None
    admin = await api.admin()
    name = unique("frank")
    await api.create_user(admin, name)
    old_session = (await sign_in(api, name)).json()["refresh_token"]

    email = f"{name}@example.com"
    r = await api.client.post("/api/v1/auth/forgot-password", json={"email": email.upper()})
    assert r.status_code == 204
    mail = await node.sink.wait_for(email)
    assert mail["Subject"] == "Togglr: reset your password"
    assert "togglr@test.dev" in str(mail["From"])
    assert any(p.get_content_type() == "text/html" for p in mail.walk())
    token = link_token(body_text(mail))

    assert await reset(api, token, "short") == 400  # too weak; the link stays usable
    assert await reset(api, token) == 204
    assert (await sign_in(api, name)).status_code == 401
    r = await sign_in(api, name, NEW_PASSWORD)
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

    frank = api.auth(await api.login(name, NEW_PASSWORD))
    r = await api.client.get("/api/v1/users/me/security-events", headers=frank)
    actions = [e["action"] for e in r.json()["items"]]
    assert "password_reset_requested" in actions and "password_reset" in actions


async def test_the_answer_never_tells_whether_an_account_exists(api: Api, node: Node) -> None:
    assert node.sink is not None
    admin = await api.admin()
    name, ghost = unique("gina"), unique("nobody")
    user = await api.create_user(admin, name)
    await api.client.patch(f"/api/v1/users/{user['id']}", json={"is_active": False}, headers=admin)
    for email in (f"{ghost}@example.com", f"{name}@example.com"):
        r = await api.client.post("/api/v1/auth/forgot-password", json={"email": email})
        assert r.status_code == 204
        assert r.content == b""
    canary = unique("canary")
    await api.create_user(admin, canary)
    await api.client.post("/api/v1/auth/forgot-password", json={"email": f"{canary}@example.com"})
    await node.sink.wait_for(f"{canary}@example.com")
    await asyncio.sleep(0.2)
    assert not node.sink.to(ghost) and not node.sink.to(name)  # unknown, inactive: no mail

    for body in ({}, {"email": ""}, {"email": "not-an-address"}):
        r = await api.client.post("/api/v1/auth/forgot-password", json=body)
        assert r.status_code == 400
    assert await reset(api, "made-up") == 400
    r = await api.client.post("/api/v1/auth/reset-password", json={"token": ""})
    assert r.status_code == 400


async def test_an_expired_link_is_refused_and_requests_are_rate_limited(
    api: Api, node: Node
) -> None:
    assert node.sink is not None
    admin = await api.admin()
    name, ghost = unique("hank"), unique("ghost")
    user = await api.create_user(admin, name)
    await api.client.post("/api/v1/auth/forgot-password", json={"email": f"{name}@example.com"})
    token = link_token(body_text(await node.sink.wait_for(f"{name}@example.com")))
    async with api.services.storage.unit_of_work() as uow:
        past = datetime.now(UTC) - timedelta(minutes=1)
        await uow.connection.execute(
            sa.update(password_resets)
            .where(password_resets.c.user_id == user["id"])
            .values(expires_at=past)
        )
    assert await reset(api, token) == 400

    # five requests per address per hour, then 429: for known and unknown addresses alike
    for email, earlier in ((f"{name}@example.com", 1), (f"{ghost}@example.com", 0)):
        statuses = [
            (
                await api.client.post("/api/v1/auth/forgot-password", json={"email": email})
            ).status_code
            for _ in range(6 - earlier)
        ]
        assert statuses == [204] * (5 - earlier) + [429], statuses
    r = await api.client.post(
        "/api/v1/auth/forgot-password", json={"email": f"{ghost}@example.com"}
    )
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 3000


async def test_changing_the_password_ends_other_sessions(api: Api) -> None:
    admin = await api.admin()
    name = unique("ivy")
    await api.create_user(admin, name)
    first = (await sign_in(api, name)).json()
    r = await api.client.post(
        "/api/v1/users/me/change-password",
        json={"old_password": "user-password-1", "new_password": "ivy-new-password-2"},
        headers=api.auth(first["access_token"]),
    )
    assert r.status_code == 204
    r = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert r.status_code == 401
