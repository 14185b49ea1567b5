"""The hold on accounts with a temporary password: the server, not the UI, enforces the change."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
import websockets
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api, LiveServer

METHODS = ("get", "post", "put", "patch", "delete")
# What a user with a temporary password may do (web.auth.principal_on_hold).
ALLOWED = {("get", "/api/v1/users/me"), ("post", "/api/v1/users/me/change-password")}
# Operations that take no bearer token at all, so the hold does not concern them. The web UI's
# forced change uses login, refresh and logout besides the two above.
PUBLIC = {
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/2fa/verify"),
    ("post", "/api/v1/auth/forgot-password"),
    ("post", "/api/v1/auth/reset-password"),
    ("get", "/api/v1/auth/sso/providers"),
    ("get", "/api/v1/auth/sso/{provider}/login"),
    ("post", "/api/v1/auth/sso/{provider}/acs"),
    ("get", "/api/v1/auth/sso/{provider}/metadata"),
}
NEW_PASSWORD = "a fresh own passphrase"


async def _temporary_superuser(api: Api) -> tuple[dict[str, Any], dict[str, str], str]:
    """A new superuser signed in with the temporary password an administrator gave them."""
    admin = await api.admin()
    r = await api.client.post(
        "/api/v1/users",
        json={
            "username": "newbie",
            "email": "newbie@example.com",
            "password": "user-password-1",
            "is_superuser": True,
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(
        "/api/v1/auth/login", json={"username": "newbie", "password": "user-password-1"}
    )
    assert r.status_code == 200 and r.json()["is_tmp_password"] is True, r.text
    return r.json(), api.auth(r.json()["access_token"]), r.json()["refresh_token"]


def _held(r: Any) -> bool:
    return bool(r.status_code == 403 and r.json()["error"]["code"] == "password_change_required")


async def test_a_temporary_password_holds_every_route_of_the_openapi_document(api: Api) -> None:
    admin = await api.admin()
    project = await api.project(admin)
    feature = await api.feature(admin, project["id"])
    _, held, _ = await _temporary_superuser(api)
    # Real ids where the path names them: a superuser would succeed if the hold were missing.
    ids = {
        "project_id": project["id"],
        "feature_id": feature["id"],
        "env": "prod",
        "env_key": "prod",
        "environment_key": "prod",
    }
    doc = (await api.client.get("/api/v1/openapi.json")).json()
    public: set[tuple[str, str]] = set()
    leaks: list[str] = []
    checked = 0
    for path, operations in doc["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            if not operation.get("security"):
                public.add((method, path))
                continue
            if (method, path) in ALLOWED:
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "x"), path)
            body = {} if method in ("post", "put", "patch") else None
            r = await api.client.request(method.upper(), url, json=body, headers=held)
            checked += 1
            if not _held(r):
                leaks.append(f"{method.upper()} {path}: {r.status_code} {r.text[:120]}")
    assert leaks == []
    assert checked > 100  # the whole document, not a few routes
    # A route without a bearer token is a deliberate choice, listed here.
    assert public == PUBLIC
    # The two allowed routes answer.
    me = await api.client.get("/api/v1/users/me", headers=held)
    assert me.status_code == 200 and me.json()["is_tmp_password"] is True


async def test_creating_projects_and_users_waits_for_the_change(api: Api) -> None:
    _, held, refresh = await _temporary_superuser(api)
    r = await api.client.post("/api/v1/projects", json={"name": "too-early"}, headers=held)
    assert _held(r), r.text
    r = await api.client.post(
        "/api/v1/users",
        json={"username": "mallory", "email": "m@example.com", "password": "user-password-1"},
        headers=held,
    )
    assert _held(r), r.text
    assert r.json()["error"]["message"].startswith("you signed in with a temporary password")
    # The web UI's forced-change page keeps its session alive meanwhile.
    r = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    assert r.status_code == 200 and r.json()["is_tmp_password"] is True
    held = api.auth(r.json()["access_token"])
    r = await api.client.post(
        "/api/v1/users/me/change-password",
        json={"old_password": "user-password-1", "new_password": NEW_PASSWORD},
        headers=held,
    )
    assert r.status_code == 204, r.text
    # The hold ends at once, for the very token that made the change.
    r = await api.client.post("/api/v1/projects", json={"name": "now-ok"}, headers=held)
    assert r.status_code == 201, r.text


async def test_a_reset_password_holds_the_users_api_tokens_too(api: Api) -> None:
    admin = await api.admin()
    project = await api.project(admin)
    user = await api.create_user(admin, "tokenuser")
    r = await api.client.post(
        f"/api/v1/projects/{project['id']}/memberships",
        json={"user_id": user["id"], "role_id": "member"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    own = api.auth(await api.login("tokenuser", "user-password-1"))
    r = await api.client.post(
        "/api/v1/users/me/tokens",
        json={"name": "ci", "project_id": project["id"], "role": "member"},
        headers=own,
    )
    assert r.status_code == 201, r.text
    token = api.auth(r.json()["token"])
    features = f"/api/v1/projects/{project['id']}/features"
    assert (await api.client.get(features, headers=token)).status_code == 200
    # A superuser resets the password (a lost or leaked one): the account is on hold.
    r = await api.client.post(f"/api/v1/users/{user['id']}/reset-password", headers=admin)
    temporary = r.json()["password"]
    r = await api.client.get(features, headers=token)
    assert _held(r), r.text
    # Until its owner signs in and chooses a password.
    r = await api.client.post(
        "/api/v1/auth/login", json={"username": "tokenuser", "password": temporary}
    )
    r = await api.client.post(
        "/api/v1/users/me/change-password",
        json={"old_password": temporary, "new_password": NEW_PASSWORD},
        headers=api.auth(r.json()["access_token"]),
    )
    assert r.status_code == 204, r.text
    assert (await api.client.get(features, headers=token)).status_code == 200


async def test_the_bootstrap_admin_is_held_until_the_first_change(api: Api) -> None:
    r = await api.client.post(
        "/api/v1/auth/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    held = api.auth(r.json()["access_token"])
    assert _held(await api.client.get("/api/v1/projects", headers=held))
    assert _held(await api.client.get("/api/v1/users/me/sessions", headers=held))


async def test_the_live_feed_refuses_a_held_account(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as c:
        r = await c.post(
            "/api/v1/auth/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        token = r.json()["access_token"]
        url = live_server.url.replace("http://", "ws://") + f"/api/ws?token={token}"
        with pytest.raises(websockets.exceptions.InvalidStatus) as caught:
            async with websockets.connect(url) as ws:
                await asyncio.wait_for(ws.recv(), 5)
        assert caught.value.response.status_code == 403  # refused before the upgrade
        r = await c.post(
            "/api/v1/users/me/change-password",
            json={"old_password": ADMIN_PASSWORD, "new_password": NEW_PASSWORD},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 204, r.text
        async with websockets.connect(url) as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
