"""Schedule transitions that fall while no server runs are recorded after the restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.api.governance_support import audit, eventually
from tests.conftest import POSTGRES_URL, Api, fresh_postgres_url, fresh_sqlite_url, running_api


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "postgres":
        if POSTGRES_URL is None:
            pytest.skip("PostgreSQL not configured: set TOGGLR_TEST_POSTGRES_URL (always on in CI)")
        return await fresh_postgres_url(migrated=False)  # its own database: two apps in turn
    return await fresh_sqlite_url(tmp_path)


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def _window_closing_soon(api: Api, admin: dict[str, str], key: str) -> tuple[str, datetime]:
    """A feature that is on, held off by a window that closes 1.5 s from now."""
    pid = (await api.project(admin))["id"]
    fid = (await api.feature(admin, pid, key=key))["id"]
    base = f"/api/v1/features/{fid}/environments/prod"
    await api.client.put(f"{base}/toggle", json={"enabled": True}, headers=admin)
    now = datetime.now(UTC)
    ends = now + timedelta(seconds=1.5)
    r = await api.client.post(
        f"{base}/schedules",
        headers=admin,
        json={
            "action": "disable",
            "starts_at": _iso(now - timedelta(minutes=30)),
            "ends_at": _iso(ends),
        },
    )
    assert r.status_code == 201, r.text
    return pid, datetime.fromisoformat(r.json()["ends_at"].replace("Z", "+00:00"))


async def _switched_on(api: Api, admin: dict[str, str], pid: str) -> list[dict[str, Any]]:
    return [a for a in await audit(api, admin, pid, actor="system") if a["action"] == "schedule_on"]


async def test_a_transition_during_downtime_is_recorded_at_its_instant(
    db_url: str, tmp_path: Any
) -> None:
    async with running_api(db_url, tmp_path) as api:
        admin = await api.admin()
        pid, ends = await _window_closing_soon(api, admin, "night_sale")
    # no server runs when the window closes
    await asyncio.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 0.5)
    async with running_api(db_url, tmp_path) as api:
        admin = await api.admin()
        rows = await eventually(lambda: _switched_on(api, admin, pid), within=6)
        assert len(rows) == 1
        assert rows[0]["new_value"]["enabled"] is True
        assert datetime.fromisoformat(rows[0]["new_value"]["at"]) == ends

        # With back-fill off, a transition missed the same way stays unrecorded.
        pid2, ends2 = await _window_closing_soon(api, admin, "day_sale")
    await asyncio.sleep(max(0.0, (ends2 - datetime.now(UTC)).total_seconds()) + 0.5)
    async with running_api(db_url, tmp_path, schedule_backfill=0) as api:
        admin = await api.admin()
        await asyncio.sleep(1.0)  # the runner's first pass runs at start-up
        assert await _switched_on(api, admin, pid2) == []
        assert len(await _switched_on(api, admin, pid)) == 1  # and nothing was recorded twice
