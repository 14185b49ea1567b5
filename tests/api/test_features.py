"""Features and their per-environment state: validation, tags, keys per project, toggle."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import Api

EQ_DE = {"condition": {"attribute": "country", "operator": "eq", "value": "DE"}}


async def test_feature_keys_are_unique_per_project_not_globally(api: Api) -> None:
    h = await api.admin()
    a, b = await api.project(h), await api.project(h)
    await api.feature(h, a["id"], key="checkout")
    await api.feature(h, b["id"], key="checkout")
    r = await api.client.post(
        f"/api/v1/projects/{a['id']}/features", json={"key": "checkout", "name": "x"}, headers=h
    )
    assert r.status_code == 409


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            {
                "enabled": True,
                "variants": [
                    {"name": "a", "rollout_percent": 60},
                    {"name": "b", "rollout_percent": 50},
                ],
            },
            "sum to 110",
        ),
        (
            {
                "enabled": True,
                "variants": [
                    {"name": "a", "rollout_percent": 10},
                    {"name": "a", "rollout_percent": 10},
                ],
            },
            "duplicate",
        ),
        ({"enabled": True, "variants": [{"name": "a", "rollout_percent": 101}]}, "rollout_percent"),
        (
            {
                "enabled": True,
                "variants": [{"name": "a", "rollout_percent": 50}],
                "rules": [
                    {"action": "assign", "priority": 1, "variant": "zzz", "condition": EQ_DE}
                ],
            },
            "unknown variant",
        ),
        (
            {"enabled": True, "rules": [{"action": "assign", "priority": 1, "condition": EQ_DE}]},
            "must name a variant",
        ),
        (
            {
                "enabled": True,
                "rules": [
                    {
                        "action": "include",
                        "priority": 1,
                        "condition": {
                            "condition": {"attribute": "x", "operator": "zap", "value": 1}
                        },
                    }
                ],
            },
            "operator",
        ),
        (
            {
                "enabled": True,
                "rules": [
                    {
                        "action": "include",
                        "priority": 1,
                        "condition": {
                            "condition": {"attribute": "x", "operator": "regex", "value": "("}
                        },
                    }
                ],
            },
            "regular expression",
        ),
        (
            {
                "enabled": True,
                "rules": [
                    {
                        "action": "include",
                        "priority": 1,
                        "condition": {"group": {"operator": "and_not", "children": [EQ_DE]}},
                    }
                ],
            },
            "exactly two",
        ),
        (
            {
                "enabled": True,
                "rules": [
                    {"action": "include", "priority": 1, "condition": EQ_DE},
                    {"action": "include", "priority": 1, "condition": EQ_DE},
                ],
            },
            "priority",
        ),
        (
            {"enabled": True, "rules": [{"action": "explode", "priority": 1, "condition": EQ_DE}]},
            "action",
        ),
        ({"enabled": True, "rules": [{"action": "include", "priority": 1}]}, "condition"),
        ({"enabled": "yes please"}, "enabled"),
    ],
)
async def test_invalid_state_is_rejected_with_a_clear_message(
    sqlite_api: Api, body: dict[str, Any], fragment: str
) -> None:
    api = sqlite_api
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(h, project["id"], kind="multivariant", rollout_key="user.id")
    r = await api.client.put(
        f"/api/v1/features/{feature['id']}/environments/prod", json=body, headers=h
    )
    assert r.status_code == 400, r.text
    assert fragment in r.json()["error"]["message"]


async def test_simple_features_have_no_variants(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(h, project["id"], kind="simple")
    r = await api.client.put(
        f"/api/v1/features/{feature['id']}/environments/prod",
        json={"enabled": True, "variants": [{"name": "a", "rollout_percent": 10}]},
        headers=h,
    )
    assert r.status_code == 400


async def test_state_is_per_environment(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(h, project["id"], key="per_env")
    await api.put_state(h, feature["id"], env="dev", enabled=True, default_value="dev-value")
    detail = (await api.client.get(f"/api/v1/features/{feature['id']}", headers=h)).json()
    states = {s["environment_key"]: s for s in detail["environments"]}
    assert states["dev"]["enabled"] is True
    assert states["prod"]["enabled"] is False
    dev = await api.sdk_key(h, project["id"], "dev")
    prod = await api.sdk_key(h, project["id"], "prod")
    assert (
        await api.client.post(
            "/sdk/v1/features/per_env/evaluate", json={}, headers={"Authorization": dev}
        )
    ).json()["value"] == "dev-value"
    assert (
        await api.client.post(
            "/sdk/v1/features/per_env/evaluate", json={}, headers={"Authorization": prod}
        )
    ).json()["enabled"] is False


async def test_toggle_changes_evaluation_immediately(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(h, project["id"], key="switch")
    key = {"Authorization": await api.sdk_key(h, project["id"])}
    assert (await api.client.post("/sdk/v1/features/switch/evaluate", json={}, headers=key)).json()[
        "enabled"
    ] is False
    r = await api.client.put(
        f"/api/v1/features/{feature['id']}/environments/prod/toggle",
        json={"enabled": True},
        headers=h,
    )
    assert r.status_code == 200
    assert r.json()["enabled"] is True
    assert (await api.client.post("/sdk/v1/features/switch/evaluate", json={}, headers=key)).json()[
        "enabled"
    ] is True


async def test_tags_update_list_filters_and_delete(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    pid = project["id"]
    r = await api.client.post(
        f"/api/v1/projects/{pid}/tags", json={"name": "Payments", "color": "#112233"}, headers=h
    )
    assert r.status_code == 201
    assert r.json()["slug"] == "payments"
    f1 = await api.feature(h, pid, key="pay_v2", tags=["payments"])
    await api.feature(h, pid, key="other", kind="multivariant")
    r = await api.client.post(
        f"/api/v1/projects/{pid}/features",
        json={"key": "bad_tag", "name": "x", "tags": ["nope"]},
        headers=h,
    )
    assert r.status_code == 400
    listed = (
        await api.client.get(f"/api/v1/projects/{pid}/features?tag=payments", headers=h)
    ).json()
    assert [f["key"] for f in listed["items"]] == ["pay_v2"]
    listed = (
        await api.client.get(f"/api/v1/projects/{pid}/features?kind=multivariant", headers=h)
    ).json()
    assert [f["key"] for f in listed["items"]] == ["other"]
    listed = (await api.client.get(f"/api/v1/projects/{pid}/features?search=PAY", headers=h)).json()
    assert [f["key"] for f in listed["items"]] == ["pay_v2"]
    r = await api.client.patch(
        f"/api/v1/features/{f1['id']}", json={"tags": ["critical"], "name": "Pay v2"}, headers=h
    )
    assert r.json()["tags"] == ["critical"]
    assert r.json()["name"] == "Pay v2"
    await api.put_state(h, f1["id"], env="dev", enabled=True)
    listed = (
        await api.client.get(
            f"/api/v1/projects/{pid}/features?environment_key=dev&enabled=true", headers=h
        )
    ).json()
    assert [f["key"] for f in listed["items"]] == ["pay_v2"]
    assert listed["items"][0]["state"]["enabled"] is True
    safety = next(
        t
        for t in (await api.client.get(f"/api/v1/projects/{pid}/tags", headers=h)).json()["items"]
        if t["slug"] == "guarded"
    )
    assert (await api.client.delete(f"/api/v1/tags/{safety['id']}", headers=h)).status_code == 409


async def test_delete_feature_removes_it_from_evaluation(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(h, project["id"], key="gone")
    key = {"Authorization": await api.sdk_key(h, project["id"])}
    assert (
        await api.client.post("/sdk/v1/features/gone/evaluate", json={}, headers=key)
    ).status_code == 200
    assert (
        await api.client.delete(f"/api/v1/features/{feature['id']}", headers=h)
    ).status_code == 204
    assert (
        await api.client.post("/sdk/v1/features/gone/evaluate", json={}, headers=key)
    ).status_code == 404
    assert (await api.client.get(f"/api/v1/features/{feature['id']}", headers=h)).status_code == 404


async def test_pagination(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    for i in range(5):
        await api.feature(h, project["id"], key=f"f{i}")
    r = await api.client.get(
        f"/api/v1/projects/{project['id']}/features?page=2&per_page=2", headers=h
    )
    body = r.json()
    assert body["total"] == 5
    assert [f["key"] for f in body["items"]] == ["f2", "f3"]
    assert (
        await api.client.get(f"/api/v1/projects/{project['id']}/features?page=0", headers=h)
    ).status_code == 400
