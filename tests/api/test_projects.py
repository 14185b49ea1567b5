"""Projects, environments and SDK keys."""

from __future__ import annotations

from tests.conftest import Api


async def test_new_project_has_three_environments_safety_tags_and_settings(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h, "Checkout")
    envs = (
        await api.client.get(f"/api/v1/projects/{project['id']}/environments", headers=h)
    ).json()["items"]
    assert sorted(e["key"] for e in envs) == ["dev", "prod", "stage"]
    assert len({e["api_key"] for e in envs}) == 3
    tags = (await api.client.get(f"/api/v1/projects/{project['id']}/tags", headers=h)).json()[
        "items"
    ]
    assert {t["slug"] for t in tags} >= {"guarded", "auto-disable", "critical"}
    settings = (
        await api.client.get(f"/api/v1/projects/{project['id']}/settings", headers=h)
    ).json()
    assert settings["auto_disable_error_threshold"] == 10
    assert settings["auto_disable_time_window_sec"] == 60


async def test_project_names_are_unique(api: Api) -> None:
    h = await api.admin()
    await api.project(h, "Same")
    r = await api.client.post("/api/v1/projects", json={"name": "Same"}, headers=h)
    assert r.status_code == 409


async def test_add_environment_gets_feature_state_and_evaluates(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(h, project["id"], key="beta")
    r = await api.client.post(
        f"/api/v1/projects/{project['id']}/environments",
        json={"key": "qa", "name": "QA"},
        headers=h,
    )
    assert r.status_code == 201
    qa_key = r.json()["api_key"]
    await api.put_state(h, feature["id"], env="qa", enabled=True, default_value="on")
    r = await api.client.post(
        "/sdk/v1/features/beta/evaluate", json={}, headers={"Authorization": qa_key}
    )
    assert r.json() == {"feature_key": "beta", "enabled": True, "value": "on"}
    bad = await api.client.post(
        f"/api/v1/projects/{project['id']}/environments", json={"key": "Bad Key!"}, headers=h
    )
    assert bad.status_code == 400
    dup = await api.client.post(
        f"/api/v1/projects/{project['id']}/environments", json={"key": "qa"}, headers=h
    )
    assert dup.status_code == 409


async def test_rotating_a_key_stops_the_old_one_at_once(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    await api.feature(h, project["id"], key="flag")
    old = await api.sdk_key(h, project["id"])
    r = await api.client.post(
        "/sdk/v1/features/flag/evaluate", json={}, headers={"Authorization": old}
    )
    assert r.status_code == 200
    r = await api.client.post(
        f"/api/v1/projects/{project['id']}/environments/prod/rotate-key", headers=h
    )
    new = r.json()["api_key"]
    assert new != old
    r = await api.client.post(
        "/sdk/v1/features/flag/evaluate", json={}, headers={"Authorization": old}
    )
    assert r.status_code == 401
    r = await api.client.post(
        "/sdk/v1/features/flag/evaluate", json={}, headers={"Authorization": new}
    )
    assert r.status_code == 200


async def test_deleting_and_archiving_projects_removes_them_from_evaluation(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    await api.feature(h, project["id"], key="flag")
    key = await api.sdk_key(h, project["id"])
    r = await api.client.patch(
        f"/api/v1/projects/{project['id']}", json={"archived": True}, headers=h
    )
    assert r.json()["archived_at"] is not None
    assert (
        await api.client.post(
            "/sdk/v1/features/flag/evaluate", json={}, headers={"Authorization": key}
        )
    ).status_code == 401
    listed = (await api.client.get("/api/v1/projects", headers=h)).json()["items"]
    assert project["id"] not in [p["id"] for p in listed]
    await api.client.patch(f"/api/v1/projects/{project['id']}", json={"archived": False}, headers=h)
    assert (
        await api.client.post(
            "/sdk/v1/features/flag/evaluate", json={}, headers={"Authorization": key}
        )
    ).status_code == 200
    assert (
        await api.client.delete(f"/api/v1/projects/{project['id']}", headers=h)
    ).status_code == 204
    assert (await api.client.get(f"/api/v1/projects/{project['id']}", headers=h)).status_code == 404
    assert (
        await api.client.post(
            "/sdk/v1/features/flag/evaluate", json={}, headers={"Authorization": key}
        )
    ).status_code == 401


async def test_last_environment_cannot_be_deleted(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    pid = project["id"]
    assert (
        await api.client.delete(f"/api/v1/projects/{pid}/environments/dev", headers=h)
    ).status_code == 204
    assert (
        await api.client.delete(f"/api/v1/projects/{pid}/environments/stage", headers=h)
    ).status_code == 204
    assert (
        await api.client.delete(f"/api/v1/projects/{pid}/environments/prod", headers=h)
    ).status_code == 409


async def test_settings_validation(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    r = await api.client.put(
        f"/api/v1/projects/{project['id']}/settings",
        json={"auto_disable_error_threshold": 0},
        headers=h,
    )
    assert r.status_code == 400
    r = await api.client.put(
        f"/api/v1/projects/{project['id']}/settings",
        json={"auto_disable_error_threshold": 3, "required_approvals": 2},
        headers=h,
    )
    assert r.status_code == 200
    assert r.json()["auto_disable_error_threshold"] == 3
    assert r.json()["required_approvals"] == 2
