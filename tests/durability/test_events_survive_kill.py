"""Accepted means durable: events answered with 202 are in storage after the server is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import free_port, sign_in_admin

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


def test_tracked_events_survive_sigkill(tmp_path: Any) -> None:
    port = free_port()
    proc = _start(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as c:
            h = sign_in_admin(base)
            project = c.post("/api/v1/projects", json={"name": "durable"}, headers=h).json()
            feature = c.post(
                f"/api/v1/projects/{project['id']}/features",
                json={"key": "dur", "name": "d", "kind": "multivariant", "rollout_key": "user.id"},
                headers=h,
            ).json()
            c.put(
                f"/api/v1/features/{feature['id']}/environments/prod",
                json={"enabled": True, "variants": [{"name": "a", "rollout_percent": 100}]},
                headers=h,
            )
            key = c.get(f"/api/v1/projects/{project['id']}/environments/prod", headers=h).json()[
                "api_key"
            ]
            accepted = 0
            for i in range(200):
                r = c.post(
                    "/sdk/v1/features/dur/track",
                    json={
                        "event_type": "success",
                        "variant_key": "a",
                        "reward": 1,
                        "dedup_key": f"e{i}",
                    },
                    headers={"Authorization": key},
                )
                assert r.status_code == 202
                accepted += 1
    finally:
        proc.send_signal(signal.SIGKILL)  # no shutdown hooks, no flush
        proc.wait(timeout=30)
    proc = _start(tmp_path, port)
    try:
        import sqlite3

        with sqlite3.connect(tmp_path / "togglr.db") as db:
            stored = db.execute("SELECT count(*) FROM feedback_events").fetchone()[0]
        assert stored == accepted == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
