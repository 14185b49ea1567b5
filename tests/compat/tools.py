"""What the compatibility checks share: skipping or failing when a tool is missing, npm installs,
and build directories cached in the temp directory.

A build directory's name carries a hash of everything the build depends on (exact package versions,
generator and runtime versions, the contract file), so a second run reuses it and a change of any
of them builds a fresh one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any, NoReturn

import httpx
import pytest
from tests.api.test_ofrep import seed_ofrep_flags
from tests.conftest import IN_CI, Api, LiveServer

# The original SDK API as the published SDKs see it (spec/sdk-compat/README.md)
CONTRACT = Path(__file__).resolve().parents[2] / "spec" / "sdk-compat" / "togglr-sdk-v1.yaml"


def unavailable(reason: str) -> NoReturn:
    """Skip outside CI; in CI a compatibility check that cannot run is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (the compatibility checks must run in CI)")
    pytest.skip(reason)


def run(
    args: list[str],
    cwd: Path | None = None,
    timeout: int = 600,
    env: dict[str, str] | None = None,
) -> CompletedProcess[str]:
    """Run a build tool, its output captured as text; the caller judges the exit status."""
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def run_driver(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Any:
    """Run a driver script against a live server; what it printed, as JSON."""
    proc = run(args, cwd, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return json.loads(proc.stdout)


async def seed_ofrep_project(server: LiveServer, name: str) -> tuple[str, dict[str, str]]:
    """A project with the OFREP test flags (tests/api/test_ofrep.py) on a live server: its prod
    SDK key and the flags' ids by key."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        api = Api(client, server.app)  # the usual helpers, over a real socket
        h = await api.admin()
        pid = (await api.project(h, name))["id"]
        ids = await seed_ofrep_flags(api, h, pid)
        return await api.sdk_key(h, pid), ids


def node_version() -> str:
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("node and npm are not installed")
    out = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def npm_install(staging: Path, packages: dict[str, str]) -> None:
    """`npm install` the pinned packages into staging/node_modules."""
    (staging / "package.json").write_text(
        json.dumps({"name": "togglr-compat", "private": True, "dependencies": packages})
    )
    done = run(
        ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        staging,
    )
    if done.returncode != 0:
        unavailable(f"cannot install {sorted(packages)} from npm: {done.stderr[-2000:]}")


def cached_build(name: str, build: Callable[[Path], None], *inputs: bytes) -> Path:
    """A directory made by `build(staging)` once per hash of `inputs`, shared across runs."""
    digest = hashlib.sha256()
    for part in inputs:
        digest.update(part)
    cache = Path(tempfile.gettempdir()) / f"togglr-{name}-{digest.hexdigest()[:16]}"
    if (cache / ".complete").exists():
        return cache
    staging = Path(tempfile.mkdtemp(prefix=f"togglr-{name}-build-"))
    try:
        build(staging)
        (staging / ".complete").touch()
        try:
            staging.rename(cache)
        except OSError:  # another run finished first, or a stale incomplete cache is in the way
            if not (cache / ".complete").exists():
                shutil.rmtree(cache, ignore_errors=True)
                staging.rename(cache)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cache


def npm_dir(name: str, packages: dict[str, str], *inputs: bytes) -> Path:
    """A cached directory with the pinned npm packages installed in its node_modules."""
    return cached_build(
        name,
        lambda staging: npm_install(staging, packages),
        json.dumps(packages, sort_keys=True).encode(),
        node_version().encode(),
        *inputs,
    )


def generator_version() -> str:
    try:
        return metadata.version("openapi-generator-cli")
    except metadata.PackageNotFoundError:
        unavailable("openapi-generator-cli is not installed: run `make install`")


def generate_client(spec: Path, generator: str, output: Path, properties: str) -> None:
    """Generate a client from `spec` with openapi-generator (the pip package bundles the jar)."""
    if shutil.which("java") is None:
        unavailable("java is not installed: openapi-generator needs a JRE")
    generate = run(
        [
            str(Path(sys.executable).parent / "openapi-generator-cli"),
            "generate",
            "--input-spec",
            str(spec),
            "--generator-name",
            generator,
            "--output",
            str(output),
            "--additional-properties",
            properties,
            "--global-property",
            "apiTests=false,modelTests=false,apiDocs=false,modelDocs=false",
        ],
        timeout=300,
    )
    # A broken contract is our bug, not a missing tool: fail even outside CI.
    assert generate.returncode == 0, generate.stdout[-4000:] + generate.stderr[-4000:]
