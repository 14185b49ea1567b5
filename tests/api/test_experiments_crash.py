"""Accepted feedback survives a killed server in the statistics too, not only as raw events: the
journal rows of the dead run are folded in when the node starts again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import free_port, fresh_sqlite_url, sign_in_admin

pytestmark = pytest.mark.slow


def _start(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TOGGLR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/togglr.db",
        "TOGGLR_DATA_DIR": str(tmp),
        "TOGGLR_PORT": str(port),
        "TOGGLR_METRICS_PORT": "0",
        "TOGGLR_ADMIN_PASSWORD": "admin-password-1",
        "TOGGLR_FAST_PASSWORD_HASHING": "true",
        "TOGGLR_NODE_ID": "crash-node",
        "TOGGLR_STATS_FLUSH_INTERVAL": "3600",  # nothing is flushed before the kill
    }
    exe = Path(sys.executable).parent / "togglr"
    proc = subprocess.Popen(
        [str(exe), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def test_statistics_of_a_killed_server_are_recovered_from_the_journal(tmp_path: Any) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    asyncio.run(fresh_sqlite_url(tmp_path))  # a migrated copy: the first start need not migrate
    proc = _start(tmp_path, port)
    try:
        with httpx.Client(base_url=base, timeout=10) as c:
            h = sign_in_admin(base)
            project = c.post("/api/v1/projects", json={"name": "crash"}, headers=h).json()
            feature = c.post(
                f"/api/v1/projects/{project['id']}/features",
                json={
                    "key": "crash",
                    "name": "c",
                    "kind": "multivariant",
                    "rollout_key": "user.id",
                },
                headers=h,
            ).json()
            variants = [{"name": "a", "rollout_percent": 50}, {"name": "b", "rollout_percent": 50}]
            c.put(
                f"/api/v1/features/{feature['id']}/environments/prod",
                json={"enabled": True, "variants": variants},
                headers=h,
            )
            algorithm = f"/api/v1/features/{feature['id']}/environments/prod/algorithm"
            assert (
                c.put(algorithm, json={"algorithm": "thompson-sampling"}, headers=h).status_code
                == 200
            )
            key = c.get(f"/api/v1/projects/{project['id']}/environments/prod", headers=h).json()[
                "api_key"
            ]
            for i in range(30):
                body = {
                    "event_type": "success" if i < 20 else "failure",
                    "variant_key": "a" if i < 20 else "b",
                    "dedup_key": f"e{i}",
                }
                assert (
                    c.post(
                        "/sdk/v1/features/crash/track", json=body, headers={"Authorization": key}
                    ).status_code
                    == 202
                )
            rows = {
                v["variant"]: v for v in c.get(algorithm + "/results", headers=h).json()["variants"]
            }
            assert rows["a"]["successes"] == 20  # live, in memory only
    finally:
        proc.send_signal(signal.SIGKILL)  # no shutdown hooks, no flush
        proc.wait(timeout=30)
    proc = _start(tmp_path, port)
    try:
        with httpx.Client(base_url=base, timeout=10) as c:
            h = sign_in_admin(base)
            results = c.get(algorithm + "/results", headers=h).json()
            rows = {v["variant"]: v for v in results["variants"]}
            assert (rows["a"]["successes"], rows["b"]["failures"]) == (20, 10)
            assert rows["a"]["weight"] > 0.99  # the recovered events moved the allocation
            points = results["series"]["points"]
            assert (
                sum(p["successes"] for p in points) == 20
                and sum(p["failures"] for p in points) == 10
            )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
