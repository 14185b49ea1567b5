"""Auto-disable from SDK error reports, feature health, and the notifications that say why."""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.governance_support import (
    HttpReceiver,
    audit,
    eventually,
    member,
    module_api,
    verify_signature,
)
from tests.conftest import Api

pytestmark = pytest.mark.asyncio(loop_scope="module")
api = module_api(webhook_allow_private=True)  # the receiver listens on loopback

SECRET = "s3cret-signing-key-123"


async def _report(api: Api, sdk: dict[str, str], key: str, n: int) -> None:
    for i in range(n):
        r = await api.client.post(
            f"/sdk/v1/features/{key}/report-error",
            json={"error_type": "TimeoutError", "error_message": f"upstream timed out #{i}"},
            headers=sdk,
        )
        assert r.status_code == 202, r.text


async def test_errors_switch_the_feature_off_and_the_webhook_hears_why(api: Api) -> None:
    receiver = await HttpReceiver().start()
    try:
        admin = await api.admin()
        project = await api.project(admin)
        pid = project["id"]
        fid = (await api.feature(admin, pid, key="payments_v2", tags=["auto-disable"]))["id"]
        sdk = {"Authorization": await api.sdk_key(admin, pid)}
        await api.client.put(
            f"/api/v1/features/{fid}/environments/prod/toggle",
            json={"enabled": True},
            headers=admin,
        )
        r = await api.client.put(
            f"/api/v1/projects/{pid}/settings",
            json={"auto_disable_error_threshold": 3, "auto_disable_time_window_sec": 60},
            headers=admin,
        )
        assert r.status_code == 200
        r = await api.client.post(
            f"/api/v1/projects/{pid}/notification-channels",
            headers=admin,
            json={
                "type": "webhook",
                "environment_key": "prod",
                "triggers": ["auto_disabled", "state_changed"],
                "config": {"url": receiver.url + "/hook", "secret": SECRET},
            },
        )
        assert r.status_code == 201, r.text

        health = f"/api/v1/features/{fid}/environments/prod/health"
        r = await api.client.get("/sdk/v1/features/payments_v2/health", headers=sdk)
        assert r.status_code == 200
        assert r.json() == {
            "feature_key": "payments_v2",
            "environment_key": "prod",
            "enabled": True,
            "auto_disabled": False,
            "error_rate": 0.0,
            "errors_in_window": 0,
            "window_sec": 60,
            "threshold": 3,
            "status": "healthy",
        }  # no `last_error_at`: left out until there is an error (the Go SDK cannot read null)

        await _report(api, sdk, "payments_v2", 2)
        r = await api.client.get(health, headers=admin)
        assert r.json()["status"] == "degraded" and r.json()["errors_in_window"] == 2
        assert r.json()["auto_disable_eligible"] is True and r.json()["error_rate"] == 2 / 60
        assert (
            await api.client.post("/sdk/v1/features/payments_v2/evaluate", json={}, headers=sdk)
        ).json()["enabled"]

        await _report(api, sdk, "payments_v2", 1)  # the third error reaches the threshold
        r = await api.client.post("/sdk/v1/features/payments_v2/evaluate", json={}, headers=sdk)
        assert r.json()["enabled"] is False
        r = await api.client.get(health, headers=admin)
        body = r.json()
        assert (
            body["status"] == "disabled"
            and body["auto_disabled"] is True
            and body["enabled"] is False
        )
        assert "3 errors" in body["auto_disable_reason"] and body["last_error_at"] is not None
        r = await api.client.get("/sdk/v1/features/payments_v2/health", headers=sdk)
        assert r.json()["auto_disabled"] is True and r.json()["errors_in_window"] == 3

        # More errors do not disable twice.
        await _report(api, sdk, "payments_v2", 2)
        rows = await audit(api, admin, pid, feature_id=fid)
        auto = [a for a in rows if a["action"] == "auto_disable"]
        assert (
            len(auto) == 1
            and auto[0]["actor"] == "system"
            and "threshold of 3" in auto[0]["new_value"]["reason"]
        )
        toggles = [a for a in rows if a["action"] == "toggle" and a["actor"] == "system"]
        assert len(toggles) == 1 and toggles[0]["new_value"] == {"enabled": False}

        # The webhook received a signed auto_disabled message saying why.
        hooks = await eventually(lambda: _hooks(receiver, "auto_disabled"))
        assert len(hooks) == 1
        assert verify_signature(SECRET, hooks[0])
        payload = hooks[0].json()
        assert (
            payload["feature"]["key"] == "payments_v2" and payload["environment"]["key"] == "prod"
        )
        assert payload["project"]["name"] == project["name"] and payload["data"]["errors"] == 3
        assert "automatically disabled" in payload["text"]
        assert hooks[0].headers["x-togglr-event"] == "auto_disabled"

        # Re-enabling is a normal, audited change (and notified as a state change).
        r = await api.client.put(
            f"/api/v1/features/{fid}/environments/prod/toggle",
            json={"enabled": True},
            headers=admin,
        )
        assert r.status_code == 200
        r = await api.client.get(health, headers=admin)
        assert r.json()["auto_disabled"] is False and r.json()["status"] == "failing"
        changed = await eventually(lambda: _hooks(receiver, "state_changed"))
        assert changed[0].json()["data"] == {"enabled": True, "by": "admin"}
    finally:
        await receiver.close()


