"""The main journey: admin signs in, builds a multivariant flag, an SDK key evaluates it."""

from __future__ import annotations

from tests.conftest import Api


async def test_multivariant_flag_end_to_end(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(
        h, project["id"], key="new_ui", kind="multivariant", rollout_key="user.id"
    )
    await api.put_state(
        h,
        feature["id"],
        enabled=True,
        default_value="control",
        variants=[
            {"name": "control", "rollout_percent": 50},
            {"name": "treatment", "rollout_percent": 50},
        ],
        rules=[
            {
                "action": "assign",
                "priority": 1,
                "variant": "treatment",
                "condition": {
                    "condition": {"attribute": "country", "operator": "eq", "value": "DE"}
                },
            },
            {
                "action": "exclude",
                "priority": 1,
                "condition": {
                    "condition": {"attribute": "user.id", "operator": "eq", "value": "blocked"}
                },
            },
        ],
    )
    key = await api.sdk_key(h, project["id"])
    sdk = {"Authorization": key}

    r = await api.client.post(
        "/sdk/v1/features/new_ui/evaluate", json={"country": "DE", "user.id": "1"}, headers=sdk
    )
    assert r.json() == {"feature_key": "new_ui", "enabled": True, "value": "treatment"}
    r = await api.client.post(
        "/sdk/v1/features/new_ui/evaluate", json={"user.id": "blocked"}, headers=sdk
    )
    assert r.json() == {"feature_key": "new_ui", "enabled": False, "value": ""}
    r = await api.client.post("/sdk/v1/features/new_ui/evaluate", json={}, headers=sdk)
    assert r.json() == {"feature_key": "new_ui", "enabled": True, "value": "control"}
    seen = {
        (
            await api.client.post(
                "/sdk/v1/features/new_ui/evaluate", json={"user.id": f"u{i}"}, headers=sdk
            )
        ).json()["value"]
        for i in range(200)
    }
    assert seen == {"control", "treatment"}
