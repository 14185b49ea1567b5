"""Two nodes on one PostgreSQL database (NATS bus): each counts the feedback it accepted, both
converge on the same statistics through delta merges, and a stalled node's journal is folded in
by the other exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from tests.conftest import NATS_URL, POSTGRES_URL, Api, fresh_postgres_url, start_api

pytestmark = [pytest.mark.postgres, pytest.mark.nats]


async def _eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting until {what}")


async def _rows(api: Api, h: dict[str, str], fid: str) -> dict[str, dict[str, Any]]:
    r = await api.client.get(
        f"/api/v1/features/{fid}/environments/prod/algorithm/results", headers=h
    )
    assert r.status_code == 200, r.text
    return {v["variant"]: v for v in r.json()["variants"]}


async def test_nodes_converge_and_a_stalled_nodes_journal_counts_once(tmp_path: Any) -> None:
    if POSTGRES_URL is None or NATS_URL is None:
        pytest.skip(
            "needs PostgreSQL and NATS (TOGGLR_TEST_POSTGRES_URL, TOGGLR_TEST_NATS_URL; always on in CI)"
        )
    url = await fresh_postgres_url()
    extra = {"bus": "nats", "nats_url": NATS_URL, "stats_flush_interval": 0.3}
    gen_a = start_api(url, tmp_path / "a", node_id="exp-a", **extra)
    a: Api = await gen_a.__anext__()
    gen_b = start_api(url, tmp_path / "b", node_id="exp-b", **extra)
    b: Api = await gen_b.__anext__()
    stopped_a = False
    try:
        h = await a.admin()
        pid = (await a.project(h))["id"]
        feature = await a.feature(
            h, pid, key="shared_exp", kind="multivariant", rollout_key="user.id"
        )
        fid = feature["id"]
        await a.put_state(
            h,
            fid,
            enabled=True,
            variants=[{"name": "x", "rollout_percent": 50}, {"name": "y", "rollout_percent": 50}],
        )
        r = await a.client.put(
            f"/api/v1/features/{fid}/environments/prod/algorithm",
            json={"algorithm": "thompson-sampling"},
            headers=h,
        )
        assert r.status_code == 200, r.text
        sdk = {"Authorization": await a.sdk_key(h, pid)}

        async def b_serves() -> bool:
            r = await b.client.post(
                "/sdk/v1/features/shared_exp/evaluate", json={"user": {"id": "u"}}, headers=sdk
            )
            return (
                r.status_code == 200
                and b.services.extra["experiments"].live.hook(
                    b.services.snapshots.by_api_key(sdk["Authorization"]).environment_id, fid
                )
                is not None
            )

        await _eventually(b_serves, "node b loads the attachment")

        async def track(node: Api, variant: str, ok: bool, n: int, tag: str) -> None:
            for i in range(n):
                body = {
                    "event_type": "success" if ok else "failure",
                    "variant_key": variant,
                    "dedup_key": f"{tag}{i}",
                }
                r = await node.client.post(
                    "/sdk/v1/features/shared_exp/track", json=body, headers=sdk
                )
                assert r.status_code == 202, r.text

        await track(a, "x", True, 12, "a-x-")
        await track(b, "x", True, 8, "b-x-")
        await track(b, "y", False, 15, "b-y-")
        await track(a, "x", True, 5, "b-x-")  # duplicates of what b accepted: rejected by dedup

        async def converged() -> bool:
            ra, rb = await _rows(a, h, fid), await _rows(b, h, fid)
            same = all(ra[v]["weight"] == rb[v]["weight"] for v in ra)
            return same and all(
                (r["x"]["successes"], r["y"]["failures"]) == (20, 15) for r in (ra, rb)
            )

        await _eventually(converged, "both nodes count 20 successes of x and 15 failures of y")

        # node a stalls: its loop stops, it keeps accepting (journaled) events, its lease runs out
        live_a = a.services.extra["experiments"].live
        for task in a.app.runtime.tasks:
            if task.get_name() == "togglr-live-stats":
                task.cancel()
        await track(a, "y", True, 7, "stall-")
        assert live_a.pending_events() == 7
        engine = b.services.storage.engine
        async with engine.begin() as conn:
            await conn.execute(
                sa.text("UPDATE experiment_nodes SET seen_at = :t WHERE node = :n"),
                {"t": datetime.now(UTC) - timedelta(hours=1), "n": live_a.node},
            )

        async def b_folded_a() -> bool:
            return (await _rows(b, h, fid))["y"]["successes"] == 7

        await _eventually(b_folded_a, "node b folds node a's journal")
        # a's final flush must not count those events a second time (its journal rows are gone)
        await live_a.stop()
        await gen_a.aclose()
        stopped_a = True
        await asyncio.sleep(1.0)
        rows = await _rows(b, h, fid)
        assert (rows["x"]["successes"], rows["y"]["successes"], rows["y"]["failures"]) == (
            20,
            7,
            15,
        )
        async with engine.begin() as conn:
            left = (
                await conn.execute(sa.text("SELECT count(*) FROM feedback_journal"))
            ).scalar_one()
        assert left == 0
    finally:
        await gen_b.aclose()
        if not stopped_a:
            await gen_a.aclose()
