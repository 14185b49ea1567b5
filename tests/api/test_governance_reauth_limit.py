"""Failed approval re-authentications are limited per user across every node."""

from __future__ import annotations

from typing import Any

from tests.api.governance_support import member
from tests.conftest import Api, running_api


async def test_failed_reauthentications_lock_approvals_on_every_node(
    api: Api, tmp_path: Any
) -> None:
    admin = await api.admin()
    pid = (await api.project(admin))["id"]
    fid = (await api.feature(admin, pid, key="payments", tags=["guarded"]))["id"]
    _, alice_h = await member(api, admin, pid, "alice", "manager")
    bob, bob_h = await member(api, admin, pid, "bob", "manager")
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/prod/toggle", json={"enabled": True}, headers=alice_h
    )
    assert r.status_code == 202, r.text
    url = f"/api/v1/pending-changes/{r.json()['id']}/approve"

    for _ in range(5):  # node A: wrong passwords
        r = await api.client.post(url, json={"password": "not-my-password"}, headers=bob_h)
        assert r.status_code == 403 and r.json()["error"]["code"] == "reauth_failed"
    # node B, same database: the right password is refused too, for a while
    async with running_api(api.app.runtime.settings.database_url, tmp_path) as other:
        r = await other.client.post(url, json={"password": bob["password"]}, headers=bob_h)
        assert r.status_code == 429, r.text
        assert int(r.headers["retry-after"]) > 0
    r = await api.client.get(f"/api/v1/pending-changes/{url.split('/')[-2]}", headers=admin)
    assert r.json()["status"] == "pending" and r.json()["approvals"] == []
