"""Schedules: CRUD with validation, timeline and what-if, evaluation at `now`, and recorded transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.api.governance_support import audit, eventually, member, module_api
from tests.conftest import Api

pytestmark = pytest.mark.asyncio(loop_scope="module")
api = module_api()


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def test_weekday_window_timeline_what_if_and_validation(api: Api) -> None:
    admin = await api.admin()
    project = await api.project(admin)
    pid = project["id"]
    feature = await api.feature(admin, pid, key="office_banner")
    fid = feature["id"]
    base = f"/api/v1/features/{fid}/environments/prod"
    await api.client.put(f"{base}/toggle", json={"enabled": True}, headers=admin)

    # Weekdays 09:00-17:00 Berlin time.
    r = await api.client.post(
        f"{base}/schedules",
        headers=admin,
        json={
            "action": "enable",
            "cron": "0 9 * * MON-FRI",
            "duration": "8h",
            "timezone": "Europe/Berlin",
        },
    )
    assert r.status_code == 201, r.text
    weekday = r.json()
    assert (
        weekday["kind"] == "recurring"
        and weekday["duration"] == "8h"
        and weekday["duration_seconds"] == 28800
    )
    assert weekday["cron"] == "0 9 * * MON-FRI" and weekday["environment_key"] == "prod"

    # The timeline of one week (Monday 2030-01-07 .. Monday 2030-01-14, CET = UTC+1).
    r = await api.client.get(
        f"{base}/timeline",
        params={"from": "2030-01-07T00:00:00Z", "to": "2030-01-14T00:00:00Z"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["from"].startswith("2030-01-07T00:00:00") and body["enabled"] is True
    events = [(e["at"][:16], e["enabled"]) for e in body["events"]]
    assert events[0] == ("2030-01-07T00:00", False)
    assert events[1:] == [
        (f"2030-01-{d:02d}T{h}", on)
        for d in range(7, 12)
        for h, on in (("08:00", True), ("16:00", False))
    ]

    # Across the spring DST change the window still starts at 09:00 local (07:00 UTC in summer).
    r = await api.client.get(
        f"{base}/timeline",
        params={"from": "2030-03-29T00:00:00Z", "to": "2030-04-02T00:00:00Z"},
        headers=admin,
    )
    starts = [e["at"][:16] for e in r.json()["events"] if e["enabled"]]
    assert starts == ["2030-03-29T08:00", "2030-04-01T07:00"]

    # What-if: proposed schedules replace (or join) the stored ones; nothing is saved.
    r = await api.client.post(
        f"{base}/timeline/what-if",
        headers=admin,
        json={
            "from": "2030-01-07T00:00:00Z",
            "to": "2030-01-08T00:00:00Z",
            "schedules": [
                {
                    "action": "disable",
                    "starts_at": "2030-01-07T12:00:00Z",
                    "ends_at": "2030-01-07T13:00:00Z",
                }
            ],
        },
    )
    assert r.status_code == 200, r.text
    assert [(e["at"][:16], e["enabled"]) for e in r.json()["events"]] == [
        ("2030-01-07T00:00", True),
        ("2030-01-07T12:00", False),
        ("2030-01-07T13:00", True),
    ]
    r = await api.client.post(
        f"{base}/timeline/what-if",
        headers=admin,
        json={
            "from": "2030-01-07T00:00:00Z",
            "to": "2030-01-08T00:00:00Z",
            "keep_existing": True,
            "schedules": [
                {
                    "action": "disable",
                    "starts_at": "2030-01-07T12:00:00Z",
                    "ends_at": "2030-01-07T13:00:00Z",
                }
            ],
        },
    )
    assert [(e["at"][:16], e["enabled"]) for e in r.json()["events"]] == [
        ("2030-01-07T00:00", False),
        ("2030-01-07T08:00", True),
        ("2030-01-07T12:00", False),
        ("2030-01-07T13:00", True),
        ("2030-01-07T16:00", False),
    ]
    r = await api.client.post(
        f"{base}/timeline/what-if",
        headers=admin,
        json={"schedules": [{"action": "enable", "cron": "nope", "duration": "1h"}]},
    )
    assert r.status_code == 400 and r.json()["error"]["message"].startswith(
        "schedules[0]: invalid cron"
    )
    assert len((await api.client.get(f"{base}/schedules", headers=admin)).json()["items"]) == 1

    # Validation: clear 400s, overlapping one-shot windows 409.
    for bad, needle in (
        ({"action": "enable", "cron": "0 9 * * FUNDAY", "duration": "8h"}, "day-of-week"),
        ({"action": "enable", "cron": "0 9 * * *"}, "duration"),
        ({"action": "enable", "cron": "0 9 * * *", "duration": "8x"}, "unknown unit"),
        (
            {
                "action": "enable",
                "starts_at": "2030-01-02T00:00:00Z",
                "ends_at": "2030-01-01T00:00:00Z",
            },
            "before",
        ),
        (
            {
                "action": "enable",
                "starts_at": "2020-01-01T00:00:00Z",
                "ends_at": "2020-01-02T00:00:00Z",
            },
            "past",
        ),
        (
            {"action": "enable", "timezone": "Mars/Olympus", "cron": "0 9 * * *", "duration": "1h"},
            "timezone",
        ),
        ({"action": "maybe", "starts_at": "2030-01-01T00:00:00Z"}, "action"),
    ):
        r = await api.client.post(f"{base}/schedules", json=bad, headers=admin)
        assert r.status_code == 400, (bad, r.text)
        assert needle in r.json()["error"]["message"], (bad, r.json())
    r = await api.client.post(
        f"{base}/schedules",
        headers=admin,
        json={
            "action": "disable",
            "starts_at": "2030-02-01T00:00:00Z",
            "ends_at": "2030-02-10T00:00:00Z",
        },
    )
    assert r.status_code == 201
    window = r.json()
    r = await api.client.post(
        f"{base}/schedules",
        headers=admin,
        json={
            "action": "disable",
            "starts_at": "2030-02-09T00:00:00Z",
            "ends_at": "2030-02-12T00:00:00Z",
        },
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "schedule_overlap"
    assert window["id"] in r.json()["error"]["message"]
    r = await api.client.post(
        f"{base}/schedules",
        headers=admin,
        json={
            "action": "disable",
            "starts_at": "2030-02-10T00:00:00Z",
            "ends_at": "2030-02-12T00:00:00Z",
        },
    )
    assert r.status_code == 201  # touching windows do not overlap

    # PATCH merges and re-validates; DELETE removes; both audited.
    r = await api.client.patch(
        f"{base}/schedules/{weekday['id']}", json={"duration": "4h"}, headers=admin
    )
    assert (
        r.status_code == 200
        and r.json()["duration"] == "4h"
        and r.json()["cron"] == "0 9 * * MON-FRI"
    )
    r = await api.client.patch(
        f"{base}/schedules/{weekday['id']}", json={"cron": None}, headers=admin
    )
    assert r.status_code == 400
    r = await api.client.patch(
        f"{base}/schedules/{window['id']}", json={"ends_at": "2030-02-11T00:00:00Z"}, headers=admin
    )
    assert r.status_code == 409
    r = await api.client.delete(f"{base}/schedules/{window['id']}", headers=admin)
    assert r.status_code == 204
    r = await api.client.get(f"{base}/schedules/{window['id']}", headers=admin)
    assert r.status_code == 404
    rows = [(a["entity"], a["action"]) for a in await audit(api, admin, pid, entity="schedule")]
    assert (
        rows.count(("schedule", "create")) == 3
        and ("schedule", "update") in rows
        and ("schedule", "delete") in rows
    )

    # Permissions: viewers read, only schedule.manage writes; the environment list shows everything.
    _, viewer = await member(api, admin, pid, "vera", "viewer")
    assert (await api.client.get(f"{base}/schedules", headers=viewer)).status_code == 200
    r = await api.client.post(
        f"{base}/schedules",
        json={"action": "enable", "cron": "0 1 * * *", "duration": "1h"},
        headers=viewer,
    )
    assert r.status_code == 403
    r = await api.client.get(f"/api/v1/projects/{pid}/environments/prod/schedules", headers=viewer)
    assert {s["feature_key"] for s in r.json()["items"]} == {"office_banner"} and len(
        r.json()["items"]
    ) == 2
    r = await api.client.get(
        f"{base}/timeline",
        params={"from": "2030-01-07T00:00:00Z", "to": "2032-01-07T00:00:00Z"},
        headers=admin,
    )
    assert r.status_code == 400  # more than 366 days


async def test_schedules_apply_at_once_and_transitions_are_recorded(api: Api) -> None:
    admin = await api.admin()
    project = await api.project(admin)
    pid = project["id"]
    fid = (await api.feature(admin, pid, key="flash_sale"))["id"]
    sdk = {"Authorization": await api.sdk_key(admin, pid)}
    base = f"/api/v1/features/{fid}/environments/prod"
    await api.client.put(f"{base}/toggle", json={"enabled": True}, headers=admin)

    async def evaluate() -> dict[str, Any]:
        return dict(
            (
                await api.client.post("/sdk/v1/features/flash_sale/evaluate", json={}, headers=sdk)
            ).json()
        )

    assert (await evaluate())["enabled"] is True
    # A disable window open now takes effect with the next evaluation: no polling delay.
    now = datetime.now(UTC)
    r = await api.client.post(
        f"{base}/schedules",
        headers=admin,
        json={
            "action": "disable",
            "starts_at": _iso(now - timedelta(minutes=1)),
            "ends_at": _iso(now + timedelta(seconds=1.5)),
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["active_now"] is True
    assert (await evaluate())["enabled"] is False
    listing = (await api.client.get(f"{base}/schedules", headers=admin)).json()
    assert listing["enabled"] is True and listing["effective_enabled"] is False
    assert listing["next_transition"]["enabled"] is True

    # The master switch wins over an enable window: off stays off.
    # When the window closes the scheduler records the transition (audit, actor system) at that moment.
    async def recorded() -> list[dict[str, Any]]:
        return [
            a for a in await audit(api, admin, pid, actor="system") if a["action"] == "schedule_on"
        ]

    rows = await eventually(recorded, within=6)
    assert rows[0]["username"] == "system" and rows[0]["new_value"]["enabled"] is True
    assert abs(
        datetime.fromisoformat(rows[0]["new_value"]["at"]) - (now + timedelta(seconds=1.5))
    ) < timedelta(seconds=0.01)
    assert (await evaluate())["enabled"] is True

    # Master switch off: schedules are ignored (an enable window cannot turn it on).
    await api.client.put(f"{base}/toggle", json={"enabled": False}, headers=admin)
    r = await api.client.post(
        f"{base}/schedules",
        headers=admin,
        json={
            "action": "enable",
            "starts_at": _iso(now + timedelta(seconds=2)),
            "ends_at": _iso(now + timedelta(hours=1)),
        },
    )
    assert r.status_code == 201
    assert (await evaluate())["enabled"] is False
    r = await api.client.get(f"{base}/timeline", headers=admin)
    assert [e["enabled"] for e in r.json()["events"]] == [False]

    # On a guarded feature a schedule is a pending change like any other; approval creates it.
    r = await api.client.patch(f"/api/v1/features/{fid}", json={"tags": ["guarded"]}, headers=admin)
    assert r.status_code == 200
    _, mgr = await member(api, admin, pid, "mona", "manager")
    r = await api.client.post(
        f"{base}/schedules",
        headers=mgr,
        json={"action": "enable", "cron": "0 9 * * *", "duration": "1h"},
    )
    assert r.status_code == 202, r.text
    change = r.json()
    assert change["operation"] == "schedule.create" and change["diff"][0]["entity"] == "schedule"
    r = await api.client.post(
        f"/api/v1/pending-changes/{change['id']}/approve",
        json={"password": "admin-password-1"},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    items = (await api.client.get(f"{base}/schedules", headers=admin)).json()["items"]
    assert any(
        s["cron"] == "0 9 * * *" and s["id"] == change["diff"][0]["entity_id"] for s in items
    )
