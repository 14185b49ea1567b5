"""Two server nodes on one PostgreSQL database with the NATS bus: a change on one is live on the other."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.conftest import NATS_URL, POSTGRES_URL, Api, fresh_postgres_url, start_api

pytestmark = [pytest.mark.postgres, pytest.mark.nats]


async def test_toggle_on_node_a_is_evaluated_on_node_b(tmp_path: Any) -> None:
    if POSTGRES_URL is None or NATS_URL is None:
        pytest.skip(
            "needs PostgreSQL and NATS (TOGGLR_TEST_POSTGRES_URL, TOGGLR_TEST_NATS_URL; always on in CI)"
        )
    url = await fresh_postgres_url()
    gen_a = start_api(url, tmp_path / "a", bus="nats", nats_url=NATS_URL, node_id="node-a")
    a: Api = await gen_a.__anext__()
    gen_b = start_api(url, tmp_path / "b", bus="nats", nats_url=NATS_URL, node_id="node-b")
    b: Api = await gen_b.__anext__()
    try:
        h = await a.admin()
        project = await a.project(h)
        feature = await a.feature(h, project["id"], key="shared")
        key = {"Authorization": await a.sdk_key(h, project["id"])}

        async def on_b() -> Any:
            for _ in range(100):
                r = await b.client.post("/sdk/v1/features/shared/evaluate", json={}, headers=key)
                if r.status_code == 200:
                    return r.json()
                await asyncio.sleep(0.05)
            raise AssertionError("node b never learned about the project")

        assert (await on_b())["enabled"] is False
        await a.client.put(
            f"/api/v1/features/{feature['id']}/environments/prod/toggle",
            json={"enabled": True},
            headers=h,
        )
        for _ in range(100):
            if (await on_b())["enabled"] is True:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("node b did not see the toggle")
        # and a login on one node is valid on the other (no per-node session state)
        r = await b.client.get("/api/v1/users/me", headers=h)
        assert r.status_code == 200
    finally:
        for gen in (gen_b, gen_a):
            await gen.aclose()
