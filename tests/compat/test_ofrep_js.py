"""The published JavaScript OFREP providers, unchanged, against a live server.

A disabled flag answers OFREP's "code default" shape: 200 with `reason: DISABLED`, a `variant`, and
no `value` (the protocol's `codeDefaultFlag`). This runs the providers from npm with node through
tests/compat/ofrep_js_driver.cjs and pins down what each of them makes of it; docs/api.md (OFREP)
lists the same for every provider. The packages are installed once into a directory cached in the
temp directory by a hash of the exact versions and the node version.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from tests.compat.tools import npm_dir, run_driver, seed_ofrep_project
from tests.conftest import fresh_sqlite_url, run_live_server

DRIVER = Path(__file__).with_name("ofrep_js_driver.cjs")
# Exact versions: the newest each registry offers (December 2026). The server provider's only
# release pins @openfeature/ofrep-core 0.1.x; the web provider brings its own ofrep-core 2.x.
PACKAGES = {
    "@openfeature/ofrep-provider": "0.1.3",
    "@openfeature/ofrep-core": "0.1.4",
    "@openfeature/server-sdk": "1.23.0",
    "@openfeature/ofrep-web-provider": "0.4.3",
    "@openfeature/web-sdk": "1.10.0",
}
CODE_DEFAULT = "code-default"


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the OpenFeature clients returned, per provider and case (see the driver)."""
    modules = npm_dir("ofrep-js", PACKAGES) / "node_modules"
    tmp = tmp_path_factory.mktemp("ofrep-js")
    url = asyncio.run(fresh_sqlite_url(tmp))
    with run_live_server(url, tmp) as server:
        key, _ = asyncio.run(seed_ofrep_project(server, "ofrep-js"))
        env = {**os.environ, "NODE_PATH": str(modules)}
        out: dict[str, Any] = run_driver(["node", str(DRIVER), server.url, key], tmp, env)
    assert out["versions"] == {k: v for k, v in PACKAGES.items() if "ofrep-core" not in k}
    return out


def _plain(details: dict[str, Any]) -> tuple[Any, str, str | None]:
    return details["value"], details["reason"], details["errorCode"]


def test_web_provider_reads_a_disabled_flag_as_disabled_with_the_code_default(
    resolved: dict[str, Any],
) -> None:
    web = resolved["web"]
    assert _plain(web["off_flag_bool"]) == (True, "DISABLED", None)
    assert _plain(web["off_flag_string"]) == (CODE_DEFAULT, "DISABLED", None)
    assert web["off_flag_bool"]["variant"] == "disabled"
    # excluded by a rule: no value either, the code default with the answer's reason
    assert _plain(web["excluded"]) == (CODE_DEFAULT, "TARGETING_MATCH", None)
    assert _plain(web["dark_mode"]) == (True, "STATIC", None)
    assert _plain(web["limits"]) == (1000, "SPLIT", None)
    assert _plain(web["missing"]) == (CODE_DEFAULT, "ERROR", "FLAG_NOT_FOUND")


def test_server_provider_serves_the_code_default_for_a_disabled_flag(
    resolved: dict[str, Any],
) -> None:
    """@openfeature/ofrep-provider 0.1.3 with ofrep-core 0.1.4 takes a 200 without `value` for a
    malformed answer, and rejects `value: null` or a value of another type as a type mismatch, so
    no answer makes it say DISABLED with the code default (docs/api.md, OFREP). What matters holds:
    the application gets its code default, never a value we made up."""
    server = resolved["server"]
    for case in ("off_flag_bool", "off_flag_string", "excluded"):
        value, reason, code = _plain(server[case])
        assert value == (True if case == "off_flag_bool" else CODE_DEFAULT), case
        assert (reason, code) == ("ERROR", "GENERAL"), case
    assert _plain(server["dark_mode"]) == (True, "STATIC", None)
    assert _plain(server["limits"]) == (1000, "SPLIT", None)
    assert _plain(server["missing"]) == (CODE_DEFAULT, "ERROR", "FLAG_NOT_FOUND")
