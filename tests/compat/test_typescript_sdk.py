"""The Togglr TypeScript SDK's calls, through the client it is built on, against a live server.

`togglr-sdk-typescript` is not on npm. Its hand-written layer sits on a client generated with
openapi-generator's `typescript-axios` generator (`supportsES6, withNodeImports,
typescriptThreePlus`); the test generates that client from spec/sdk-compat/togglr-sdk-v1.yaml (the
original SDK API contract, see its README), compiles tests/compat/ts_sdk_driver.ts against it with
`tsc` (so the driver's calls type-check against the contract's models) and runs it with node. The
driver makes the SDK's calls with the SDK's conventions: the raw key in Authorization, the context as
the evaluate body, `variant_key` always sent on track ("" after a disabled or excluded evaluation).

Every body the server sent back is then checked against the contract's schema, as strictly as the
Go SDK's generated (ogen) client decodes it: a `null` where the contract has an optional string is
an error there, which is how `"last_error_at": null` broke feature health in the Go SDK.

Generated code, compiled output and npm packages are cached in the temp directory by a hash of the
contract, the driver, the generator, the packages and the node version.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml
from tests.compat.tools import (
    CONTRACT,
    cached_build,
    generate_client,
    generator_version,
    node_version,
    npm_install,
    run,
    run_driver,
    seed_ofrep_project,
)
from tests.conftest import LiveServer, fresh_sqlite_url, run_live_server

DRIVER = Path(__file__).with_name("ts_sdk_driver.ts")
# The SDK's runtime dependency (axios ^1.6) and its build tools, pinned.
PACKAGES = {"axios": "1.21.1", "typescript": "5.9.3", "@types/node": "20.19.43"}
TSCONFIG = {
    "compilerOptions": {
        "target": "ES2020",
        "module": "commonjs",
        "strict": True,
        "esModuleInterop": True,
        "skipLibCheck": True,
        "types": ["node"],
        "outDir": "dist",
        "rootDir": ".",
    },
    "include": ["ts_sdk_driver.ts", "generated/**/*.ts"],
}
# the flags (tests/api/test_ofrep.py) whose stored events the test counts
TRACKED = ("excluded", "off_flag", "dark_mode")


def _build(staging: Path) -> None:
    generate_client(
        CONTRACT,
        "typescript-axios",
        staging / "generated",
        "supportsES6=true,withNodeImports=true,typescriptThreePlus=true",
    )
    npm_install(staging, PACKAGES)
    shutil.copy(DRIVER, staging / DRIVER.name)
    (staging / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    tsc = run(
        ["node", str(staging / "node_modules" / "typescript" / "bin" / "tsc"), "-p", "."], staging
    )
    # The driver does not type-check against the contract's client: our bug, fail even outside CI.
    assert tsc.returncode == 0, tsc.stdout[-4000:] + tsc.stderr[-4000:]


@pytest.fixture(scope="session")
def driver_js() -> Path:
    inputs = (
        CONTRACT.read_bytes(),
        DRIVER.read_bytes(),
        json.dumps([PACKAGES, TSCONFIG], sort_keys=True).encode(),
        generator_version().encode(),
        node_version().encode(),
    )
    return cached_build("ts-sdk-compat", _build, *inputs) / "dist" / "ts_sdk_driver.js"


def _stored_events(server: LiveServer, key: str, ids: dict[str, str]) -> dict[str, int]:
    """Feedback events stored per feature (read from the server's storage)."""

    async def count() -> dict[str, int]:
        env = server.services.snapshots.by_api_key(key)
        async with server.services.storage.unit_of_work() as uow:
            return {
                name: await uow.events.count_feedback(fid, env.environment_id)
                for name, fid in ids.items()
            }

    return asyncio.run(count())


@pytest.fixture(scope="module")
def sdk_run(driver_js: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("ts-sdk-compat")
    url = asyncio.run(fresh_sqlite_url(tmp))
    with run_live_server(url, tmp) as server:
        key, ids = asyncio.run(seed_ofrep_project(server, "ts-sdk-compat"))
        sdk = run_driver(["node", str(driver_js), server.url, key], tmp)
        stored = _stored_events(server, key, {k: ids[k] for k in TRACKED})
        return {"sdk": sdk, "stored": stored}


def _contract_schema(name: str) -> dict[str, Any]:
    """A component schema of the contract, as JSON Schema with the document's refs resolvable."""
    spec = yaml.safe_load(CONTRACT.read_text())
    return {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}


def _decode(body: Any, model: str) -> None:
    """Fail like a strict generated client would on a body that does not fit the contract."""
    jsonschema_rs.validator_for(_contract_schema(model), validate_formats=True).validate(body)


def test_evaluate(sdk_run: dict[str, Any]) -> None:
    sdk = sdk_run["sdk"]
    assert sdk["health_check"]["ok"]["status"] == "ok"
    _decode(sdk["health_check"]["ok"], "HealthResponse")
    ev = sdk["evaluate"]
    assert ev["excluded"] == {"ok": {"feature_key": "excluded", "enabled": True, "value": "in"}}
    assert ev["excluded_blocked"]["ok"] == {
        "feature_key": "excluded",
        "enabled": False,
        "value": "",
    }
    assert ev["off_flag"]["ok"] == {"feature_key": "off_flag", "enabled": False, "value": ""}
    for case in ("excluded", "excluded_blocked", "off_flag"):
        _decode(ev[case]["ok"], "EvaluateResponse")
    assert ev["ghost"]["status"] == 404  # the SDK's FeatureNotFoundException
    _decode(ev["ghost"]["body"], "Error")


def test_track_with_an_empty_variant_key_is_accepted_and_stored(sdk_run: dict[str, Any]) -> None:
    track = sdk_run["sdk"]["track"]
    for case in ("disabled", "excluded", "variant"):
        assert track[case] == {"ok": {"status": 202, "body": ""}}, case
    assert track["unknown_variant"]["status"] == 400  # the SDK's BadRequestException
    _decode(track["unknown_variant"]["body"], "Error")
    # nothing the SDK sent was lost: one event on the disabled flag, two on the other
    assert sdk_run["stored"] == {"excluded": 2, "off_flag": 1, "dark_mode": 0}


def test_feature_health_decodes_before_and_after_an_error(sdk_run: dict[str, Any]) -> None:
    sdk = sdk_run["sdk"]
    before = sdk["health_before"]["ok"]
    _decode(before, "FeatureHealth")  # `"last_error_at": null` fails here, as in the Go SDK
    assert "last_error_at" not in before
    assert (before["feature_key"], before["enabled"], before["auto_disabled"]) == (
        "dark_mode",
        True,
        False,
    )
    assert sdk["report_error"] == {"ok": {"status": 202, "body": ""}}
    after = sdk["health_after"]["ok"]
    _decode(after, "FeatureHealth")
    assert after["last_error_at"].endswith("Z")
    assert after["error_rate"] > 0
    assert sdk["health_ghost"]["status"] == 404


def test_an_invalid_key_is_unauthorized(sdk_run: dict[str, Any]) -> None:
    bad = sdk_run["sdk"]["bad_key"]
    assert bad["health_check"]["ok"]["status"] == "ok"  # public
    for call in ("evaluate", "track", "report_error", "health"):
        assert bad[call]["status"] == 401, call  # the SDK's UnauthorizedException
        _decode(bad[call]["body"], "Error")
