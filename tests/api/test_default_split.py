"""A multivariant flag with no `rollout_key` still splits users (issue 15, the blocker).

The server falls back to the usual user-id attributes (docs/evaluation.md, "Who is split"):
OpenFeature's `targetingKey`, then `user.id`, `userId`, `user_id`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.conftest import Api

USERS = 400


async def _unkeyed_flag(api: Api) -> tuple[dict[str, str], dict[str, Any], str]:
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(h, project["id"], key="checkout", kind="multivariant")
    assert feature["rollout_key"] is None
    await api.put_state(
        h,
        feature["id"],
        enabled=True,
        default_value="control",
        variants=[
            {"name": "blue", "rollout_percent": 70},
            {"name": "green", "rollout_percent": 30},
        ],
    )
    return h, project, await api.sdk_key(h, project["id"])


def _roughly(counts: Counter[str]) -> None:
    assert set(counts) == {"blue", "green"}, counts
    assert 0.6 * USERS < counts["blue"] < 0.8 * USERS, counts
    assert 0.2 * USERS < counts["green"] < 0.4 * USERS, counts


async def test_sdk_splits_by_the_usual_user_id_attributes(api: Api) -> None:
    _, _, key = await _unkeyed_flag(api)
    headers = {"X-API-Key": key}
    for attribute in ("user.id", "userId", "user_id", "targetingKey"):
        counts: Counter[str] = Counter()
        for n in range(USERS):
            r = await api.client.post(
                "/sdk/v1/features/checkout/evaluate",
                json={attribute: f"user-{n}"},
                headers=headers,
            )
            assert r.status_code == 200, r.text
            counts[r.json()["value"]] += 1
        _roughly(counts)
    # a nested user object is read the same way as "user.id"
    r = await api.client.post(
        "/sdk/v1/features/checkout/evaluate", json={"user": {"id": "user-1"}}, headers=headers
    )
    flat = await api.client.post(
        "/sdk/v1/features/checkout/evaluate", json={"user.id": "user-1"}, headers=headers
    )
    assert r.json()["value"] == flat.json()["value"]


async def test_ofrep_splits_by_targeting_key(api: Api) -> None:
    _, _, key = await _unkeyed_flag(api)
    counts: Counter[str] = Counter()
    for n in range(USERS):
        r = await api.client.post(
            "/ofrep/v1/evaluate/flags/checkout",
            json={"context": {"targetingKey": f"user-{n}"}},
            headers={"X-API-Key": key},
        )
        assert r.status_code == 200, r.text
        assert r.json()["reason"] == "SPLIT"
        counts[r.json()["variant"]] += 1
    _roughly(counts)


async def test_explain_names_the_split_attribute_or_its_absence(api: Api) -> None:
    h, project, _ = await _unkeyed_flag(api)
    url = f"/api/v1/projects/{project['id']}/environments/prod/evaluate/checkout"
    r = await api.client.post(url, json={"context": {"userId": "u-9"}}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reason"] == "SPLIT"
    assert body["split"] == {"attribute": "userId", "missing": False, "configured": None}
    r = await api.client.post(url, json={"context": {"country": "DE"}}, headers=h)
    body = r.json()
    assert body["reason"] == "DEFAULT"
    assert body["split"]["missing"] is True
    assert body["split"]["attribute"] is None
    step = next(s for s in body["trace"] if s["step"] == "split")
    assert "targetingKey" in step["detail"] and "user_id" in step["detail"]


async def test_an_explicit_rollout_key_is_used_and_reported_missing(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(
        h, project["id"], key="by_account", kind="multivariant", rollout_key="account.id"
    )
    await api.put_state(
        h,
        feature["id"],
        enabled=True,
        default_value="off",
        variants=[{"name": "a", "rollout_percent": 50}, {"name": "b", "rollout_percent": 50}],
    )
    url = f"/api/v1/projects/{project['id']}/environments/prod/evaluate/by_account"
    # an explicit key does not fall back to the user id
    r = await api.client.post(url, json={"context": {"user_id": "u-1"}}, headers=h)
    assert r.json()["reason"] == "DEFAULT"
    assert r.json()["split"] == {"attribute": None, "missing": True, "configured": "account.id"}
    r = await api.client.post(url, json={"context": {"account": {"id": 7}}}, headers=h)
    assert r.json()["reason"] == "SPLIT"
    assert r.json()["split"]["attribute"] == "account.id"
