"""Issue 10: no way around approvals. Segment sync and segment edits, the guard's own settings,
and removing environments or projects that hold guarded features all need approval."""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.governance_support import PASSWORD, member, module_api
from tests.conftest import Api

pytestmark = pytest.mark.asyncio(loop_scope="module")
api = module_api()

PRO = {"condition": {"attribute": "plan", "operator": "eq", "value": "pro"}}
ENTERPRISE = {"condition": {"attribute": "plan", "operator": "eq", "value": "enterprise"}}


async def _setup(api: Api) -> dict[str, Any]:
    """A project whose `checkout` follows segment `Paying` in prod and is guarded, and whose
    `banner` follows it too, in dev, unguarded."""
    admin = await api.admin()
    pid = (await api.project(admin))["id"]
    r = await api.client.post(
        f"/api/v1/projects/{pid}/segments", json={"name": "Paying", "condition": PRO}, headers=admin
    )
    assert r.status_code == 201, r.text
    segment = r.json()
    rule = {"action": "include", "priority": 1, "segment_id": segment["id"]}
    checkout = await api.feature(admin, pid, key="checkout")
    await api.put_state(admin, checkout["id"], enabled=True, default_value="on", rules=[rule])
    banner = await api.feature(admin, pid, key="banner")
    await api.put_state(admin, banner["id"], "dev", enabled=True, default_value="on", rules=[rule])
    # Turning the guard on is tightening: it applies at once.
    r = await api.client.patch(
        f"/api/v1/features/{checkout['id']}", json={"tags": ["guarded"]}, headers=admin
    )
    assert r.status_code == 200, r.text
    alice, alice_h = await member(api, admin, pid, "alice", "manager")
    bob, bob_h = await member(api, admin, pid, "bob", "manager")
    carol, carol_h = await member(api, admin, pid, "carol", "owner")
    vic, vic_h = await member(api, admin, pid, "vic", "viewer")
    return {
        "admin": admin,
        "pid": pid,
        "segment": segment,
        "checkout": checkout,
        "banner": banner,
        "prod": {"Authorization": await api.sdk_key(admin, pid)},
        "dev": {"Authorization": await api.sdk_key(admin, pid, "dev")},
        "alice": (alice, alice_h),
        "bob": (bob, bob_h),
        "carol": (carol, carol_h),
        "vic": (vic, vic_h),
    }


async def _serves(api: Api, key: dict[str, str], feature: str, plan: str) -> bool:
    r = await api.client.post(
        f"/sdk/v1/features/{feature}/evaluate", json={"plan": plan}, headers=key
    )
    assert r.status_code == 200, r.text
    return bool(r.json()["enabled"])


