"""Schemathesis over both OpenAPI documents against a live server: no 500s, responses match the schema."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import LiveServer, sign_in_admin

pytestmark = pytest.mark.slow
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def _schemathesis(
    schema_url: str, base_url: str, headers: dict[str, str], examples: int, tmp: Path
) -> None:
    exe = Path(sys.executable).parent / "schemathesis"
    cmd = [
        str(exe),
        "run",
        schema_url,
        "--url",
        base_url,
        "--checks",
        CHECKS,
        "-n",
        str(examples),
        "--seed",
        "7",
        "--request-timeout",
        "10",
        "--report",
        "junit",
        "--report-dir",
        str(tmp),
    ]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, check=False)
    out = result.stdout
    # Keep the failures section (not the long warnings list) in the assertion message.
    start = out.find("FAILURES")
    end = out.find("WARNINGS", start)
    failures = out[start:end] if start >= 0 else out[-6000:]
    assert result.returncode == 0, failures[:20000] + result.stderr[-2000:]


async def _seed(server: LiveServer) -> tuple[str, str]:
    h = await asyncio.to_thread(sign_in_admin, server.url)
    token = h["Authorization"].removeprefix("Bearer ")
    async with httpx.AsyncClient(base_url=server.url) as c:
        project = (await c.post("/api/v1/projects", json={"name": "fuzz"}, headers=h)).json()
        await c.post(
            f"/api/v1/projects/{project['id']}/features",
            json={
                "key": "fuzz_flag",
                "name": "Fuzz",
                "kind": "multivariant",
                "rollout_key": "user.id",
            },
            headers=h,
        )
        key = (
            await c.get(f"/api/v1/projects/{project['id']}/environments/prod", headers=h)
        ).json()["api_key"]
    return token, key


async def test_management_api_fuzz(live_server_any: LiveServer, tmp_path: Any) -> None:
    token, _ = await _seed(live_server_any)
    await asyncio.to_thread(
        _schemathesis,
        f"{live_server_any.url}/api/v1/openapi.json",
        live_server_any.url,
        {"Authorization": f"Bearer {token}"},
        5,
        tmp_path,
    )


async def test_sdk_api_fuzz(live_server_any: LiveServer, tmp_path: Any) -> None:
    _, key = await _seed(live_server_any)
    async with httpx.AsyncClient(base_url=live_server_any.url) as c:
        schema = (await c.get("/sdk/v1/openapi.json")).json()
    # Point the key parameters at the seeded flag (and one unknown key), so fuzzing reaches the handlers.
    for path in schema["paths"].values():
        for op in path.values():
            for param in op.get("parameters", []):
                if param["name"] in ("feature_key", "key"):
                    param["schema"] = {"type": "string", "enum": ["fuzz_flag", "no_such_flag"]}
    file = tmp_path / "sdk.json"
    file.write_text(json.dumps(schema))
    await asyncio.to_thread(
        _schemathesis, str(file), live_server_any.url, {"Authorization": key}, 40, tmp_path
    )
