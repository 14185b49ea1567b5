"""The published Python SDK (`togglr-sdk` on PyPI), unchanged, against a live server.

The wheel ships the SDK (`togglr/`) but not the OpenAPI-generated `togglr_client` it imports, so the
client is generated here from spec/sdk-compat/togglr-sdk-v1.yaml (the original SDK API contract,
written independently of the spec our server serves) with openapi-generator's `python` generator.
SDK, generated client and their dependencies go into one isolated directory, cached under the temp
directory by a hash of the YAML, the generator version and the SDK version; tests/compat/sdk_driver.py
runs in a subprocess with PYTHONPATH set to it, so `import togglr` is the SDK, not this package.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.compat.tools import (
    CONTRACT,
    cached_build,
    generate_client,
    generator_version,
    run,
    run_driver,
    unavailable,
)
from tests.conftest import Api, LiveServer, fresh_sqlite_url, run_live_server

DRIVER = Path(__file__).with_name("sdk_driver.py")
SDK = "togglr-sdk==1.1.0"


def _build(staging: Path) -> None:
    """Generate `togglr_client` from the YAML and install it with the SDK into staging/site."""
    generated = staging / "togglr_client"
    generate_client(
        CONTRACT,
        "python",
        generated,
        "packageName=togglr_client,projectName=togglr-client,packageVersion=1.0.0",
    )
    install = run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--target",
            str(staging / "site"),
            SDK,
            str(generated),
        ]
    )
    if install.returncode != 0:
        unavailable(f"cannot install {SDK} from the package index: {install.stderr[-2000:]}")


@pytest.fixture(scope="session")
def sdk_dir() -> Path:
    """A directory holding togglr-sdk, the generated togglr_client and their dependencies."""
    inputs = (
        CONTRACT.read_bytes(),
        SDK.encode(),
        generator_version().encode(),
        sys.version.encode(),
    )
    return cached_build("sdk-compat", _build, *inputs) / "site"


async def _seed(server: LiveServer) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url) as client:
        api = Api(client, server.app)  # the usual helpers, over a real socket
        h = await api.admin()
        pid = (await api.project(h, "sdk-compat"))["id"]
        checkout = await api.feature(
            h, pid, key="checkout", kind="multivariant", rollout_key="user.id"
        )
        await api.put_state(
            h,
            checkout["id"],
            enabled=True,
            default_value="control",
            variants=[
                {"name": "control", "rollout_percent": 100},
                {"name": "treatment", "rollout_percent": 0},
            ],
            rules=[
                {
                    "action": "assign",
                    "priority": 1,
                    "variant": "treatment",
                    "condition": {
                        "condition": {"attribute": "country_code", "operator": "eq", "value": "DE"}
                    },
                },
                {
                    "action": "exclude",
                    "priority": 2,
                    "condition": {
                        "condition": {"attribute": "user.id", "operator": "eq", "value": "blocked"}
                    },
                },
            ],
        )
        dark = await api.feature(h, pid, key="dark_mode", kind="simple")
        await api.put_state(h, dark["id"], enabled=True, default_value="on")
        off = await api.feature(h, pid, key="off_flag", kind="simple")
        await api.put_state(h, off["id"], enabled=False)
        bandit = await api.feature(h, pid, key="bandit", kind="multivariant", rollout_key="user.id")
        await api.put_state(
            h,
            bandit["id"],
            enabled=True,
            variants=[{"name": "a", "rollout_percent": 50}, {"name": "b", "rollout_percent": 50}],
        )
        r = await client.put(
            f"/api/v1/features/{bandit['id']}/environments/prod/algorithm",
            json={"algorithm": "thompson-sampling"},
            headers=h,
        )
        assert r.status_code == 200, r.text
        return {
            "headers": h,
            "key": await api.sdk_key(h, pid),
            "dark_mode": dark["id"],
            "bandit": bandit["id"],
        }


async def _server_side(server: LiveServer, seeded: dict[str, Any]) -> dict[str, Any]:
    """What the SDK's calls left on the server, read back through the management API."""
    h = seeded["headers"]
    async with httpx.AsyncClient(base_url=server.url, headers=h) as client:
        base = "/api/v1/features/{}/environments/prod"
        results = await client.get(base.format(seeded["bandit"]) + "/algorithm/results")
        health = await client.get(base.format(seeded["dark_mode"]) + "/health")
        assert results.status_code == 200, results.text
        assert health.status_code == 200, health.text
        return {"results": results.json(), "health": health.json()}


