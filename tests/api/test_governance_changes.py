"""Guarded features: changes become pending changes, approvals with re-authentication, locks, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from tests.api.governance_support import audit, member, module_api
from tests.conftest import Api

pytestmark = pytest.mark.asyncio(loop_scope="module")
api = module_api()


async def _setup(api: Api) -> dict[str, Any]:
    admin = await api.admin()
    project = await api.project(admin)
    pid = project["id"]
    feature = await api.feature(admin, pid, key="checkout", tags=["guarded"])
    alice, alice_h = await member(api, admin, pid, "alice", "manager")
    bob, bob_h = await member(api, admin, pid, "bob", "manager")
    carol, carol_h = await member(api, admin, pid, "carol", "owner")
    dave, dave_h = await member(api, admin, pid, "dave", "member")
    return {
        "admin": admin,
        "pid": pid,
        "feature": feature,
        "sdk": {"Authorization": await api.sdk_key(admin, pid)},
        "alice": (alice, alice_h),
        "bob": (bob, bob_h),
        "carol": (carol, carol_h),
        "dave": (dave, dave_h),
    }


async def test_guarded_toggle_needs_two_approvals_and_applies_atomically(api: Api) -> None:
    s = await _setup(api)
    pid, fid, admin = s["pid"], s["feature"]["id"], s["admin"]
    (alice, alice_h), (bob, bob_h), (carol, carol_h), (_, dave_h) = (
        s["alice"],
        s["bob"],
        s["carol"],
        s["dave"],
    )
    r = await api.client.put(
        f"/api/v1/projects/{pid}/settings", json={"required_approvals": 2}, headers=admin
    )
    assert r.status_code == 200, r.text

    # A toggle of a guarded feature is stored, not applied: 202 with the pending change and its diff.
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/prod/toggle", json={"enabled": True}, headers=alice_h
    )
    assert r.status_code == 202, r.text
    change = r.json()
    assert r.headers["location"] == f"/api/v1/pending-changes/{change['id']}"
    assert change["status"] == "pending" and change["requested_by"] == alice["username"]
    assert change["environment_key"] == "prod" and change["feature_key"] == "checkout"
    assert change["required_approvals"] == 2 and change["approvals"] == []
    assert change["diff"] == [
        {
            "entity": "feature_state",
            "entity_id": f"{fid}:{change['environment_id']}",
            "action": "update",
            "label": "checkout in prod",
            "changes": {"enabled": {"old": False, "new": True}},
        }
    ]
    state = (
        await api.client.get(f"/api/v1/features/{fid}/environments/prod", headers=admin)
    ).json()
    assert state["enabled"] is False
    r = await api.client.post("/sdk/v1/features/checkout/evaluate", json={}, headers=s["sdk"])
    assert r.json()["enabled"] is False

    # The entities are locked until the change is decided.
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/prod",
        json={"enabled": True, "default_value": "x"},
        headers=bob_h,
    )
    assert r.status_code == 409
    assert (
        r.json()["error"]["code"] == "locked"
        and r.json()["error"]["pending_change_id"] == change["id"]
    )
    # Another environment is not locked by it (but is guarded by the tag too).
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/dev/toggle", json={"enabled": True}, headers=bob_h
    )
    assert r.status_code == 202

    # Listing and filters.
    r = await api.client.get(
        f"/api/v1/projects/{pid}/pending-changes", params={"status": "pending"}, headers=dave_h
    )
    assert r.status_code == 200 and r.json()["total"] == 2
    r = await api.client.get(
        f"/api/v1/projects/{pid}/pending-changes",
        params={"environment_key": "prod", "requested_by": alice["username"]},
        headers=admin,
    )
    assert [c["id"] for c in r.json()["items"]] == [change["id"]]
    r = await api.client.get(
        f"/api/v1/projects/{pid}/pending-changes", params={"requested_by": bob["id"]}, headers=admin
    )
    assert r.json()["total"] == 1
    r = await api.client.get(
        f"/api/v1/projects/{pid}/pending-changes", params={"status": "bogus"}, headers=admin
    )
    assert r.status_code == 400

    url = f"/api/v1/pending-changes/{change['id']}/approve"
    # Nobody approves their own change; members are not approvers; the password must be right.
    r = await api.client.post(url, json={"password": alice["password"]}, headers=alice_h)
    assert r.status_code == 403 and r.json()["error"]["code"] == "self_approval"
    r = await api.client.post(url, json={"password": "user-password-1"}, headers=dave_h)
    assert r.status_code == 403
    r = await api.client.post(url, json={"password": "wrong-password"}, headers=bob_h)
    assert r.status_code == 403 and r.json()["error"]["code"] == "reauth_failed"
    r = await api.client.post(url, json={}, headers=bob_h)
    assert r.status_code == 400
    r = await api.client.post(url, json={"totp": "123456"}, headers=bob_h)
    assert r.status_code == 400 and "2FA is not enabled" in r.json()["error"]["message"]

    # First approval: recorded, not applied yet.
    r = await api.client.post(url, json={"password": bob["password"]}, headers=bob_h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending" and [a["username"] for a in r.json()["approvals"]] == [
        bob["username"]
    ]
    r = await api.client.post(url, json={"password": bob["password"]}, headers=bob_h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_approved"
    assert (
        await api.client.get(f"/api/v1/features/{fid}/environments/prod", headers=admin)
    ).json()["enabled"] is False

    # Second approval applies the change.
    r = await api.client.post(
        url, json={"password": carol["password"]}, headers={**carol_h, "X-Request-Id": "approve-1"}
    )
    assert r.status_code == 200, r.text
    decided = r.json()
    assert (
        decided["status"] == "approved"
        and decided["decided_by"] == carol["username"]
        and len(decided["approvals"]) == 2
    )
    assert (
        await api.client.get(f"/api/v1/features/{fid}/environments/prod", headers=admin)
    ).json()["enabled"] is True
    r = await api.client.post("/sdk/v1/features/checkout/evaluate", json={}, headers=s["sdk"])
    assert r.json()["enabled"] is True
    r = await api.client.post(url, json={"password": carol["password"]}, headers=carol_h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_pending"

    # The lock is released: a new change may be requested.
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/prod/toggle", json={"enabled": False}, headers=alice_h
    )
    assert r.status_code == 202

    # Everything is audited; the applied toggle is attributed to the requester, in the approval's request.
    rows = await audit(api, admin, pid, feature_id=fid)
    actions = [(row["entity"], row["action"], row["username"]) for row in rows]
    assert ("pending_change", "create", alice["username"]) in actions
    assert ("pending_change", "approve", bob["username"]) in actions
    assert ("pending_change", "apply", carol["username"]) in actions
    toggles = [
        row for row in rows if row["entity"] == "feature_state" and row["action"] == "toggle"
    ]
    assert (
        len(toggles) == 1
        and toggles[0]["username"] == alice["username"]
        and toggles[0]["request_id"] == "approve-1"
    )


async def test_edit_reject_cancel_delete_and_approver_list(api: Api) -> None:
    s = await _setup(api)
    pid, fid, admin = s["pid"], s["feature"]["id"], s["admin"]
    (_alice, alice_h), (bob, bob_h), (carol, carol_h), (_, dave_h) = (
        s["alice"],
        s["bob"],
        s["carol"],
        s["dave"],
    )
    await api.client.put(
        f"/api/v1/projects/{pid}/settings", json={"required_approvals": 2}, headers=admin
    )

    # A full state PUT: the diff lists the switch, each variant and each rule.
    body = {
        "enabled": True,
        "default_value": "on",
        "rules": [
            {
                "action": "exclude",
                "priority": 1,
                "condition": {
                    "condition": {"attribute": "country", "operator": "eq", "value": "FR"}
                },
            }
        ],
    }
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/prod", json=body, headers=alice_h
    )
    assert r.status_code == 202, r.text
    change = r.json()
    entities = {(e["entity"], e["action"]) for e in change["diff"]}
    assert entities == {("feature_state", "update"), ("rule", "create")}
    assert change["diff"][0]["changes"] == {
        "enabled": {"old": False, "new": True},
        "default_value": {"old": "", "new": "on"},
    }
    url = f"/api/v1/pending-changes/{change['id']}"
    r = await api.client.post(url + "/approve", json={"password": bob["password"]}, headers=bob_h)
    assert len(r.json()["approvals"]) == 1

    # Editing (requester only) re-validates and clears the approvals.
    r = await api.client.patch(url, json={"arguments": {"default_value": "later"}}, headers=bob_h)
    assert r.status_code == 403
    r = await api.client.patch(
        url,
        json={"arguments": {"variants": [{"name": "x", "rollout_percent": 5}]}},
        headers=alice_h,
    )
    assert (
        r.status_code == 400
    )  # a simple feature has no variants: same validation as the original call
    r = await api.client.patch(url, json={"arguments": {"default_value": "later"}}, headers=alice_h)
    assert r.status_code == 200, r.text
    assert r.json()["approvals"] == [] and r.json()["arguments"]["default_value"] == "later"
    assert r.json()["diff"][0]["changes"]["default_value"] == {"old": "", "new": "later"}

    # Reject needs an approver and a reason.
    r = await api.client.post(url + "/reject", json={"reason": "no"}, headers=dave_h)
    assert r.status_code == 403
    r = await api.client.post(url + "/reject", json={"reason": ""}, headers=bob_h)
    assert r.status_code == 400
    r = await api.client.post(
        url + "/reject", json={"reason": "not during the sale"}, headers=bob_h
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert r.json()["decision_reason"] == "not during the sale"
    assert (
        await api.client.get(f"/api/v1/features/{fid}/environments/prod", headers=admin)
    ).json()["enabled"] is False

    # Cancel: the requester (or a project manager) only.
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/prod/toggle", json={"enabled": True}, headers=dave_h
    )
    assert r.status_code == 202
    other = r.json()["id"]
    r = await api.client.post(f"/api/v1/pending-changes/{other}/cancel", json={}, headers=alice_h)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"  # alice is a manager
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/prod/toggle", json={"enabled": True}, headers=alice_h
    )
    mine = r.json()["id"]
    r = await api.client.post(f"/api/v1/pending-changes/{mine}/cancel", headers=dave_h)
    assert r.status_code == 403
    r = await api.client.post(f"/api/v1/pending-changes/{mine}/cancel", headers=alice_h)
    assert r.status_code == 200
    r = await api.client.post(f"/api/v1/pending-changes/{mine}/cancel", headers=alice_h)
    assert r.status_code == 409

    # A configured approver list replaces "owners and managers".
    r = await api.client.put(
        f"/api/v1/projects/{pid}/governance",
        json={"approver_ids": [carol["id"]], "required_approvals": 1},
        headers=admin,
    )
    assert r.status_code == 400  # required_approvals lives in the project settings
    r = await api.client.put(
        f"/api/v1/projects/{pid}/governance", json={"approver_ids": ["nobody"]}, headers=admin
    )
    assert r.status_code == 400
    # Lowering the required approvals and setting the list are themselves guarded: approved
    # under the settings in force (two approvals, from owners or managers).
    for url, body in (
        (f"/api/v1/projects/{pid}/settings", {"required_approvals": 1}),
        (f"/api/v1/projects/{pid}/governance", {"approver_ids": [carol["id"]]}),
    ):
        r = await api.client.put(url, json=body, headers=admin)
        assert r.status_code == 202, r.text
        guard_change = r.json()["id"]
        for who, headers in ((bob, bob_h), (carol, carol_h)):
            r = await api.client.post(
                f"/api/v1/pending-changes/{guard_change}/approve",
                json={"password": who["password"]},
                headers=headers,
            )
            assert r.status_code == 200, r.text
            if r.json()["status"] == "approved":
                break
        assert r.json()["status"] == "approved"
    r = await api.client.get(f"/api/v1/projects/{pid}/governance", headers=admin)
    assert r.json()["approver_ids"] == [carol["id"]]

    # Deleting a guarded feature is a pending change too; it blocks every other change of the feature.
    r = await api.client.delete(f"/api/v1/features/{fid}", headers=alice_h)
    assert r.status_code == 202
    deletion = r.json()
    assert deletion["diff"][0]["action"] == "delete" and deletion["environment_key"] is None
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/stage/toggle", json={"enabled": True}, headers=alice_h
    )
    assert r.status_code == 409
    r = await api.client.post(
        f"/api/v1/pending-changes/{deletion['id']}/approve",
        json={"password": bob["password"]},
        headers=bob_h,
    )
    assert r.status_code == 403  # bob is a manager but not on the approver list
    # Carol has 2FA on, so she may confirm with a code instead of her password.
    r = await api.client.post("/api/v1/users/me/2fa/setup", headers=carol_h)
    assert r.status_code == 200, r.text
    totp = pyotp.TOTP(r.json()["secret"])
    r = await api.client.post(
        "/api/v1/users/me/2fa/confirm", json={"code": totp.now()}, headers=carol_h
    )
    assert r.status_code == 200, r.text
    approve = f"/api/v1/pending-changes/{deletion['id']}/approve"
    r = await api.client.post(approve, json={"totp": "000000"}, headers=carol_h)
    assert r.status_code == 403 and r.json()["error"]["code"] == "reauth_failed"
    next_code = totp.at(
        datetime.now(UTC) + timedelta(seconds=30)
    )  # the current one was spent confirming
    r = await api.client.post(approve, json={"totp": next_code}, headers=carol_h)
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    assert r.json()["approvals"][0]["method"] == "totp"
    assert (await api.client.get(f"/api/v1/features/{fid}", headers=admin)).status_code == 404
    r = await api.client.get(f"/api/v1/pending-changes/{deletion['id']}", headers=admin)
    assert r.status_code == 200 and r.json()["feature_key"] == "checkout"
    r = await api.client.get(
        "/api/v1/pending-changes", params={"status": "approved"}, headers=carol_h
    )
    assert deletion["id"] in [c["id"] for c in r.json()["items"]]


async def test_environment_and_project_approval_settings_guard_untagged_features(api: Api) -> None:
    admin = await api.admin()
    project = await api.project(admin)
    pid = project["id"]
    feature = await api.feature(admin, pid, key="search")
    fid = feature["id"]
    _, mgr_h = await member(api, admin, pid, "erin", "manager")

    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/prod/toggle", json={"enabled": True}, headers=mgr_h
    )
    assert r.status_code == 200  # not guarded yet
    r = await api.client.patch(
        f"/api/v1/projects/{pid}/environments/prod", json={"requires_approval": True}, headers=admin
    )
    assert r.status_code == 200
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/prod/toggle", json={"enabled": False}, headers=mgr_h
    )
    assert r.status_code == 202
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/dev/toggle", json={"enabled": True}, headers=mgr_h
    )
    assert r.status_code == 200  # dev does not require approval
    # Feature-wide edits touch prod too, so they need approval while any environment requires it.
    r = await api.client.patch(f"/api/v1/features/{fid}", json={"name": "Search v2"}, headers=mgr_h)
    assert r.status_code == 202
    assert r.json()["diff"][0]["changes"] == {"name": {"old": "A feature", "new": "Search v2"}}
    # A no-op change needs no approval.
    r = await api.client.patch(f"/api/v1/features/{fid}", json={"description": ""}, headers=mgr_h)
    assert r.status_code == 409  # ...but the rename holds the feature-wide lock

    r = await api.client.put(
        f"/api/v1/projects/{pid}/governance", json={"requires_approval": True}, headers=admin
    )
    assert r.status_code == 200 and r.json()["requires_approval"] is True
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/dev/toggle", json={"enabled": False}, headers=mgr_h
    )
    assert r.status_code == 202
    r = await api.client.get(f"/api/v1/projects/{pid}/governance", headers=mgr_h)
    assert r.json() == {
        "requires_approval": True,
        "approver_ids": [],
        "auto_disable_error_share": None,
        "auto_disable_min_volume": 100,
        "stale_after_days": 30,
    }
    r = await api.client.put(
        f"/api/v1/projects/{pid}/governance", json={"requires_approval": False}, headers=mgr_h
    )
    # Switching the project's approval off is itself a change that needs approval.
    assert r.status_code == 202 and r.json()["operation"] == "governance.update"
    r = await api.client.get(
        f"/api/v1/projects/{pid}/pending-changes", params={"status": "pending"}, headers=admin
    )
    assert r.json()["total"] == 4
