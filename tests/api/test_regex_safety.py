"""Regex conditions over the real APIs: no pattern and no value can stall the server, patterns the
linear-time engine cannot run are refused at write time, and stored ones never match.

Before RE2, one SDK evaluate of `(a+)+$` with 28 characters held the event loop for 17.9 s.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from tests.conftest import Api, LiveServer

CATASTROPHIC = ["(a+)+$", "(a|aa)+$", "(a|a?)+$", "(.*a){20}", "([a-zA-Z]+)*$", "(x+x+)+y"]


def _regex_rule(priority: int, pattern: str, attribute: str = "name") -> dict[str, Any]:
    return {
        "action": "include",
        "priority": priority,
        "condition": {"condition": {"attribute": attribute, "operator": "regex", "value": pattern}},
    }


async def _set_up(client: httpx.AsyncClient, app: Any) -> tuple[dict[str, str], str, str]:
    h = await Api(client, app).admin()  # the Api helpers, over a real socket
    project = (await client.post("/api/v1/projects", json={"name": "regex"}, headers=h)).json()
    feature = (
        await client.post(
            f"/api/v1/projects/{project['id']}/features",
            json={"key": "redos", "name": "ReDoS", "kind": "simple"},
            headers=h,
        )
    ).json()
    r = await client.put(
        f"/api/v1/features/{feature['id']}/environments/prod",
        json={
            "enabled": True,
            "default_value": "on",
            "rules": [_regex_rule(i + 1, p) for i, p in enumerate(CATASTROPHIC)],
        },
        headers=h,
    )
    assert r.status_code == 200, r.text  # every one is a valid RE2 pattern
    env = (
        await client.get(f"/api/v1/projects/{project['id']}/environments/prod", headers=h)
    ).json()
    return h, feature["id"], env["api_key"]


async def test_catastrophic_patterns_do_not_stall_the_server(live_server: LiveServer) -> None:
    # a client timeout, so that a stalled server fails the test instead of hanging it
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as client:
        _, _, key = await _set_up(client, live_server.app)
        sdk = {"Authorization": key}
        for value in ["a" * 24 + "!", "x" * 24, "a" * 1000 + "!", "x" * 1000, "a" * 50_000 + "!"]:
            started = time.perf_counter()
            evaluate, health = await asyncio.gather(
                client.post("/sdk/v1/features/redos/evaluate", json={"name": value}, headers=sdk),
                client.get("/sdk/v1/health"),
            )
            elapsed = time.perf_counter() - started
            assert evaluate.status_code == 200, evaluate.text
            assert health.status_code == 200
            assert elapsed < 2, f"{len(value)} characters took {elapsed:.1f}s"
            # (a|a?)+$ and ([a-zA-Z]+)*$ match the empty string at the end of any searched value
            assert evaluate.json()["enabled"] is (len(value) <= 1024)
        # and the server is at once free for the next caller
        started = time.perf_counter()
        r = await client.post("/sdk/v1/features/redos/evaluate", json={"name": "b"}, headers=sdk)
        assert r.status_code == 200
        assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(a)\\1", "backreferences"),
        ("^(?=admin)", "lookaround"),
        ("[a-p]{1,990}z", "too complex"),
    ],
)
async def test_unsupported_patterns_are_refused_naming_the_field(
    sqlite_api: Api, pattern: str, why: str
) -> None:
    api = sqlite_api
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(h, project["id"])
    r = await api.client.put(
        f"/api/v1/features/{feature['id']}/environments/prod",
        json={"enabled": True, "rules": [_regex_rule(1, "^ok$"), _regex_rule(2, pattern)]},
        headers=h,
    )
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"].startswith("rules[1].condition.condition.value: ")
    assert why in error["message"]

    condition = {"condition": {"attribute": "name", "operator": "regex", "value": pattern}}
    r = await api.client.post(
        f"/api/v1/projects/{project['id']}/segments",
        json={"name": "s", "condition": condition},
        headers=h,
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"].startswith("condition.condition.value: ")
    segment = await api.client.post(
        f"/api/v1/projects/{project['id']}/segments",
        json={"name": "s", "condition": {"condition": {**condition["condition"], "value": "x"}}},
        headers=h,
    )
    assert segment.status_code == 201
    r = await api.client.patch(
        f"/api/v1/segments/{segment.json()['id']}", json={"condition": condition}, headers=h
    )
    assert r.status_code == 400, r.text
    assert why in r.json()["error"]["message"]


async def test_stored_patterns_the_engine_cannot_run_never_match(api: Api) -> None:
    """A pattern stored before RE2 (a lookahead, say) loads, serves, and simply never matches."""
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(h, project["id"], key="legacy")
    state = await api.put_state(
        h,
        feature["id"],
        enabled=True,
        default_value="on",
        rules=[_regex_rule(1, "^placeholder$"), _regex_rule(2, "^b", attribute="team")],
    )
    legacy = {"condition": {"attribute": "name", "operator": "regex", "value": "^(?=a)"}}
    async with api.services.storage.unit_of_work() as uow:
        await uow.states.update_rule_condition(state["rules"][0]["id"], legacy, False)
    await api.services.snapshots.reload_feature(project["id"], feature["id"])
    sdk = {"Authorization": await api.sdk_key(h, project["id"])}

    r = await api.client.post("/sdk/v1/features/legacy/evaluate", json={"name": "abc"}, headers=sdk)
    assert r.json() == {"feature_key": "legacy", "enabled": False, "value": ""}
    r = await api.client.post(
        "/sdk/v1/features/legacy/evaluate", json={"team": "blue"}, headers=sdk
    )
    assert r.json() == {"feature_key": "legacy", "enabled": True, "value": "on"}
