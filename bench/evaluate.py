"""HTTP benchmark of POST /sdk/v1/features/{key}/evaluate against a minimal ASGI baseline.

Both servers run under the same settings (uvicorn, uvloop, httptools, one worker, access log
off) on 127.0.0.1, and the same wrk load (2 threads, 32 connections, a new user id per request)
measures each in turn in one run of this script. Prints requests/s, p50 and p99 for both and the
ratio. Needs `wrk` (Debian package). Usage:

    .venv/bin/python bench/evaluate.py [--duration 10] [--connections 32] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).parent
LUA = HERE / "wrk" / "evaluate.lua"
CONDITION_COUNTRY = {
    "condition": {"attribute": "country", "operator": "in", "value": ["DE", "FR", "NL"]}
}
CONDITION_BETA = {"condition": {"attribute": "beta", "operator": "eq", "value": True}}
SEGMENT = {
    "group": {
        "operator": "and",
        "children": [
            {"condition": {"attribute": "plan", "operator": "in", "value": ["free", "pro"]}},
            {"condition": {"attribute": "app_version", "operator": "semver_gte", "value": "2.0.0"}},
        ],
    }
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def uvicorn_cmd(target: str, port: int, *, factory: bool = False) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return cmd + (["--factory"] if factory else [])


def seed(base: str) -> str:
    """Create the benchmark flag: 3 rules (one from a segment), 2 variants; return the SDK key."""
    with httpx.Client(base_url=base, timeout=30) as c:
        token = c.post(
            "/api/v1/auth/login", json={"username": "admin", "password": "bench-password-1"}
        ).json()
        h = {"Authorization": f"Bearer {token['access_token']}"}
        if token["is_tmp_password"]:  # the server holds everything else until it is replaced
            changed = c.post(
                "/api/v1/users/me/change-password",
                json={"old_password": "bench-password-1", "new_password": "bench-chosen-pass-2"},
                headers=h,
            )
            changed.raise_for_status()
        project = c.post("/api/v1/projects", json={"name": "bench"}, headers=h).json()
        segment = c.post(
            f"/api/v1/projects/{project['id']}/segments",
            json={"name": "modern", "condition": SEGMENT},
            headers=h,
        ).json()
        feature = c.post(
            f"/api/v1/projects/{project['id']}/features",
            json={
                "key": "bench_flag",
                "name": "Bench",
                "kind": "multivariant",
                "rollout_key": "user.id",
            },
            headers=h,
        ).json()
        r = c.put(
            f"/api/v1/features/{feature['id']}/environments/prod",
            headers=h,
            json={
                "enabled": True,
                "default_value": "control",
                "variants": [
                    {"name": "control", "rollout_percent": 50},
                    {"name": "treatment", "rollout_percent": 50},
                ],
                "rules": [
                    {"action": "exclude", "priority": 1, "condition": CONDITION_BETA},
                    {
                        "action": "assign",
                        "priority": 1,
                        "variant": "treatment",
                        "condition": CONDITION_COUNTRY,
                    },
                    {"action": "include", "priority": 1, "segment_id": segment["id"]},
                ],
            },
        )
        r.raise_for_status()
        key = c.get(f"/api/v1/projects/{project['id']}/environments/prod", headers=h).json()[
            "api_key"
        ]
        check = c.post(
            "/sdk/v1/features/bench_flag/evaluate",
            headers={"Authorization": key},
            json={"user.id": "u1", "plan": "free", "app_version": "2.3.1"},
        )
        assert check.status_code == 200 and check.json()["enabled"], check.text
        return str(key)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(
    url: str, key: str, duration: int, connections: int, pid: int | None = None
) -> dict[str, float]:
    env = {**os.environ, "EVAL_AUTH": key}
    cpu_before = cpu_seconds(pid) if pid else 0.0
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "5s",
            "--latency",
            "-s",
            str(LUA),
            url,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(label: str) -> float:
        m = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out)
        assert m, out
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        raise RuntimeError(f"{non2xx.group(1)} error responses during the run:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    # the server's own CPU per request: unlike requests/s, barely moved by other load
    cpu_us = (cpu_seconds(pid) - cpu_before) / requests * 1e6 if pid else float("nan")
    return {"rps": rps, "p50": pct("50"), "p99": pct("99"), "cpu_us": cpu_us}


def measure(
    name: str,
    cmd: list[str],
    env: dict[str, str],
    port: int,
    args: argparse.Namespace,
    seed_flag: bool,
) -> dict[str, float]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + ("/readyz" if seed_flag else "/"), proc)
        key = seed(base) if seed_flag else "none"
        url = base + "/sdk/v1/features/bench_flag/evaluate"
        run_wrk(url, key, 3, args.connections)  # warm-up
        runs = [
            run_wrk(url, key, args.duration, args.connections, proc.pid) for _ in range(args.runs)
        ]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    best = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]  # the median run
    all_rps = ", ".join(f"{r['rps']:.0f}" for r in runs)
    print(
        f"  {name:<10} rps={best['rps']:>9.0f}  p50={best['p50']:.2f} ms  p99={best['p99']:.2f} ms  "
        f"server CPU {best['cpu_us']:.1f} µs/request  (runs: {all_rps})",
        flush=True,
    )
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="togglr-bench-"))
    env = {
        **os.environ,
        "TOGGLR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
        "TOGGLR_DATA_DIR": str(tmp),
        "TOGGLR_ADMIN_PASSWORD": "bench-password-1",
        "TOGGLR_METRICS_PORT": "0",
        "TOGGLR_LOG_LEVEL": "warning",
    }
    print(
        f"wrk -t2 -c{args.connections} -d{args.duration}s, {args.runs} runs each, median shown; "
        f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}"
    )
    port = free_port()
    ours = measure(
        "togglr",
        uvicorn_cmd("togglr.bootstrap:asgi_app", port, factory=True),
        env,
        port,
        args,
        True,
    )
    port = free_port()
    env_base = {**env, "PYTHONPATH": str(HERE)}
    base = measure("baseline", uvicorn_cmd("baseline_app:app", port), env_base, port, args, False)
    print(
        f"ratio togglr/baseline: {ours['rps'] / base['rps']:.2f} (target >= 0.50); "
        f"p99 {ours['p99']:.2f} ms (target < 5 ms); "
        f"server CPU per request baseline/togglr: {base['cpu_us'] / ours['cpu_us']:.2f}"
    )


if __name__ == "__main__":
    main()
