"""The project dashboard and stale-feature detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.api.governance_support import member, module_api
from tests.conftest import Api

from togglr.storage.sql import tables as t

pytestmark = pytest.mark.asyncio(loop_scope="module")
api = module_api()


async def _age(api: Api, feature_id: str, *, changed_days: int, evaluated_days: int | None) -> None:
    """Pretend a feature was last changed (and evaluated) that many days ago."""
    now = datetime.now(UTC)
    evaluated = None if evaluated_days is None else now - timedelta(days=evaluated_days)
    async with api.services.storage.unit_of_work() as uow:
        await uow.connection.execute(
            t.features.update()
            .where(t.features.c.id == feature_id)
            .values(updated_at=now - timedelta(days=changed_days))
        )
        await uow.connection.execute(
            t.feature_states.update()
            .where(t.feature_states.c.feature_id == feature_id)
            .values(updated_at=now - timedelta(days=changed_days), last_evaluated_at=evaluated)
        )


async def test_dashboard_overview(api: Api) -> None:
    admin = await api.admin()
    project = await api.project(admin)
    pid = project["id"]
    sdk = {"Authorization": await api.sdk_key(admin, pid)}
    failing = (await api.feature(admin, pid, key="pay", tags=["critical"]))["id"]
    guarded = (await api.feature(admin, pid, key="promo", tags=["guarded"]))["id"]
    scheduled = (await api.feature(admin, pid, key="nightly"))["id"]
    await api.feature(admin, pid, key="quiet")
    for fid in (failing, scheduled):
        await api.client.put(
            f"/api/v1/features/{fid}/environments/prod/toggle",
            json={"enabled": True},
            headers=admin,
        )
    for _ in range(12):  # above the default threshold of 10 in 60 s
        await api.client.post(
            "/sdk/v1/features/pay/report-error",
            json={"error_type": "E", "error_message": "x"},
            headers=sdk,
        )
    soon = datetime.now(UTC) + timedelta(hours=2)
    r = await api.client.post(
        f"/api/v1/features/{scheduled}/environments/prod/schedules",
        headers=admin,
        json={
            "action": "disable",
            "starts_at": soon.isoformat(),
            "ends_at": (soon + timedelta(hours=1)).isoformat(),
        },
    )
    assert r.status_code == 201
    _, mgr = await member(api, admin, pid, "maya", "manager")
    r = await api.client.put(
        f"/api/v1/features/{guarded}/environments/prod/toggle", json={"enabled": True}, headers=mgr
    )
    assert r.status_code == 202
    change_id = r.json()["id"]
    other = (await api.feature(admin, pid, key="other", tags=["guarded"]))["id"]
    r = await api.client.put(
        f"/api/v1/features/{other}/environments/stage/toggle", json={"enabled": True}, headers=mgr
    )
    r = await api.client.post(
        f"/api/v1/pending-changes/{r.json()['id']}/approve",
        json={"password": "admin-password-1"},
        headers={**admin, "X-Request-Id": "req-approve-42"},
    )
    assert r.status_code == 200

    r = await api.client.get(f"/api/v1/projects/{pid}/dashboard", headers=mgr)
    assert r.status_code == 200, r.text
    board = r.json()
    envs = {e["environment_key"]: e for e in board["environments"]}
    assert set(envs) == {"dev", "stage", "prod"}
    prod = envs["prod"]
    assert (
        prod["total"] == 5
        and prod["enabled"] == 2
        and prod["failing"] == 1
        and prod["scheduled"] == 1
    )
    assert prod["pending"] == 1 and prod["guarded"] == 2 and prod["health"] == "red"
    assert envs["dev"]["health"] == "green" and envs["dev"]["disabled"] == 5
    assert [c["slug"] for c in board["categories"]] == ["uncategorized"]
    assert (
        board["pending_approvals"]["total"] == 1
        and board["pending_approvals"]["items"][0]["id"] == change_id
    )
    risky = {f["feature_key"]: f for f in board["risky_features"]}
    assert (
        risky["pay"]["reasons"] == ["critical", "failing"]
        and risky["pay"]["environments"]["prod"] == "failing"
    )
    assert (
        board["risky_features"][0]["feature_key"] == "pay"
        and "guarded" in risky["promo"]["reasons"]
    )
    upcoming = board["upcoming_transitions"]
    assert upcoming[0]["feature_key"] == "nightly" and upcoming[0]["enabled"] is False
    assert abs(datetime.fromisoformat(upcoming[0]["at"]) - soon) < timedelta(seconds=1)
    grouped = next(a for a in board["recent_activity"] if a["request_id"] == "req-approve-42")
    assert grouped["count"] == 3
    assert {(e["entity"], e["action"]) for e in grouped["entries"]} == {
        ("pending_change", "approve"),
        ("pending_change", "apply"),
        ("feature_state", "toggle"),
    }

    r = await api.client.get(
        f"/api/v1/projects/{pid}/dashboard",
        params={"environment_key": "dev", "limit": 2},
        headers=admin,
    )
    assert [e["environment_key"] for e in r.json()["environments"]] == ["dev"] and len(
        r.json()["recent_activity"]
    ) == 2
    r = await api.client.get(
        f"/api/v1/projects/{pid}/dashboard", params={"environment_key": "nope"}, headers=admin
    )
    assert r.status_code == 404
    _, outsider = await member(api, admin, (await api.project(admin))["id"], "otto", "viewer")
    assert (
        await api.client.get(f"/api/v1/projects/{pid}/dashboard", headers=outsider)
    ).status_code == 404


async def test_stale_features(api: Api) -> None:
    admin = await api.admin()
    project = await api.project(admin)
    pid = project["id"]
    off = (await api.feature(admin, pid, key="old_off"))["id"]
    on = (await api.feature(admin, pid, key="old_on"))["id"]
    targeted = (await api.feature(admin, pid, key="old_targeted"))["id"]
    used = (await api.feature(admin, pid, key="old_but_used"))["id"]
    await api.feature(admin, pid, key="fresh")
    for env in ("dev", "stage", "prod"):
        await api.put_state(admin, on, env, enabled=True, default_value="")
        await api.put_state(
            admin,
            targeted,
            env,
            enabled=True,
            default_value="",
            rules=[
                {
                    "action": "include",
                    "priority": 1,
                    "condition": {
                        "condition": {"attribute": "plan", "operator": "eq", "value": "pro"}
                    },
                }
            ],
        )
    await _age(api, off, changed_days=90, evaluated_days=None)
    await _age(api, on, changed_days=60, evaluated_days=45)
    await _age(api, targeted, changed_days=90, evaluated_days=None)
    await _age(api, used, changed_days=90, evaluated_days=1)

    r = await api.client.get(f"/api/v1/projects/{pid}/stale-features", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stale_after_days"] == 30
    assert [f["feature_key"] for f in body["items"]] == ["old_off", "old_on"]
    old_on = body["items"][1]
    assert old_on["idle_days"] == 45 and {e["state"] for e in old_on["environments"]} == {
        "fully_on"
    }
    assert old_on["last_evaluated_at"] is not None and body["items"][0]["last_evaluated_at"] is None
    r = await api.client.get(
        f"/api/v1/projects/{pid}/stale-features", params={"days": 50}, headers=admin
    )
    assert [f["feature_key"] for f in r.json()["items"]] == ["old_off"]
    r = await api.client.put(
        f"/api/v1/projects/{pid}/governance", json={"stale_after_days": 100}, headers=admin
    )
    assert r.status_code == 200
    r = await api.client.get(f"/api/v1/projects/{pid}/stale-features", headers=admin)
    assert r.json()["items"] == [] and r.json()["stale_after_days"] == 100
    r = await api.client.get(
        f"/api/v1/projects/{pid}/stale-features", params={"days": 0}, headers=admin
    )
    assert r.status_code == 400
    board: dict[str, Any] = (
        await api.client.get(f"/api/v1/projects/{pid}/dashboard", headers=admin)
    ).json()
    assert board["stale_features"] == 0 and board["stale_after_days"] == 100
    # A feature evaluated through the SDK stops being stale once the evaluation time is flushed.
    sdk = {"Authorization": await api.sdk_key(admin, pid)}
    await api.client.post("/sdk/v1/features/old_off/evaluate", json={}, headers=sdk)
    seen = api.services.evaluation.take_seen()
    async with api.services.storage.unit_of_work() as uow:
        await uow.states.touch_evaluated(seen)
    r = await api.client.get(
        f"/api/v1/projects/{pid}/stale-features", params={"days": 30}, headers=admin
    )
    assert [f["feature_key"] for f in r.json()["items"]] == ["old_on"]
