"""Sign-in sessions a user can see and end, and the security log."""

from __future__ import annotations

import pytest
from tests.api.test_identity_support import client_at, module_fixtures, sign_in, unique
from tests.conftest import Api

pytestmark = pytest.mark.asyncio(loop_scope="module")
node, api = module_fixtures()


async def test_a_user_lists_sessions_and_ends_one_or_all(api: Api) -> None:
    admin = await api.admin()
    lena_name = unique("lena")
    await api.create_user(admin, lena_name)
    await api.password_chosen(lena_name)  # sessions are held while the password is temporary
    async with client_at(api, "203.0.113.5") as phone:
        laptop_login = (
            await api.client.post(
                "/api/v1/auth/login",
                json={"username": lena_name, "password": "user-password-1"},
                headers={"User-Agent": "Laptop/1.0"},
            )
        ).json()
        phone_login = (
            await phone.post(
                "/api/v1/auth/login",
                json={"username": lena_name, "password": "user-password-1"},
                headers={"User-Agent": "Phone/2.0"},
            )
        ).json()
        # a refresh continues the session: still two, the phone's now refreshed
        r = await phone.post(
            "/api/v1/auth/refresh",
            json={"refresh_token": phone_login["refresh_token"]},
            headers={"User-Agent": "Phone/2.0"},
        )
        phone_refresh = r.json()["refresh_token"]
    lena = api.auth(laptop_login["access_token"])

    sessions = (await api.client.get("/api/v1/users/me/sessions", headers=lena)).json()["items"]
    assert len(sessions) == 2
    by_agent = {s["user_agent"]: s for s in sessions}
    assert by_agent["Phone/2.0"]["ip"] == "203.0.113.5"
    assert by_agent["Laptop/1.0"]["last_active_at"] == by_agent["Laptop/1.0"]["started_at"]
    assert by_agent["Phone/2.0"]["started_at"] <= by_agent["Phone/2.0"]["last_active_at"]

    # end the phone's session: its refresh token dies, the laptop's lives
    phone_id = next(s["id"] for s in sessions if s["ip"] == "203.0.113.5")
    assert (
        await api.client.delete(f"/api/v1/users/me/sessions/{phone_id}", headers=lena)
    ).status_code == 204
    assert (
        await api.client.post("/api/v1/auth/refresh", json={"refresh_token": phone_refresh})
    ).status_code == 401
    r = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": laptop_login["refresh_token"]}
    )
    assert r.status_code == 200
    laptop_refresh = r.json()["refresh_token"]
    left = (await api.client.get("/api/v1/users/me/sessions", headers=lena)).json()["items"]
    assert [s["id"] for s in left] == [by_agent["Laptop/1.0"]["id"]]  # the same session, refreshed

    # someone else's session is not found, nor an unknown one
    admin_sessions = (await api.client.get("/api/v1/users/me/sessions", headers=admin)).json()[
        "items"
    ]
    r = await api.client.delete(
        f"/api/v1/users/me/sessions/{admin_sessions[0]['id']}", headers=lena
    )
    assert r.status_code == 404
    assert (
        await api.client.delete("/api/v1/users/me/sessions/nope", headers=lena)
    ).status_code == 404

    # sign out everywhere
    assert (await api.client.delete("/api/v1/users/me/sessions", headers=lena)).status_code == 204
    assert (
        await api.client.post("/api/v1/auth/refresh", json={"refresh_token": laptop_refresh})
    ).status_code == 401
    assert (await api.client.get("/api/v1/users/me/sessions", headers=lena)).json()["items"] == []
    assert (await api.client.get("/api/v1/users/me/sessions")).status_code == 401


async def test_the_security_log_for_superusers_and_for_each_user(api: Api) -> None:
    admin = await api.admin()
    name, ghost = unique("mia"), unique("nobody")
    mia = await api.create_user(admin, name)
    await sign_in(api, name, "wrong-password")
    await sign_in(api, ghost, "wrong-password")
    mia_h = api.auth(await api.login(name, "user-password-1"))

    mine = (await api.client.get("/api/v1/users/me/security-events", headers=mia_h)).json()
    actions = [
        (e["action"], e["new_value"].get("reason") if e["new_value"] else None)
        for e in mine["items"]
    ]
    assert ("login_failed", "invalid_credentials") in actions and ("login", None) in actions
    assert all(e["entity_id"] == mia["id"] or e["user_id"] == mia["id"] for e in mine["items"])
    assert mine["items"][0]["created_at"] >= mine["items"][-1]["created_at"]  # newest first

    assert (await api.client.get("/api/v1/security-events", headers=mia_h)).status_code == 403
    everything = (
        await api.client.get("/api/v1/security-events?per_page=500", headers=admin)
    ).json()
    assert {ghost, name, "admin"} <= {e["username"] for e in everything["items"]}
    assert {e["project_id"] for e in everything["items"]} == {None}
    failed = (
        await api.client.get(
            "/api/v1/security-events?action=login_failed&per_page=500", headers=admin
        )
    ).json()
    assert {e["username"] for e in failed["items"]} >= {name, ghost}
    assert {e["action"] for e in failed["items"]} == {"login_failed"}
    about_mia = (
        await api.client.get(f"/api/v1/security-events?user_id={mia['id']}", headers=admin)
    ).json()
    assert about_mia["total"] == mine["total"]
    r = await api.client.get(
        "/api/v1/security-events?since=2000-01-01T00:00:00&until=2000-01-02T00:00:00", headers=admin
    )
    assert r.status_code == 200 and r.json()["total"] == 0
    assert (
        await api.client.get("/api/v1/security-events?page=0", headers=admin)
    ).status_code == 400
    assert (
        await api.client.get("/api/v1/security-events?since=yesterday", headers=admin)
    ).status_code == 400