@pytest.fixture(scope="module")
def sdk_run(sdk_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One live server, the SDK driver run once against it, and the server's side of it."""
    tmp = tmp_path_factory.mktemp("sdk-compat")
    url = asyncio.run(fresh_sqlite_url(tmp))
    with run_live_server(url, tmp) as server:
        seeded = asyncio.run(_seed(server))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["PYTHONPATH"] = str(sdk_dir)
        sdk = run_driver(
            [sys.executable, str(DRIVER), str(sdk_dir), server.url, seeded["key"]], tmp, env
        )
        return {"sdk": sdk, "server": asyncio.run(_server_side(server, seeded)), "dir": sdk_dir}


def test_the_sdk_and_its_client_come_from_the_isolated_directory(sdk_run: dict[str, Any]) -> None:
    for module in ("togglr", "togglr_client"):
        assert Path(sdk_run["sdk"]["modules"][module]).is_relative_to(sdk_run["dir"])
    assert (sdk_run["dir"] / "togglr_sdk-1.1.0.dist-info").is_dir()


def test_health_check_and_evaluate(sdk_run: dict[str, Any]) -> None:
    sdk = sdk_run["sdk"]
    assert sdk["health_check"] == {"ok": True}
    ev = sdk["evaluate"]
    # (value, enabled, found)
    assert ev["checkout"] == {"ok": ["control", True, True]}  # multivariant: the variant's name
    assert ev["checkout_de"] == {"ok": ["treatment", True, True]}  # the context reached the rules
    assert ev["checkout_blocked"] == {"ok": ["", False, True]}
    assert ev["dark_mode"] == {"ok": ["on", True, True]}  # simple: the default value
    assert ev["off_flag"] == {"ok": ["", False, True]}  # disabled: "" and not enabled
    assert ev["ghost"] == {"ok": ["", False, False]}  # 404: not found, not an error
    assert ev["bandit"]["ok"][0] in ("a", "b")
    assert ev["bandit"]["ok"][1:] == [True, True]
    ie = sdk["is_enabled"]
    assert ie["dark_mode"] == {"ok": True}
    assert ie["off_flag"] == {"ok": False}
    assert ie["ghost"]["raised"] == "FeatureNotFoundError"
    assert ie["ghost_or_default"] == {"ok": True}


def test_track_events_are_stored(sdk_run: dict[str, Any]) -> None:
    track = sdk_run["sdk"]["track"]
    assert track["success"] == track["success_retried"] == track["failure"] == {"ok": None}
    # the SDK turns the 404 into NotFoundError, retries that as if it were a network error, and
    # ends with a plain TogglrError (the same against the original server, which also sent 404)
    assert track["ghost"] == {
        "raised": "TogglrError",
        "message": "Event tracking failed: Feature not found",
    }
    results = sdk_run["server"]["results"]
    rows = {v["variant"]: v for v in results["variants"]}
    # the retried event carried its dedup_key and counted once; rewards arrived as sent
    assert (rows["a"]["successes"], rows["a"]["reward_sum"]) == (1, 2.0)
    assert rows["b"]["failures"] == 1
    assert results["summary"]["observations"] == 2


def test_report_error_shows_in_feature_health(sdk_run: dict[str, Any]) -> None:
    sdk = sdk_run["sdk"]
    before = sdk["health_before"]["ok"]
    assert before["type"] == "FeatureHealth"
    assert before["feature_key"] == "dark_mode"
    assert before["environment_key"] == "prod"
    assert (before["enabled"], before["auto_disabled"]) == (True, False)
    assert before["error_rate"] == 0
    assert before["last_error_at"] is None
    assert sdk["report_error"] == {"ok": None}
    after = sdk["health_after"]["ok"]
    assert after["error_rate"] > 0
    assert after["last_error_at_type"] == "datetime"
    assert after["threshold"] >= 1
    assert sdk["is_feature_healthy"] == {"ok": True}
    # switched off by hand: not healthy (the original also set auto_disabled for any off switch;
    # Togglr reports auto_disabled only for real auto-disables, which the SDK check does not see)
    assert sdk["health_off"]["ok"]["enabled"] is False
    assert sdk["is_feature_healthy_off"] == {"ok": False}
    assert sdk["health_ghost"] == {
        "raised": "TogglrError",
        "message": "Health retrieval failed: Feature not found",
    }
    server = sdk_run["server"]["health"]
    assert server["errors_in_window"] == 1
    assert server["last_error_at"] is not None


def test_an_invalid_key_is_unauthorized(sdk_run: dict[str, Any]) -> None:
    bad = sdk_run["sdk"]["bad_key"]
    assert bad["health_check"] == {"ok": True}  # public
    for call in ("evaluate", "track", "report_error", "health"):
        assert bad[call]["raised"] == "UnauthorizedError", call


def test_error_bodies_parse_as_the_contract_error_model(sdk_run: dict[str, Any]) -> None:
    raw = sdk_run["sdk"]["raw_404"]
    assert raw["status"] == 404
    assert raw["data_type"] == "Error"
    assert raw["message"] == "feature not found"
    assert raw["content_type"].startswith("application/json")


def test_report_error_for_an_unknown_feature_is_a_clear_not_found(sdk_run: dict[str, Any]) -> None:
    """Deliberate difference: the original answered 202 and dropped such a report later; we never
    drop silently, so it is a 404, which the SDK already maps to its NotFoundError (it then retries
    it like a network error and raises TogglrError carrying "Feature not found")."""
    ghost = sdk_run["sdk"]["report_error_ghost"]
    assert ghost["raised"] == "TogglrError", ghost
    assert "Feature not found" in ghost["message"], ghost


def test_our_served_sdk_spec_uses_the_original_names() -> None:
    """A client generated from /sdk/v1/openapi.json gets the published SDKs' method names and
    `api_key={"ApiKeyAuth": key}` configuration (openapi-generator: SdkV1HealthGet -> sdk_v1_health_get)."""
    from togglr.web.sdk.openapi import sdk_openapi

    spec = sdk_openapi()
    ids = {
        (path, method): op["operationId"]
        for path, item in spec["paths"].items()
        if path.startswith("/sdk/v1/")
        for method, op in item.items()
    }
    feature = "/sdk/v1/features/{feature_key}"
    assert ids == {
        ("/sdk/v1/health", "get"): "SdkV1HealthGet",
        (f"{feature}/evaluate", "post"): "SdkV1FeaturesFeatureKeyEvaluatePost",
        (f"{feature}/track", "post"): "TrackFeatureEvent",
        (f"{feature}/report-error", "post"): "ReportFeatureError",
        (f"{feature}/health", "get"): "GetFeatureHealth",
    }
    scheme = spec["components"]["securitySchemes"]["ApiKeyAuth"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}
    contract = CONTRACT.read_text()
    for op in ("TrackFeatureEvent", "ReportFeatureError", "GetFeatureHealth", "ApiKeyAuth:"):
        assert op in contract
