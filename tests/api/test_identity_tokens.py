"""Personal API tokens: a CI token works within its project and role, and nowhere else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from tests.api.test_identity_support import module_fixtures, unique, user_headers
from tests.conftest import Api

from togglr.storage.sql.tables_identity import api_tokens

pytestmark = pytest.mark.asyncio(loop_scope="module")
node, api = module_fixtures()


async def member_of(
    api: Api, admin: dict[str, str], project_id: str, user_id: str, role: str
) -> None:
    r = await api.client.post(
        f"/api/v1/projects/{project_id}/memberships",
        json={"user_id": user_id, "role_id": role},
        headers=admin,
    )
    assert r.status_code == 201, r.text


async def test_a_ci_token_calls_the_api_within_its_scope_and_nowhere_else(api: Api) -> None:
    admin = await api.admin()
    ours, theirs = await api.project(admin), await api.project(admin)
    feature = await api.feature(admin, ours["id"])
    other_feature = await api.feature(admin, theirs["id"])
    ci_user, ci = await user_headers(api, admin, unique("ci-bot"))
    await member_of(api, admin, ours["id"], ci_user["id"], "manager")
    await member_of(api, admin, theirs["id"], ci_user["id"], "owner")

    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    r = await api.client.post(
        "/api/v1/users/me/tokens",
        json={
            "name": "deploy pipeline",
            "project_id": ours["id"],
            "role": "member",
            "expires_at": expires,
        },
        headers=ci,
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["token"].startswith("tgp_") and created["id"]
    assert created["token"].startswith(created["hint"])
    token = api.auth(created["token"])

    # inside its scope: read and toggle (member may toggle)
    assert (
        await api.client.get(f"/api/v1/projects/{ours['id']}", headers=token)
    ).status_code == 200
    r = await api.client.put(
        f"/api/v1/features/{feature['id']}/environments/prod/toggle",
        json={"enabled": True},
        headers=token,
    )
    assert r.status_code == 200, r.text
    # beyond its role in the project: member may not create features (the user, a manager, could)
    r = await api.client.post(
        f"/api/v1/projects/{ours['id']}/features",
        json={"key": "k_new", "name": "New", "kind": "simple"},
        headers=token,
    )
    assert r.status_code == 403
    # another project, although its user owns that one
    assert (
        await api.client.get(f"/api/v1/projects/{theirs['id']}", headers=token)
    ).status_code == 404
    r = await api.client.put(
        f"/api/v1/features/{other_feature['id']}/environments/prod/toggle",
        json={"enabled": True},
        headers=token,
    )
    assert r.status_code in (403, 404)
    listed = (await api.client.get("/api/v1/projects", headers=token)).json()
    assert [p["id"] for p in listed["items"]] == [ours["id"]]
    # no account management with a token
    assert (await api.client.get("/api/v1/users/me/tokens", headers=token)).status_code == 403
    assert (await api.client.post("/api/v1/users/me/2fa/setup", headers=token)).status_code == 403
    assert (await api.client.get("/api/v1/users/me/sessions", headers=token)).status_code == 403

    # listed (without the secret), then revoked: it stops working at once
    items = (await api.client.get("/api/v1/users/me/tokens", headers=ci)).json()["items"]
    assert [(t["id"], t["name"], t["role"], t["active"]) for t in items] == [
        (created["id"], "deploy pipeline", "member", True)
    ]
    assert "token" not in items[0] and items[0]["last_used_at"] is not None
    assert (
        await api.client.delete(f"/api/v1/users/me/tokens/{created['id']}", headers=ci)
    ).status_code == 204
    r = await api.client.get(f"/api/v1/projects/{ours['id']}", headers=token)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_token"
    assert (await api.client.get("/api/v1/users/me/tokens", headers=ci)).json()["items"][0][
        "active"
    ] is False
    assert (
        await api.client.delete(f"/api/v1/users/me/tokens/{created['id']}", headers=admin)
    ).status_code == 404

    events = (
        await api.client.get("/api/v1/users/me/security-events?per_page=100", headers=ci)
    ).json()["items"]
    assert {("api_token", "create"), ("api_token", "revoke")} <= {
        (e["entity"], e["action"]) for e in events
    }


async def test_a_token_never_exceeds_its_user(api: Api) -> None:
    admin = await api.admin()
    project = await api.project(admin)
    stranger_project = await api.project(admin)
    user, headers = await user_headers(api, admin, unique("viewer-vic"))
    await member_of(api, admin, project["id"], user["id"], "viewer")

    def body(**over: Any) -> dict[str, Any]:
        return {
            "name": "t",
            "project_id": project["id"],
            "role": "viewer",
            "expires_at": None,
            **over,
        }

    r = await api.client.post("/api/v1/users/me/tokens", json=body(role="manager"), headers=headers)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "role_too_high"
    r = await api.client.post(
        "/api/v1/users/me/tokens", json=body(project_id=stranger_project["id"]), headers=headers
    )
    assert r.status_code == 404
    assert (
        await api.client.post("/api/v1/users/me/tokens", json=body(role="god"), headers=headers)
    ).status_code == 400
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert (
        await api.client.post(
            "/api/v1/users/me/tokens", json=body(expires_at=past), headers=headers
        )
    ).status_code == 400
    assert (
        await api.client.post("/api/v1/users/me/tokens", json=body(name=""), headers=headers)
    ).status_code == 400
    assert (
        await api.client.post("/api/v1/users/me/tokens", json={"name": "x"}, headers=headers)
    ).status_code == 400

    r = await api.client.post("/api/v1/users/me/tokens", json=body(), headers=headers)
    token, token_id = api.auth(r.json()["token"]), r.json()["id"]
    assert (
        await api.client.get(f"/api/v1/projects/{project['id']}", headers=token)
    ).status_code == 200
    # an expired token is refused
    async with api.services.storage.unit_of_work() as uow:
        await uow.connection.execute(
            sa.update(api_tokens)
            .where(api_tokens.c.id == token_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert (
        await api.client.get(f"/api/v1/projects/{project['id']}", headers=token)
    ).status_code == 401
    # so is one whose user left the project
    r = await api.client.post("/api/v1/users/me/tokens", json=body(), headers=headers)
    token = api.auth(r.json()["token"])
    memberships = (
        await api.client.get(f"/api/v1/projects/{project['id']}/memberships", headers=admin)
    ).json()
    mid = next(m["id"] for m in memberships["items"] if m["user_id"] == user["id"])
    assert (
        await api.client.delete(
            f"/api/v1/projects/{project['id']}/memberships/{mid}", headers=admin
        )
    ).status_code == 204
    assert (
        await api.client.get(f"/api/v1/projects/{project['id']}", headers=token)
    ).status_code == 401
    assert (
        await api.client.get("/api/v1/users/me", headers={"Authorization": "Bearer tgp_made-up"})
    ).status_code == 401


async def test_a_superusers_token_is_bound_to_its_project(api: Api) -> None:
    admin = await api.admin()
    project, other = await api.project(admin), await api.project(admin)
    r = await api.client.post(
        "/api/v1/users/me/tokens",
        json={
            "name": "terraform",
            "project_id": project["id"],
            "role": "owner",
            "expires_at": None,
        },
        headers=admin,
    )
    assert r.status_code == 201
    token = api.auth(r.json()["token"])
    assert (
        await api.client.post(
            f"/api/v1/projects/{project['id']}/features",
            json={"key": "k_tf", "name": "TF", "kind": "simple"},
            headers=token,
        )
    ).status_code == 201
    assert (
        await api.client.get(f"/api/v1/projects/{other['id']}", headers=token)
    ).status_code == 404
    r = await api.client.post(
        "/api/v1/users",
        json={"username": "x1", "email": "x1@example.com", "password": "p" * 10},
        headers=token,
    )
    assert r.status_code == 403
    assert (
        await api.client.post("/api/v1/projects", json={"name": "via-token"}, headers=token)
    ).status_code == 403
    assert (await api.client.get("/api/v1/security-events", headers=token)).status_code == 403
