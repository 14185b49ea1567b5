"""The role matrix: each role can do what it should in its project, and nothing else."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.conftest import Api

CONDITION = {"condition": {"attribute": "plan", "operator": "eq", "value": "pro"}}


async def _world(api: Api) -> dict[str, Any]:
    admin = await api.admin()
    project = await api.project(admin)
    other = await api.project(admin)
    feature = await api.feature(admin, project["id"])
    users: dict[str, dict[str, str]] = {}
    roles = {}
    for role in ("owner", "manager", "member", "viewer"):
        user = await api.create_user(admin, f"{role}_user")
        r = await api.client.post(
            f"/api/v1/projects/{project['id']}/memberships",
            json={"user_id": user["id"], "role_id": role},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        roles[role] = user["id"]
        users[role] = api.auth(await api.login(f"{role}_user", "user-password-1"))
    outsider = await api.create_user(admin, "outsider")
    users["outsider"] = api.auth(await api.login("outsider", "user-password-1"))
    return {
        "admin": admin,
        "project": project,
        "other": other,
        "feature": feature,
        "users": users,
        "user_ids": roles,
        "outsider_id": outsider["id"],
    }


# (action name, roles allowed)
MATRIX = {
    "view_project": {"owner", "manager", "member", "viewer"},
    "list_features": {"owner", "manager", "member", "viewer"},
    "toggle": {"owner", "manager", "member"},
    "edit_state": {"owner", "manager"},
    "create_feature": {"owner", "manager"},
    "create_segment": {"owner", "manager"},
    "create_tag": {"owner", "manager"},
    "view_audit": {"owner", "manager", "member"},
    "manage_project": {"owner", "manager"},
    "manage_members": {"owner"},
    "create_project": {"owner"},
}


async def _attempt(api: Api, w: dict[str, Any], action: str, h: dict[str, str]) -> int:
    pid, fid = w["project"]["id"], w["feature"]["id"]
    c = api.client
    if action == "view_project":
        r = await c.get(f"/api/v1/projects/{pid}", headers=h)
    elif action == "list_features":
        r = await c.get(f"/api/v1/projects/{pid}/features", headers=h)
    elif action == "toggle":
        r = await c.put(
            f"/api/v1/features/{fid}/environments/dev/toggle", json={"enabled": True}, headers=h
        )
    elif action == "edit_state":
        r = await c.put(
            f"/api/v1/features/{fid}/environments/dev",
            json={"enabled": True, "default_value": "x"},
            headers=h,
        )
    elif action == "create_feature":
        r = await c.post(
            f"/api/v1/projects/{pid}/features",
            json={"key": "k_" + action + str(id(h)), "name": "n"},
            headers=h,
        )
    elif action == "create_segment":
        r = await c.post(
            f"/api/v1/projects/{pid}/segments",
            json={"name": f"s{id(h)}", "condition": CONDITION},
            headers=h,
        )
    elif action == "create_tag":
        r = await c.post(f"/api/v1/projects/{pid}/tags", json={"name": f"t{id(h)}"}, headers=h)
    elif action == "view_audit":
        r = await c.get(f"/api/v1/projects/{pid}/audit", headers=h)
    elif action == "manage_project":
        r = await c.patch(f"/api/v1/projects/{pid}", json={"description": f"d{id(h)}"}, headers=h)
    elif action == "manage_members":
        r = await c.post(
            f"/api/v1/projects/{pid}/memberships",
            json={"user_id": w["outsider_id"], "role_id": "viewer"},
            headers=h,
        )
        if r.status_code == 201:  # undo so the next role can try the same thing
            await c.delete(
                f"/api/v1/projects/{pid}/memberships/{r.json()['id']}", headers=w["admin"]
            )
    elif action == "create_project":
        r = await c.post("/api/v1/projects", json={"name": f"new-{id(h)}-{action}"}, headers=h)
    else:  # pragma: no cover
        raise AssertionError(action)
    return r.status_code


@pytest.mark.parametrize("action", sorted(MATRIX))
async def test_role_matrix(api: Api, action: str) -> None:
    w = await _world(api)
    allowed = MATRIX[action]
    for role in ("owner", "manager", "member", "viewer", "outsider"):
        status = await _attempt(api, w, action, w["users"][role])
        if role in allowed:
            assert status in (200, 201, 204), f"{role} should be able to {action}, got {status}"
        else:
            assert status in (403, 404), f"{role} must not {action}, got {status}"
    assert await _attempt(api, w, action, w["admin"]) in (200, 201, 204)  # superuser


async def test_outsiders_do_not_see_projects_in_lists(api: Api) -> None:
    w = await _world(api)
    r = await api.client.get("/api/v1/projects", headers=w["users"]["outsider"])
    assert r.json()["items"] == []
    r = await api.client.get("/api/v1/projects", headers=w["users"]["viewer"])
    assert [p["id"] for p in r.json()["items"]] == [w["project"]["id"]]
    r = await api.client.get(
        f"/api/v1/features/{w['feature']['id']}", headers=w["users"]["outsider"]
    )
    assert r.status_code == 404


async def test_me_lists_roles_and_permissions(api: Api) -> None:
    w = await _world(api)
    r = await api.client.get("/api/v1/users/me", headers=w["users"]["member"])
    body = r.json()
    pid = w["project"]["id"]
    assert body["project_roles"] == {pid: "member"}
    assert "feature.toggle" in body["project_permissions"][pid]
    assert "feature.manage" not in body["project_permissions"][pid]
    assert body["can_create_projects"] is False


async def test_last_owner_cannot_be_removed(api: Api) -> None:
    w = await _world(api)
    pid = w["project"]["id"]
    members = (
        await api.client.get(f"/api/v1/projects/{pid}/memberships", headers=w["admin"])
    ).json()["items"]
    owners = [m for m in members if m["role_key"] == "owner"]
    # the superuser who created the project owns it, plus owner_user
    for m in owners[:-1]:
        assert (
            await api.client.delete(
                f"/api/v1/projects/{pid}/memberships/{m['id']}", headers=w["admin"]
            )
        ).status_code == 204
    r = await api.client.delete(
        f"/api/v1/projects/{pid}/memberships/{owners[-1]['id']}", headers=w["admin"]
    )
    assert r.status_code == 409


async def _token(api: Api, w: dict[str, Any], role: str) -> dict[str, str]:
    """A personal API token of `role`_user, with that role, on the world's project."""
    r = await api.client.post(
        "/api/v1/users/me/tokens",
        json={"name": f"{role}-ci", "project_id": w["project"]["id"], "role": role},
        headers=w["users"][role],
    )
    assert r.status_code == 201, r.text
    return api.auth(r.json()["token"])


