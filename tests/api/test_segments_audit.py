"""Segments (follow / customise / desync / sync), the audit log, and the explain endpoint."""

from __future__ import annotations

from tests.conftest import Api

PRO = {"condition": {"attribute": "plan", "operator": "eq", "value": "pro"}}
ENTERPRISE = {"condition": {"attribute": "plan", "operator": "in", "value": ["enterprise", "pro"]}}
BETA = {"condition": {"attribute": "beta", "operator": "eq", "value": True}}


async def _setup(api: Api) -> tuple[dict[str, str], dict, dict, dict, dict[str, str]]:
    h = await api.admin()
    project = await api.project(h)
    r = await api.client.post(
        f"/api/v1/projects/{project['id']}/segments",
        json={"name": "Paying", "description": "paid plans", "condition": PRO},
        headers=h,
    )
    assert r.status_code == 201
    segment = r.json()
    feature = await api.feature(h, project["id"], key="premium")
    key = {"Authorization": await api.sdk_key(h, project["id"])}
    return h, project, segment, feature, key


async def test_rules_follow_their_segment_until_customised(api: Api) -> None:
    h, project, segment, feature, key = await _setup(api)
    state = await api.put_state(
        h,
        feature["id"],
        enabled=True,
        default_value="on",
        rules=[{"action": "include", "priority": 1, "segment_id": segment["id"]}],
    )
    assert state["rules"][0]["condition"] == PRO
    assert state["rules"][0]["is_customized"] is False

    async def value(plan: str) -> bool:
        r = await api.client.post(
            "/sdk/v1/features/premium/evaluate", json={"plan": plan}, headers=key
        )
        return bool(r.json()["enabled"])

    assert await value("pro") is True
    assert await value("enterprise") is False
    r = await api.client.patch(
        f"/api/v1/segments/{segment['id']}", json={"condition": ENTERPRISE}, headers=h
    )
    assert r.status_code == 200
    assert await value("enterprise") is True  # the rule followed the segment

    # customise the rule: it stops following and shows up as desynced
    await api.put_state(
        h,
        feature["id"],
        enabled=True,
        default_value="on",
        rules=[
            {"action": "include", "priority": 1, "segment_id": segment["id"], "condition": BETA}
        ],
    )
    desynced = (
        await api.client.get(f"/api/v1/projects/{project['id']}/segments-desynced", headers=h)
    ).json()["items"]
    assert [(d["feature_key"], d["environment_key"], d["is_customized"]) for d in desynced] == [
        ("premium", "prod", True)
    ]
    await api.client.patch(f"/api/v1/segments/{segment['id']}", json={"condition": PRO}, headers=h)
    state = (
        await api.client.get(f"/api/v1/features/{feature['id']}/environments/prod", headers=h)
    ).json()
    assert state["rules"][0]["condition"] == BETA  # untouched

    # sync puts it back in step
    rule_id = desynced[0]["rule_id"]
    assert (
        await api.client.post(f"/api/v1/segments/{segment['id']}/rules/{rule_id}/sync", headers=h)
    ).status_code == 204
    state = (
        await api.client.get(f"/api/v1/features/{feature['id']}/environments/prod", headers=h)
    ).json()
    assert state["rules"][0]["condition"] == PRO
    assert state["rules"][0]["is_customized"] is False
    assert await value("pro") is True
    usages = (await api.client.get(f"/api/v1/segments/{segment['id']}/usages", headers=h)).json()[
        "items"
    ]
    assert len(usages) == 1


async def test_segment_validation_and_uniqueness(api: Api) -> None:
    h, project, _segment, _, _ = await _setup(api)
    r = await api.client.post(
        f"/api/v1/projects/{project['id']}/segments",
        json={"name": "Paying", "condition": PRO},
        headers=h,
    )
    assert r.status_code == 409
    r = await api.client.post(
        f"/api/v1/projects/{project['id']}/segments",
        json={"name": "Bad", "condition": {"nope": 1}},
        headers=h,
    )
    assert r.status_code == 400
    listed = (await api.client.get(f"/api/v1/projects/{project['id']}/segments", headers=h)).json()
    assert listed["total"] == 1


async def test_audit_records_every_change_with_old_and_new_values(api: Api) -> None:
    h, project, _segment, feature, _ = await _setup(api)
    await api.put_state(h, feature["id"], enabled=True, default_value="a")
    await api.client.put(
        f"/api/v1/features/{feature['id']}/environments/prod/toggle",
        json={"enabled": False},
        headers={**h, "X-Request-Id": "req-toggle-1"},
    )
    r = await api.client.get(f"/api/v1/projects/{project['id']}/audit", headers=h)
    entries = r.json()["items"]
    actions = [(e["entity"], e["action"]) for e in entries]
    assert actions[0] == ("feature_state", "toggle")  # newest first
    assert ("feature", "create") in actions
    assert ("segment", "create") in actions
    assert ("project", "create") in actions
    toggle = entries[0]
    assert toggle["old_value"] == {"enabled": True}
    assert toggle["new_value"] == {"enabled": False}
    assert toggle["request_id"] == "req-toggle-1"
    assert toggle["actor"] == "user"
    assert toggle["username"] == "admin"
    r = await api.client.get(
        f"/api/v1/projects/{project['id']}/audit?feature_id={feature['id']}&environment_key=prod",
        headers=h,
    )
    assert {e["entity"] for e in r.json()["items"]} == {"feature_state"}
    r = await api.client.get(
        f"/api/v1/projects/{project['id']}/audit?since=2999-01-01T00:00:00", headers=h
    )
    assert r.json()["items"] == []
    r = await api.client.get(f"/api/v1/projects/{project['id']}/audit?actor=robot", headers=h)
    assert r.status_code == 400


async def test_explain_shows_the_matching_rule(api: Api) -> None:
    h, project, segment, feature, _ = await _setup(api)
    state = await api.put_state(
        h,
        feature["id"],
        enabled=True,
        default_value="on",
        rules=[
            {"action": "exclude", "priority": 1, "condition": BETA},
            {"action": "include", "priority": 2, "segment_id": segment["id"]},
        ],
    )
    r = await api.client.post(
        f"/api/v1/projects/{project['id']}/environments/prod/evaluate/premium",
        json={"context": {"plan": "pro", "beta": True}},
        headers=h,
    )
    body = r.json()
    assert body["enabled"] is False
    assert body["reason"] == "EXCLUDED"
    exclude_id = next(x for x in state["rules"] if x["action"] == "exclude")["id"]
    assert body["rule_id"] == exclude_id
    assert any(step["rule_id"] == exclude_id for step in body["trace"])
    r = await api.client.post(
        f"/api/v1/projects/{project['id']}/environments/prod/evaluate/missing",
        json={"context": {}},
        headers=h,
    )
    assert r.status_code == 404