async def _hooks(receiver: HttpReceiver, event: str) -> list[Any]:
    return [r for r in receiver.on("/hook") if r.json()["event"] == event]


async def test_approval_required_opens_one_pending_change_and_untagged_features_stay_on(
    api: Api,
) -> None:
    admin = await api.admin()
    project = await api.project(admin)
    pid = project["id"]
    fid = (await api.feature(admin, pid, key="recs", tags=["auto-disable"]))["id"]
    plain = (await api.feature(admin, pid, key="plain"))["id"]
    sdk = {"Authorization": await api.sdk_key(admin, pid)}
    for feature_id in (fid, plain):
        await api.client.put(
            f"/api/v1/features/{feature_id}/environments/prod/toggle",
            json={"enabled": True},
            headers=admin,
        )
    await api.client.put(
        f"/api/v1/projects/{pid}/settings",
        headers=admin,
        json={"auto_disable_error_threshold": 2, "auto_disable_requires_approval": True},
    )
    owner, owner_h = await member(api, admin, pid, "olga", "owner")

    await _report(api, sdk, "recs", 5)
    await _report(api, sdk, "plain", 5)
    r = await api.client.get(
        f"/api/v1/projects/{pid}/pending-changes", params={"status": "pending"}, headers=admin
    )
    changes = r.json()["items"]
    assert len(changes) == 1  # no duplicates while one is open
    change = changes[0]
    assert change["origin"] == "auto-disable" and change["requested_by"] == "auto-disable"
    assert "threshold of 2" in change["reason"] and change["arguments"]["enabled"] is False
    r = await api.client.get(f"/api/v1/features/{fid}/environments/prod/health", headers=admin)
    assert r.json()["status"] == "failing" and r.json()["pending_change_id"] == change["id"]
    assert (await api.client.post("/sdk/v1/features/recs/evaluate", json={}, headers=sdk)).json()[
        "enabled"
    ] is True
    # Without the auto-disable tag, errors are recorded but nothing switches off.
    r = await api.client.get(f"/api/v1/features/{plain}/environments/prod/health", headers=admin)
    assert r.json()["status"] == "failing" and r.json()["auto_disable_eligible"] is False
    assert (await api.client.post("/sdk/v1/features/plain/evaluate", json={}, headers=sdk)).json()[
        "enabled"
    ] is True

    # Approvers are told (in-app); approving switches it off.
    inbox = (await api.client.get("/api/v1/users/me/notifications", headers=owner_h)).json()
    assert any(
        n["type"] == "approval_needed" and n["data"]["change_id"] == change["id"]
        for n in inbox["items"]
    )
    r = await api.client.post(
        f"/api/v1/pending-changes/{change['id']}/approve",
        json={"password": owner["password"]},
        headers=owner_h,
    )
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    assert (await api.client.post("/sdk/v1/features/recs/evaluate", json={}, headers=sdk)).json()[
        "enabled"
    ] is False
    rows = await audit(api, admin, pid, feature_id=fid)
    assert any(a["action"] == "auto_disable_requested" for a in rows)

    # The project switch turns auto-disable off entirely.
    await api.client.put(
        f"/api/v1/features/{fid}/environments/prod/toggle", json={"enabled": True}, headers=admin
    )
    await api.client.put(
        f"/api/v1/projects/{pid}/settings", json={"auto_disable_enabled": False}, headers=admin
    )
    await _report(api, sdk, "recs", 3)
    r = await api.client.get(
        f"/api/v1/projects/{pid}/pending-changes", params={"status": "pending"}, headers=admin
    )
    assert r.json()["total"] == 0
    r = await api.client.get(f"/api/v1/features/{fid}/environments/prod/health", headers=admin)
    assert r.json()["auto_disable_eligible"] is False