async def test_only_superusers_list_users_with_their_emails(api: Api) -> None:
    w = await _world(api)
    callers = {**w["users"], "owner token": await _token(api, w, "owner")}
    for name, h in callers.items():
        r = await api.client.get("/api/v1/users", headers=h)
        assert r.status_code == 403, f"{name} listed every user: {r.status_code}"
    r = await api.client.get("/api/v1/users", headers=w["admin"])
    assert r.status_code == 200
    assert {u["email"] for u in r.json()["items"]} >= {"owner_user@example.com"}


async def test_members_see_who_is_in_the_project_but_only_owners_see_emails(api: Api) -> None:
    w = await _world(api)
    url = f"/api/v1/projects/{w['project']['id']}/memberships"
    for role in ("manager", "member", "viewer"):
        r = await api.client.get(url, headers=w["users"][role])
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert {m["username"] for m in items} >= {"viewer_user", "owner_user"}
        assert [m["email"] for m in items] == [None] * len(items), role
    for who in (w["users"]["owner"], await _token(api, w, "owner"), w["admin"]):
        items = (await api.client.get(url, headers=who)).json()["items"]
        assert "viewer_user@example.com" in {m["email"] for m in items}
    assert (await api.client.get(url, headers=w["users"]["outsider"])).status_code in (403, 404)


def _valid_body(path: str, project_id: str) -> dict[str, Any] | None:
    """A body the route accepts, so that only the credential rule can refuse it."""
    if path.endswith("/change-password"):
        return {"old_password": "user-password-1", "new_password": "token-chosen-pass-1"}
    if path.endswith("/tokens"):
        return {"name": "made-by-a-token", "project_id": project_id, "role": "viewer"}
    if path.endswith(("/confirm", "/disable", "/recovery-codes")):
        return {"code": "123456"}
    return None


async def test_an_api_token_manages_no_credential_of_its_user(api: Api) -> None:
    """Password, 2FA, tokens and sessions: every credential route of the OpenAPI document."""
    w = await _world(api)
    token = await _token(api, w, "owner")
    doc = (await api.client.get("/api/v1/openapi.json")).json()
    credential = re.compile(r"^/api/v1/users/me/(change-password|2fa|tokens|sessions)")
    tried = []
    for path, operations in doc["paths"].items():
        if not credential.match(path):
            continue
        for method in operations:
            url = path.replace("{token_id}", "x").replace("{session_id}", "x")
            body = _valid_body(path, w["project"]["id"]) if method == "post" else None
            r = await api.client.request(method.upper(), url, json=body, headers=token)
            assert r.status_code == 403, f"a token could {method.upper()} {path}: {r.text}"
            tried.append((method, path))
    assert ("post", "/api/v1/users/me/change-password") in tried and len(tried) >= 10
    # The password is unchanged: the owner still signs in with it.
    assert await api.login("owner_user", "user-password-1")
