"""The SDK API: authentication styles, evaluate, track, report-error, health, errors."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import Api


async def _flag(api: Api) -> tuple[dict[str, str], dict[str, Any], str]:
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(
        h, project["id"], key="exp", kind="multivariant", rollout_key="user.id"
    )
    await api.put_state(
        h,
        feature["id"],
        enabled=True,
        default_value="a",
        variants=[{"name": "a", "rollout_percent": 50}, {"name": "b", "rollout_percent": 50}],
    )
    return h, project, await api.sdk_key(h, project["id"])


async def test_three_ways_to_send_the_key(api: Api) -> None:
    _, _, key = await _flag(api)
    for headers in ({"Authorization": key}, {"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        r = await api.client.post(
            "/sdk/v1/features/exp/evaluate", json={"user.id": "u1"}, headers=headers
        )
        assert r.status_code == 200, headers
        assert r.json()["feature_key"] == "exp"


async def test_auth_and_lookup_errors(api: Api) -> None:
    _, _, key = await _flag(api)
    r = await api.client.post("/sdk/v1/features/exp/evaluate", json={})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"
    r = await api.client.post(
        "/sdk/v1/features/exp/evaluate", json={}, headers={"Authorization": "nope"}
    )
    assert r.status_code == 401
    r = await api.client.post(
        "/sdk/v1/features/ghost/evaluate", json={}, headers={"Authorization": key}
    )
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "not_found", "message": "feature not found"}}


@pytest.mark.parametrize("body", [b"[1,2]", b'"str"', b"{bad json", b"42"])
async def test_non_object_contexts_are_400(sqlite_api: Api, body: bytes) -> None:
    _, _, key = await _flag(sqlite_api)
    r = await sqlite_api.client.post(
        "/sdk/v1/features/exp/evaluate", content=body, headers={"Authorization": key}
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_input"


async def test_health_is_public(api: Api) -> None:
    r = await api.client.get("/sdk/v1/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["server_time"].endswith("Z")


async def test_track_validates_stores_and_dedups(api: Api) -> None:
    _, _project, key = await _flag(api)
    sdk = {"Authorization": key}
    ok = {
        "event_type": "success",
        "variant_key": "a",
        "reward": 1.5,
        "context": {"user.id": "u1"},
        "dedup_key": "evt-1",
        "created_at": "2026-11-27T10:00:00Z",
    }
    r = await api.client.post("/sdk/v1/features/exp/track", json=ok, headers=sdk)
    assert r.status_code == 202
    r = await api.client.post("/sdk/v1/features/exp/track", json=ok, headers=sdk)
    assert r.status_code == 202  # accepted again, counted once
    r = await api.client.post(
        "/sdk/v1/features/exp/track", json={**ok, "dedup_key": "evt-2"}, headers=sdk
    )
    assert r.status_code == 202
    async with api.services.storage.unit_of_work() as uow:
        stored = await uow.events.count_feedback(
            api.services.snapshots.by_api_key(key).flags["exp"].feature_id,
            api.services.snapshots.by_api_key(key).environment_id,
        )
    assert stored == 2
    bad = [
        ({**ok, "variant_key": "zzz"}, "unknown_variant"),
        ({**ok, "event_type": "clicked"}, "invalid_input"),
        ({**ok, "reward": "lots"}, "invalid_input"),
        ({**ok, "context": [1]}, "invalid_input"),
        ({**ok, "created_at": "yesterday"}, "invalid_input"),
        ({"variant_key": "a"}, "invalid_input"),
    ]
    for body, code in bad:
        r = await api.client.post("/sdk/v1/features/exp/track", json=body, headers=sdk)
        assert r.status_code == 400, body
        assert r.json()["error"]["code"] == code


async def test_a_key_of_another_project_cannot_track(api: Api) -> None:
    h, _, _ = await _flag(api)
    other = await api.project(h)
    other_key = await api.sdk_key(h, other["id"])
    r = await api.client.post(
        "/sdk/v1/features/exp/track",
        json={"event_type": "success", "variant_key": "a"},
        headers={"Authorization": other_key},
    )
    assert r.status_code == 404


async def test_report_error_and_feature_health(api: Api) -> None:
    _, _, key = await _flag(api)
    sdk = {"Authorization": key}
    r = await api.client.get("/sdk/v1/features/exp/health", headers=sdk)
    assert r.status_code == 200
    # never had an error: the field is left out, as the original server did; the Go SDK's
    # generated (ogen) client fails to decode `"last_error_at": null`
    assert "last_error_at" not in r.json()
    assert r.json()["error_rate"] == 0
    r = await api.client.post(
        "/sdk/v1/features/exp/report-error",
        json={"error_type": "timeout", "error_message": "upstream took 5s"},
        headers=sdk,
    )
    assert r.status_code == 202
    r = await api.client.post(
        "/sdk/v1/features/exp/report-error", json={"error_type": "timeout"}, headers=sdk
    )
    assert r.status_code == 400
    body = (await api.client.get("/sdk/v1/features/exp/health", headers=sdk)).json()
    assert body["last_error_at"] is not None
    assert body["errors_in_window"] == 1
    assert body["feature_key"] == "exp"
    assert body["environment_key"] == "prod"


async def test_unknown_endpoints_and_methods(sqlite_api: Api) -> None:
    _, _, key = await _flag(sqlite_api)
    sdk = {"Authorization": key}
    assert (
        await sqlite_api.client.get("/sdk/v1/features/exp/evaluate", headers=sdk)
    ).status_code == 405
    assert (
        await sqlite_api.client.post("/sdk/v1/features/exp/explode", headers=sdk)
    ).status_code == 404
    assert (await sqlite_api.client.get("/sdk/v2/nothing", headers=sdk)).status_code == 404
    big = b"{" + b'"k":"' + b"x" * 70_000 + b'"}'
    assert (
        await sqlite_api.client.post("/sdk/v1/features/exp/evaluate", content=big, headers=sdk)
    ).status_code == 413
    r = await sqlite_api.client.options("/sdk/v1/features/exp/evaluate")
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"


async def _call(
    app: Any, path: str, key: str, chunks: list[bytes], *, cut: bool = False
) -> tuple[int, bytes]:
    """One request straight into the ASGI app, the body in the given chunks.

    `cut`: the last chunk still announces more body, then the client disconnects.
    """
    pending = [
        {"type": "http.request", "body": c, "more_body": cut or i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(b"authorization", key.encode())],
        "query_string": b"",
    }
    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def test_evaluate_reads_a_body_in_several_chunks(sqlite_api: Api) -> None:
    _, _, key = await _flag(sqlite_api)
    whole = await _call(sqlite_api.app, "/sdk/v1/features/exp/evaluate", key, [b'{"user.id":"u7"}'])
    split = await _call(
        sqlite_api.app, "/sdk/v1/features/exp/evaluate", key, [b'{"user', b'.id":', b'"u7"}']
    )
    assert whole[0] == split[0] == 200
    assert whole[1] == split[1]
    # a trailing slash is the same endpoint; a body cut short by a disconnect is a 400
    slash = await _call(
        sqlite_api.app, "/sdk/v1/features/exp/evaluate/", key, [b'{"user.id":"u7"}']
    )
    assert slash == whole
    cut = await _call(
        sqlite_api.app, "/sdk/v1/features/exp/evaluate", key, [b'{"user', b'.id":'], cut=True
    )
    assert cut[0] == 400 and b"disconnected" in cut[1]
    malformed = await _call(sqlite_api.app, "/sdk/v1/features/exp/evaluate", key, [b'{"user'])
    assert malformed[0] == 400 and b"malformed JSON" in malformed[1]


async def test_track_with_an_empty_variant_key_is_stored_without_a_variant(api: Api) -> None:
    """`""` is what evaluate answers for a disabled or excluded flag, and the Go, TypeScript, Ruby,
    Rust and Elixir SDKs always send `variant_key`: their event is taken as one without a variant."""
    h, project, key = await _flag(api)
    sdk = {"Authorization": key}
    simple = await api.feature(h, project["id"], key="plain", kind="simple")
    await api.put_state(h, simple["id"], enabled=False)
    for feature in ("exp", "plain"):
        r = await api.client.post(
            f"/sdk/v1/features/{feature}/track",
            json={"event_type": "failure", "variant_key": "", "reward": 0, "context": {}},
            headers=sdk,
        )
        assert r.status_code == 202, r.text
    env = api.services.snapshots.by_api_key(key)
    async with api.services.storage.unit_of_work() as uow:
        for feature in ("exp", "plain"):
            rows = await uow.events.count_feedback(
                env.flags[feature].feature_id, env.environment_id
            )
            assert rows == 1, feature


def test_the_served_spec_matches_what_the_sdks_send_and_decode() -> None:
    """Clients generated from /sdk/v1/openapi.json must accept the health body without
    `last_error_at` and must not reject `variant_key: ""` on their own."""
    from togglr.web.sdk.openapi import sdk_openapi

    paths = sdk_openapi()["paths"]
    health = paths["/sdk/v1/features/{feature_key}/health"]["get"]["responses"]["200"]
    schema = health["content"]["application/json"]["schema"]
    assert "last_error_at" not in schema["required"]
    assert schema["properties"]["last_error_at"] == {"type": "string", "format": "date-time"}
    track = paths["/sdk/v1/features/{feature_key}/track"]["post"]["requestBody"]
    variant = track["content"]["application/json"]["schema"]["properties"]["variant_key"]
    assert "minLength" not in variant
