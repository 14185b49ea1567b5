"""A guarded edit carries the requester's comment to the approvers (issue 15, guarded edits)."""

from __future__ import annotations

from tests.conftest import Api


async def test_the_comment_of_a_guarded_edit_reaches_the_pending_change(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(h, project["id"], key="checkout", tags=["guarded"])
    body = {"enabled": False, "default_value": "Continue", "comment": "  copy from the PM  "}
    r = await api.client.put(
        f"/api/v1/features/{feature['id']}/environments/prod", json=body, headers=h
    )
    assert r.status_code == 202, r.text
    assert r.json()["reason"] == "copy from the PM"
    listed = await api.client.get(
        f"/api/v1/projects/{project['id']}/pending-changes", params={"status": "pending"}, headers=h
    )
    assert [c["reason"] for c in listed.json()["items"]] == ["copy from the PM"]
    # too long a comment is a plain 400
    body["comment"] = "x" * 501
    r = await api.client.put(
        f"/api/v1/features/{feature['id']}/environments/prod", json=body, headers=h
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("comment:")