async def _approve(
    api: Api, change_id: str, *approvers: tuple[dict[str, Any], dict[str, str]]
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _user, headers in approvers:
        r = await api.client.post(
            f"/api/v1/pending-changes/{change_id}/approve",
            json={"password": PASSWORD},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        body = r.json()
    return body


def _pending(r: Any) -> dict[str, Any]:
    assert r.status_code == 202, r.text
    change: dict[str, Any] = r.json()
    assert change["status"] == "pending"
    return change


async def _customise(api: Api, s: dict[str, Any]) -> str:
    """Customise checkout's prod rule (through an approval) and return the rule's id."""
    fid = s["checkout"]["id"]
    custom = {
        "action": "include",
        "priority": 1,
        "segment_id": s["segment"]["id"],
        "condition": ENTERPRISE,
    }
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/prod",
        json={"enabled": True, "default_value": "on", "rules": [custom]},
        headers=s["alice"][1],
    )
    await _approve(api, _pending(r)["id"], s["bob"])
    state = (
        await api.client.get(f"/api/v1/features/{fid}/environments/prod", headers=s["admin"])
    ).json()
    assert state["rules"][0]["is_customized"] is True
    return str(state["rules"][0]["id"])


async def test_sync_of_a_guarded_rule_is_a_pending_change(api: Api) -> None:
    s = await _setup(api)
    rule_id = await _customise(api, s)
    assert await _serves(api, s["prod"], "checkout", "enterprise") is True
    r = await api.client.post(
        f"/api/v1/segments/{s['segment']['id']}/rules/{rule_id}/sync", headers=s["alice"][1]
    )
    change = _pending(r)
    assert change["operation"] == "segment.sync_rules" and change["feature_key"] == "checkout"
    assert await _serves(api, s["prod"], "checkout", "enterprise") is True  # unchanged
    assert await _serves(api, s["prod"], "checkout", "pro") is False
    decided = await _approve(api, change["id"], s["bob"])
    assert decided["status"] == "approved"
    assert await _serves(api, s["prod"], "checkout", "pro") is True
    assert await _serves(api, s["prod"], "checkout", "enterprise") is False


async def test_segment_edit_waits_for_approval_on_guarded_followers_only(api: Api) -> None:
    s = await _setup(api)
    sid = s["segment"]["id"]
    r = await api.client.patch(
        f"/api/v1/segments/{sid}", json={"condition": ENTERPRISE}, headers=s["alice"][1]
    )
    assert r.status_code == 200, r.text
    assert r.json()["condition"] == ENTERPRISE
    # The unguarded follower moved at once, the guarded one still serves the old condition.
    assert await _serves(api, s["dev"], "banner", "enterprise") is True
    assert await _serves(api, s["prod"], "checkout", "pro") is True
    assert await _serves(api, s["prod"], "checkout", "enterprise") is False
    # ... and a pending sync of it waits for approval; the rule shows as desynced meanwhile.
    r = await api.client.get(
        f"/api/v1/projects/{s['pid']}/pending-changes",
        params={"feature_id": s["checkout"]["id"], "status": "pending"},
        headers=s["admin"],
    )
    [change] = r.json()["items"]
    assert change["operation"] == "segment.sync_rules" and change["environment_key"] == "prod"
    [rule_diff] = [d for d in change["diff"] if d["entity"] == "rule"]
    assert rule_diff["changes"]["condition"] == {"old": PRO, "new": ENTERPRISE}
    desynced = (
        await api.client.get(f"/api/v1/projects/{s['pid']}/segments-desynced", headers=s["admin"])
    ).json()
    assert [d["feature_key"] for d in desynced["items"]] == ["checkout"]
    await _approve(api, change["id"], s["bob"])
    assert await _serves(api, s["prod"], "checkout", "enterprise") is True
    assert await _serves(api, s["prod"], "checkout", "pro") is False
    state = (
        await api.client.get(
            f"/api/v1/features/{s['checkout']['id']}/environments/prod", headers=s["admin"]
        )
    ).json()
    assert state["rules"][0]["is_customized"] is False


async def test_switching_the_environment_guard_off_needs_approval(api: Api) -> None:
    s = await _setup(api)
    pid, alice_h = s["pid"], s["alice"][1]
    url = f"/api/v1/projects/{pid}/environments/prod"
    r = await api.client.patch(url, json={"requires_approval": True}, headers=alice_h)
    assert r.status_code == 200 and r.json()["requires_approval"] is True  # tightening: at once
    change = _pending(
        await api.client.patch(url, json={"requires_approval": False}, headers=alice_h)
    )
    assert change["operation"] == "environment.update"
    assert (await api.client.get(url, headers=alice_h)).json()["requires_approval"] is True
    # A second weakening change waits for the first.
    r = await api.client.put(
        f"/api/v1/projects/{pid}/settings", json={"required_approvals": 1}, headers=alice_h
    )
    assert r.status_code in (200, 409), r.text
    await _approve(api, change["id"], s["bob"])
    assert (await api.client.get(url, headers=alice_h)).json()["requires_approval"] is False


async def test_project_guard_and_required_approvals_cannot_be_lowered_at_once(api: Api) -> None:
    s = await _setup(api)
    pid, alice_h = s["pid"], s["alice"][1]
    gov = f"/api/v1/projects/{pid}/governance"
    settings = f"/api/v1/projects/{pid}/settings"
    r = await api.client.put(gov, json={"requires_approval": True}, headers=alice_h)
    assert r.status_code == 200 and r.json()["requires_approval"] is True
    r = await api.client.put(settings, json={"required_approvals": 2}, headers=alice_h)
    assert r.status_code == 200 and r.json()["required_approvals"] == 2

    change = _pending(
        await api.client.put(settings, json={"required_approvals": 1}, headers=alice_h)
    )
    assert (await api.client.get(settings, headers=alice_h)).json()["required_approvals"] == 2
    # Approved under the settings in force before the change: two approvals are needed.
    one = await _approve(api, change["id"], s["bob"])
    assert one["status"] == "pending"
    await _approve(api, change["id"], s["carol"])
    assert (await api.client.get(settings, headers=alice_h)).json()["required_approvals"] == 1

    change = _pending(await api.client.put(gov, json={"requires_approval": False}, headers=alice_h))
    assert (await api.client.get(gov, headers=alice_h)).json()["requires_approval"] is True
    await _approve(api, change["id"], s["bob"])
    assert (await api.client.get(gov, headers=alice_h)).json()["requires_approval"] is False
    # Settings that are not the guard still apply at once.
    r = await api.client.put(gov, json={"stale_after_days": 12}, headers=alice_h)
    assert r.status_code == 200 and r.json()["stale_after_days"] == 12


async def test_approvers_must_hold_a_role_that_approves(api: Api) -> None:
    s = await _setup(api)
    pid, admin = s["pid"], s["admin"]
    (vic, vic_h), (bob, bob_h), (_, alice_h) = s["vic"], s["bob"], s["alice"]
    gov = f"/api/v1/projects/{pid}/governance"
    r = await api.client.put(gov, json={"approver_ids": [vic["id"]]}, headers=alice_h)
    assert r.status_code == 400, r.text
    assert "approver_ids" in r.json()["error"]["message"]
    # Changing the approver list is a guard change: approved by the approvers in force.
    change = _pending(
        await api.client.put(gov, json={"approver_ids": [bob["id"]]}, headers=alice_h)
    )
    assert (await api.client.get(gov, headers=alice_h)).json()["approver_ids"] == []
    await _approve(api, change["id"], s["carol"])
    assert (await api.client.get(gov, headers=alice_h)).json()["approver_ids"] == [bob["id"]]

    # Bob is demoted to viewer: he stays on the list but may no longer approve.
    r = await api.client.get(f"/api/v1/projects/{pid}/memberships", headers=admin)
    [membership] = [m for m in r.json()["items"] if m["user_id"] == bob["id"]]
    r = await api.client.put(
        f"/api/v1/projects/{pid}/memberships/{membership['id']}",
        json={"role_id": "viewer"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    toggle = _pending(
        await api.client.put(
            f"/api/v1/features/{s['checkout']['id']}/environments/prod/toggle",
            json={"enabled": False},
            headers=alice_h,
        )
    )
    r = await api.client.post(
        f"/api/v1/pending-changes/{toggle['id']}/approve",
        json={"password": PASSWORD},
        headers=bob_h,
    )
    assert r.status_code == 403, r.text
    assert await _serves(api, s["prod"], "checkout", "pro") is True
    del vic_h


async def test_removing_containers_of_guarded_features_needs_approval(api: Api) -> None:
    s = await _setup(api)
    pid, alice_h, admin = s["pid"], s["alice"][1], s["admin"]
    env_url = f"/api/v1/projects/{pid}/environments/prod"
    change = _pending(await api.client.delete(env_url, headers=alice_h))
    assert change["operation"] == "environment.delete"
    assert (await api.client.get(env_url, headers=admin)).status_code == 200
    assert await _serves(api, s["prod"], "checkout", "pro") is True
    r = await api.client.post(
        f"/api/v1/pending-changes/{change['id']}/cancel", json={}, headers=alice_h
    )
    assert r.status_code == 200, r.text
    # dev holds checkout's state too (checkout is tagged): removing it is approved, then applied.
    dev_url = f"/api/v1/projects/{pid}/environments/dev"
    change = _pending(await api.client.delete(dev_url, headers=alice_h))
    decided = await _approve(api, change["id"], s["bob"])
    assert decided["status"] == "approved" and decided["id"] == change["id"]
    assert (await api.client.get(dev_url, headers=admin)).status_code == 404

    project_url = f"/api/v1/projects/{pid}"
    change = _pending(await api.client.patch(project_url, json={"archived": True}, headers=alice_h))
    assert (await api.client.get(project_url, headers=admin)).json()["archived_at"] is None
    assert await _serves(api, s["prod"], "checkout", "pro") is True
    await api.client.post(
        f"/api/v1/pending-changes/{change['id']}/cancel", json={}, headers=alice_h
    )

    # Renaming is not a removal: it applies at once.
    r = await api.client.patch(project_url, json={"name": "renamed"}, headers=alice_h)
    assert r.status_code == 200, r.text

    change = _pending(await api.client.delete(project_url, headers=alice_h))
    assert change["operation"] == "project.delete"
    assert (await api.client.get(project_url, headers=admin)).status_code == 200
    decided = await _approve(api, change["id"], s["bob"])
    assert decided["status"] == "approved"
    assert (await api.client.get(project_url, headers=admin)).status_code == 404


async def test_an_unguarded_environment_of_an_unguarded_project_is_removed_at_once(
    api: Api,
) -> None:
    admin = await api.admin()
    pid = (await api.project(admin))["id"]
    await api.feature(admin, pid, key="plain")
    r = await api.client.delete(f"/api/v1/projects/{pid}/environments/dev", headers=admin)
    assert r.status_code == 204, r.text
    r = await api.client.patch(f"/api/v1/projects/{pid}", json={"archived": True}, headers=admin)
    assert r.status_code == 200 and r.json()["archived_at"] is not None
