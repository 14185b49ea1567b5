"""The committed OpenAPI document and the web UI's generated types match the server.

`make openapi` regenerates both; this test fails when someone changed the API without doing so,
so the UI can never compile against an API that no longer exists.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from togglr.bootstrap import build_app
from togglr.config import Settings

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec" / "openapi" / "admin.json"
TYPES = ROOT / "webui" / "src" / "api" / "schema.d.ts"
WEBUI = ROOT / "webui"
IN_CI = os.environ.get("CI", "").lower() == "true"
HINT = "run `make openapi` and commit the result"


def fresh_spec(tmp_path: Path) -> str:
    # The same generation as `togglr openapi`: every installed capability's routes included.
    app = build_app(
        Settings(
            database_url="sqlite+aiosqlite:///:memory:", jwt_secret="x" * 32, data_dir=tmp_path
        )
    )
    schema = app.api.app.openapi()  # type: ignore[attr-defined]
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def test_committed_openapi_matches_the_server(tmp_path: Path) -> None:
    assert SPEC.exists(), f"{SPEC} is missing: {HINT}"
    assert SPEC.read_text() == fresh_spec(tmp_path), (
        f"spec/openapi/admin.json is out of date: {HINT}"
    )


def test_webui_types_match_the_committed_openapi(tmp_path: Path) -> None:
    cli = WEBUI / "node_modules" / ".bin" / "openapi-typescript"
    if not cli.exists() or shutil.which("node") is None:
        if IN_CI:
            pytest.fail("webui/node_modules is missing in CI (make webui runs npm ci)")
        pytest.skip("webui/node_modules is missing: run `make webui`")
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        [str(cli), str(SPEC), "-o", str(out)], cwd=WEBUI, check=True, capture_output=True
    )
    prettier = WEBUI / "node_modules" / ".bin" / "prettier"
    subprocess.run(
        [str(prettier), "--write", str(out), "--config", str(WEBUI / ".prettierrc.json")],
        cwd=WEBUI,
        check=True,
        capture_output=True,
    )
    assert out.read_text() == TYPES.read_text(), f"webui/src/api/schema.d.ts is out of date: {HINT}"
