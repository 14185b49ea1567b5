"""Sign-in, token rotation, password change and the bootstrap admin."""

from __future__ import annotations

from typing import Any

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api, running_api


async def test_login_by_email_or_username_and_me(api: Api) -> None:
    r = await api.client.post(
        "/api/v1/auth/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["expires_in"] == 900  # seconds, not a timestamp
    assert body["is_tmp_password"] is True
    r = await api.client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert r.status_code == 200
    me = await api.client.get("/api/v1/users/me", headers=api.auth(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == ADMIN_EMAIL
    assert me.json()["is_superuser"] is True


async def test_bad_credentials_and_bad_bodies_are_4xx_json(api: Api) -> None:
    r = await api.client.post(
        "/api/v1/auth/login", json={"username": ADMIN_EMAIL, "password": "nope"}
    )
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_credentials"
    r = await api.client.post("/api/v1/auth/login", json={"username": "ghost", "password": "nope"})
    assert r.status_code == 401
    r = await api.client.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_input"
    r = await api.client.post("/api/v1/auth/login", json={"username": ""})
    assert r.status_code == 400
    r = await api.client.get("/api/v1/users/me")
    assert r.status_code == 401
    r = await api.client.get("/api/v1/users/me", headers={"Authorization": "Bearer garbage"})
    assert r.status_code == 401


async def test_refresh_rotates_and_a_reused_token_ends_the_session(api: Api, tmp_path: Any) -> None:
    # no grace window, so the immediate reuse below counts as theft
    url = api.app.runtime.settings.database_url  # a second app on the same database
    async with running_api(url, tmp_path, refresh_reuse_grace=0) as strict:
        client = strict.client
        r = await client.post(
            "/api/v1/auth/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        first = r.json()["refresh_token"]
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
        assert r.status_code == 200
        second = r.json()["refresh_token"]
        assert second != first
        reuse = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
        assert reuse.status_code == 401
        assert reuse.json()["error"]["code"] == "token_reused"
        # the reuse revoked the whole family, so the newer token is dead too
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": second})
        assert r.status_code == 401


async def test_a_token_reused_within_the_grace_window_keeps_the_session(api: Api) -> None:
    """A reload racing a silent refresh sends the old token again: same session, new pair."""
    await api.password_chosen(ADMIN_EMAIL)  # sessions are held while the password is temporary
    r = await api.client.post(
        "/api/v1/auth/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    first = r.json()["refresh_token"]
    second = (await api.client.post("/api/v1/auth/refresh", json={"refresh_token": first})).json()
    again = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert again.status_code == 200, again.text
    third = again.json()
    assert third["refresh_token"] not in (first, second["refresh_token"])
    # both branches stay usable and belong to one session
    for token in (second, third):
        r = await api.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": token["refresh_token"]}
        )
        assert r.status_code == 200, r.text
    sessions = await api.client.get(
        "/api/v1/users/me/sessions", headers={"Authorization": f"Bearer {third['access_token']}"}
    )
    assert len(sessions.json()["items"]) == 1


async def test_access_token_is_not_a_refresh_token(api: Api) -> None:
    token = await api.login()
    r = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    assert r.status_code == 401


async def test_logout_revokes_the_refresh_token(api: Api) -> None:
    r = await api.client.post(
        "/api/v1/auth/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    refresh = r.json()["refresh_token"]
    assert (
        await api.client.post("/api/v1/auth/logout", json={"refresh_token": refresh})
    ).status_code == 204
    assert (
        await api.client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    ).status_code == 401


async def test_new_user_must_change_password_and_change_clears_the_flag(api: Api) -> None:
    h = await api.admin()
    await api.create_user(h, "alice", "first-password-1")
    r = await api.client.post(
        "/api/v1/auth/login", json={"username": "alice", "password": "first-password-1"}
    )
    assert r.json()["is_tmp_password"] is True
    alice = api.auth(r.json()["access_token"])
    bad = await api.client.post(
        "/api/v1/users/me/change-password",
        json={"old_password": "wrong", "new_password": "x" * 12},
        headers=alice,
    )
    assert bad.status_code == 400
    short = await api.client.post(
        "/api/v1/users/me/change-password",
        json={"old_password": "first-password-1", "new_password": "short"},
        headers=alice,
    )
    assert short.status_code == 400
    ok = await api.client.post(
        "/api/v1/users/me/change-password",
        json={"old_password": "first-password-1", "new_password": "second-password-2"},
        headers=alice,
    )
    assert ok.status_code == 204
    r = await api.client.post(
        "/api/v1/auth/login", json={"username": "alice", "password": "second-password-2"}
    )
    assert r.status_code == 200
    assert r.json()["is_tmp_password"] is False


async def test_only_superusers_create_users_and_duplicates_conflict(api: Api) -> None:
    h = await api.admin()
    await api.create_user(h, "bob")
    bob = api.auth(await api.login("bob", "user-password-1"))
    r = await api.client.post(
        "/api/v1/users",
        json={"username": "eve", "email": "eve@example.com", "password": "eve-password-1"},
        headers=bob,
    )
    assert r.status_code == 403
    r = await api.client.post(
        "/api/v1/users",
        json={"username": "bob", "email": "bob2@example.com", "password": "bob-password-2"},
        headers=h,
    )
    assert r.status_code == 409


async def test_deactivated_user_cannot_sign_in_or_use_tokens(api: Api) -> None:
    h = await api.admin()
    user = await api.create_user(h, "carol")
    token = await api.login("carol", "user-password-1")
    r = await api.client.patch(f"/api/v1/users/{user['id']}", json={"is_active": False}, headers=h)
    assert r.status_code == 200
    assert (await api.client.get("/api/v1/users/me", headers=api.auth(token))).status_code == 401
    r = await api.client.post(
        "/api/v1/auth/login", json={"username": "carol", "password": "user-password-1"}
    )
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "inactive_user"


async def test_roles_endpoint(api: Api) -> None:
    h = await api.admin()
    r = await api.client.get("/api/v1/roles", headers=h)
    keys = [role["key"] for role in r.json()["items"]]
    assert keys == ["owner", "manager", "member", "viewer"]
