"""The "done when" journey: Thompson sampling learns the better variant from SDK feedback, and
the allocation survives a restart (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.conftest import POSTGRES_URL, Api, fresh_postgres_url, fresh_sqlite_url, start_api


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[str]:
    if request.param == "postgres":
        if POSTGRES_URL is None:
            pytest.skip("PostgreSQL not configured: set TOGGLR_TEST_POSTGRES_URL (always on in CI)")
        yield await fresh_postgres_url()
    else:
        yield await fresh_sqlite_url(tmp_path)


async def _results(api: Api, h: dict[str, str], feature_id: str) -> dict[str, Any]:
    r = await api.client.get(
        f"/api/v1/features/{feature_id}/environments/prod/algorithm/results", headers=h
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_thompson_shifts_allocation_to_the_better_variant_and_keeps_it_after_restart(
    db_url: str, tmp_path: Any
) -> None:
    async for api in start_api(db_url, tmp_path):
        h = await api.admin()
        project = await api.project(h)
        feature = await api.feature(
            h, project["id"], key="checkout", kind="multivariant", rollout_key="user.id"
        )
        await api.put_state(
            h,
            feature["id"],
            enabled=True,
            variants=[
                {"name": "blue", "rollout_percent": 50},
                {"name": "green", "rollout_percent": 50},
            ],
        )
        sdk = {"Authorization": await api.sdk_key(h, project["id"])}
        r = await api.client.put(
            f"/api/v1/features/{feature['id']}/environments/prod/algorithm",
            json={
                "algorithm": "thompson-sampling",
                "enabled": True,
                "settings": {"min_share": 0.02},
            },
            headers=h,
        )
        assert r.status_code == 200, r.text
        assert r.json()["algorithm"] == "thompson-sampling"
        before = await _results(api, h, feature["id"])
        assert {v["variant"]: v["weight"] for v in before["variants"]} == {
            "blue": 0.5,
            "green": 0.5,
        }

        served = {"blue": 0, "green": 0}
        for i in range(40):
            r = await api.client.post(
                "/sdk/v1/features/checkout/evaluate", json={"user": {"id": f"u{i}"}}, headers=sdk
            )
            assert r.status_code == 200, r.text
            served[r.json()["value"]] += 1
        assert served["blue"] > 0 and served["green"] > 0

        # green converts at 60 %, blue at 15 %
        for i in range(40):
            for variant, wins in (("green", 24), ("blue", 6)):
                r = await api.client.post(
                    "/sdk/v1/features/checkout/track",
                    json={
                        "event_type": "success" if i < wins else "failure",
                        "variant_key": variant,
                        "dedup_key": f"{variant}-{i}",
                    },
                    headers=sdk,
                )
                assert r.status_code == 202, r.text
        await api.services.extra["experiments"].live.flush()

        after = await _results(api, h, feature["id"])
        rows = {v["variant"]: v for v in after["variants"]}
        assert rows["green"]["successes"] == 24 and rows["green"]["failures"] == 16
        assert rows["blue"]["successes"] == 6 and rows["blue"]["failures"] == 34
        assert rows["green"]["weight"] > 0.9 and rows["blue"]["weight"] >= 0.02
        assert rows["green"]["probability_best"] > 0.99
        lo, hi = rows["green"]["interval"]
        assert lo < 0.6 < hi
        assert rows["blue"]["evaluations"] + rows["green"]["evaluations"] == 40
        kinds = {(p["variant"], p["successes"], p["failures"]) for p in after["series"]["points"]}
        assert ("green", 24, 16) in kinds and ("blue", 6, 34) in kinds
        allocation = {v: rows[v]["weight"] for v in rows}

    # a new server on the same database: the allocation and the statistics are still there
    async for api in start_api(db_url, tmp_path):
        h = await api.admin()
        restored = await _results(api, h, feature["id"])
        rows = {v["variant"]: v for v in restored["variants"]}
        assert {v: rows[v]["weight"] for v in rows} == pytest.approx(allocation)
        assert rows["green"]["successes"] == 24 and rows["blue"]["failures"] == 34
        # and users now mostly get the better variant
        served = {"blue": 0, "green": 0}
        for i in range(60):
            r = await api.client.post(
                "/sdk/v1/features/checkout/evaluate", json={"user": {"id": f"v{i}"}}, headers=sdk
            )
            served[r.json()["value"]] += 1
        assert served["green"] > 45
