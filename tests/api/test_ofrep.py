"""OFREP: typed values, disabled flags, errors, bulk ETags, and the real OpenFeature provider."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import Api, LiveServer

# `user.id` (for which OFREP's targetingKey stands in) "blocked" is excluded from `excluded`
EXCLUDE_BLOCKED = {
    "action": "exclude",
    "priority": 1,
    "condition": {"condition": {"attribute": "user.id", "operator": "eq", "value": "blocked"}},
}
# key -> (variants, rules), all served to everyone else
MULTIVARIANT: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "limits": ([{"name": "high", "rollout_percent": 100, "value": 1000}], []),
    "colour": ([{"name": "blue", "rollout_percent": 100, "value": {"hex": "#00f"}}], []),
    "copy": ([{"name": "short", "rollout_percent": 100}], []),
    "excluded": ([{"name": "in", "rollout_percent": 100}], [EXCLUDE_BLOCKED]),
}


async def seed_ofrep_flags(api: Any, h: dict[str, str], pid: str) -> dict[str, str]:
    """The flags the OFREP and SDK compatibility tests resolve; returns their ids by key."""
    ids = {}
    simple = await api.feature(h, pid, key="dark_mode", kind="simple")
    await api.put_state(h, simple["id"], enabled=True, default_value="on")
    off = await api.feature(h, pid, key="off_flag", kind="simple")
    await api.put_state(h, off["id"], enabled=False)
    ids.update(dark_mode=simple["id"], off_flag=off["id"])
    for key, (variants, rules) in MULTIVARIANT.items():
        feature = await api.feature(h, pid, key=key, kind="multivariant", rollout_key="user.id")
        await api.put_state(
            h, feature["id"], enabled=True, default_value="", variants=variants, rules=rules
        )
        ids[key] = feature["id"]
    return ids


async def test_single_flag_resolution(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    await seed_ofrep_flags(api, h, project["id"])
    key = {"X-API-Key": await api.sdk_key(h, project["id"])}
    ctx = {"context": {"targetingKey": "user-7"}}

    async def ofrep(flag: str, body: Any = ctx) -> Any:
        return await api.client.post(f"/ofrep/v1/evaluate/flags/{flag}", json=body, headers=key)

    r = await ofrep("dark_mode")
    assert r.json()["value"] is True
    assert r.json()["reason"] == "STATIC"
    r = await ofrep("off_flag")
    assert r.status_code == 200
    assert r.json()["reason"] == "DISABLED"
    assert "value" not in r.json()
    r = await ofrep("limits")
    assert r.json()["value"] == 1000
    assert r.json()["variant"] == "high"
    assert r.json()["reason"] == "SPLIT"
    assert (await ofrep("colour")).json()["value"] == {"hex": "#00f"}
    assert (await ofrep("copy")).json()["value"] == "short"
    r = await ofrep("missing")
    assert r.status_code == 404
    assert r.json()["errorCode"] == "FLAG_NOT_FOUND"
    r = await ofrep("dark_mode", {"context": [1]})
    assert r.status_code == 400
    assert r.json()["errorCode"] == "INVALID_CONTEXT"
    r = await api.client.post("/ofrep/v1/evaluate/flags/dark_mode", json=ctx)
    assert r.status_code == 401


async def test_bulk_has_etag_and_304(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    await seed_ofrep_flags(api, h, project["id"])
    key = {"Authorization": f"Bearer {await api.sdk_key(h, project['id'])}"}
    r = await api.client.post(
        "/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "u"}}, headers=key
    )
    assert r.status_code == 200
    keys = [f["key"] for f in r.json()["flags"]]
    assert keys == sorted(["dark_mode", "off_flag", "limits", "colour", "copy", "excluded"])
    etag = r.headers["etag"]
    r2 = await api.client.post(
        "/ofrep/v1/evaluate/flags",
        json={"context": {"targetingKey": "u"}},
        headers={**key, "If-None-Match": etag},
    )
    assert r2.status_code == 304
    # a change produces a new ETag
    feature = (
        await api.client.get(
            f"/api/v1/projects/{project['id']}/features?search=dark_mode", headers=h
        )
    ).json()
    await api.client.put(
        f"/api/v1/features/{feature['items'][0]['id']}/environments/prod/toggle",
        json={"enabled": False},
        headers=h,
    )
    r3 = await api.client.post(
        "/ofrep/v1/evaluate/flags",
        json={"context": {"targetingKey": "u"}},
        headers={**key, "If-None-Match": etag},
    )
    assert r3.status_code == 200
    assert r3.headers["etag"] != etag


async def test_openfeature_ofrep_provider_resolves_flags(live_server: LiveServer) -> None:
    import httpx
    from openfeature import api as openfeature
    from openfeature.contrib.provider.ofrep import OFREPProvider
    from openfeature.evaluation_context import EvaluationContext

    async with httpx.AsyncClient(base_url=live_server.url) as client:
        helper = Api(client, live_server.app)  # the Api helpers, over a real socket
        h = await helper.admin()
        project = (await client.post("/api/v1/projects", json={"name": "ofrep"}, headers=h)).json()

        class _Http:
            def __init__(self) -> None:
                self.client = client

        await seed_ofrep_flags(helper, h, project["id"])
        sdk_key = await helper.sdk_key(h, project["id"])
    _ = _Http

    def resolve() -> dict[str, Any]:
        openfeature.set_provider(
            OFREPProvider(live_server.url, headers_factory=lambda: {"X-API-Key": sdk_key})
        )
        client = openfeature.get_client()
        ctx = EvaluationContext(targeting_key="user-1")
        return {
            "dark_mode": client.get_boolean_value("dark_mode", False, ctx),
            "off_flag": client.get_boolean_details("off_flag", False, ctx),
            "off_flag_text": client.get_string_details("off_flag", "code-default", ctx),
            "excluded": client.get_string_details(
                "excluded", "code-default", EvaluationContext(targeting_key="blocked")
            ),
            "limits": client.get_integer_value("limits", 1, ctx),
            "colour": client.get_object_value("colour", {}, ctx),
            "copy": client.get_string_value("copy", "fallback", ctx),
            "missing": client.get_string_details("missing", "fallback", ctx),
        }

    got = await asyncio.to_thread(resolve)
    assert got["dark_mode"] is True
    assert got["off_flag"].value is False  # disabled: the code default
    assert got["off_flag"].reason == "DISABLED"
    # whatever the type asked for: the code default, reason DISABLED, no error
    off = got["off_flag_text"]
    assert (off.value, off.reason, off.error_code) == ("code-default", "DISABLED", None)
    excluded = got["excluded"]
    assert (excluded.value, excluded.reason, excluded.error_code) == (
        "code-default",
        "TARGETING_MATCH",
        None,
    )
    assert got["limits"] == 1000
    assert got["colour"] == {"hex": "#00f"}
    assert got["copy"] == "short"
    assert got["missing"].value == "fallback"
    assert got["missing"].error_code is not None
