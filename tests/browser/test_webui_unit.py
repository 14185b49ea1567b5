"""Runs the web UI's own checks (Vitest unit tests, ESLint, Prettier, tsc) from pytest, so
`make test` and CI cover them without a second test runner to remember."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

WEBUI = Path(__file__).resolve().parents[2] / "webui"
IN_CI = os.environ.get("CI", "").lower() == "true"


def npm(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("npm") is None or not (WEBUI / "node_modules").exists():
        if IN_CI:
            pytest.fail("npm or webui/node_modules is missing in CI (make webui runs npm ci)")
        pytest.skip("npm or webui/node_modules is missing: run `make webui`")
    env = {**os.environ, "CI": "true"}  # vitest: no watch mode, plain output
    return subprocess.run(
        ["npm", *args], cwd=WEBUI, env=env, capture_output=True, text=True, timeout=300
    )


def test_vitest_unit_tests_pass() -> None:
    result = npm("test", "--silent")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_lint_and_types_are_clean() -> None:
    result = npm("run", "--silent", "lint")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    result = npm("run", "--silent", "typecheck")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
