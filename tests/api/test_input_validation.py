"""Bad input answers a 4xx that names the field, the same on every database (issue 10, item 14)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import Api

NUL = "a\x00b"


async def test_unknown_category_names_the_field(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    url = f"/api/v1/projects/{project['id']}/features"
    r = await api.client.post(
        url, json={"key": "f1", "name": "F", "kind": "simple", "category_id": "nope"}, headers=h
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"].startswith("category_id: ")
    assert "nope" in r.json()["error"]["message"]
    # empty means no category, as in PATCH (where it clears the category)
    r = await api.client.post(
        url, json={"key": "f2", "name": "F", "kind": "simple", "category_id": ""}, headers=h
    )
    assert r.status_code == 201, r.text
    assert r.json()["category_id"] is None
    r = await api.client.patch(
        f"/api/v1/features/{r.json()['id']}", json={"category_id": "nope"}, headers=h
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"].startswith("category_id: ")


async def test_desynced_rules_of_a_missing_project_is_404(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    assert (
        await api.client.delete(f"/api/v1/projects/{project['id']}", headers=h)
    ).status_code in (
        200,
        204,
    )
    r = await api.client.get(f"/api/v1/projects/{project['id']}/segments-desynced", headers=h)
    assert r.status_code == 404, r.text
    assert r.json()["error"]["code"] == "not_found"
    r = await api.client.get("/api/v1/projects/no-such-project/segments-desynced", headers=h)
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": NUL}, "name"),
        ({"name": "ok", "description": NUL}, "description"),
        ({"name": "ok", NUL: 1}, "body"),
    ],
)
async def test_nul_characters_are_refused_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    """Refused on SQLite as on PostgreSQL (whose text type cannot hold them)."""
    h = await api.admin()
    r = await api.client.post("/api/v1/projects", json=body, headers=h)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"].startswith(f"{field}: ")
    assert "NUL" in error["message"]


async def test_nul_characters_deep_in_a_body_and_in_query_strings(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(h, project["id"])
    rule = {"condition": {"attribute": "plan", "operator": "eq", "value": NUL}}
    r = await api.client.put(
        f"/api/v1/features/{feature['id']}/environments/prod",
        json={"enabled": True, "rules": [{"action": "include", "priority": 1, "condition": rule}]},
        headers=h,
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"].startswith("rules[0].condition.condition.value: ")
    r = await api.client.get(
        f"/api/v1/projects/{project['id']}/features", params={"search": NUL}, headers=h
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"].startswith("query.search: ")
    # an escaped backslash followed by "u0000" is ordinary text, not a NUL
    r = await api.client.post("/api/v1/projects", json={"name": "back\\u0000slash"}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "back\\u0000slash"


async def test_nul_characters_on_the_sdk_api(api: Api) -> None:
    h = await api.admin()
    project = await api.project(h)
    await api.feature(h, project["id"], key="flag")
    sdk = {"Authorization": await api.sdk_key(h, project["id"])}
    r = await api.client.post(
        "/sdk/v1/features/flag/evaluate", json={"user": {"id": NUL}}, headers=sdk
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"].startswith("user.id: ")
    r = await api.client.post(
        "/sdk/v1/features/flag/track",
        json={"event_type": "success", "context": {"plan": NUL}},
        headers=sdk,
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"].startswith("context.plan: ")
    r = await api.client.post(
        "/ofrep/v1/evaluate/flags/flag", json={"context": {"targetingKey": NUL}}, headers=sdk
    )
    assert r.status_code == 400, r.text
    assert r.json()["errorCode"] == "INVALID_CONTEXT"
    assert r.json()["errorDetails"].startswith("context.targetingKey: ")


async def test_ofrep_context_must_be_an_object(sqlite_api: Api) -> None:
    api = sqlite_api
    h = await api.admin()
    project = await api.project(h)
    await api.feature(h, project["id"], key="flag")
    sdk = {"Authorization": await api.sdk_key(h, project["id"])}
    for url in ("/ofrep/v1/evaluate/flags/flag", "/ofrep/v1/evaluate/flags"):
        r = await api.client.post(url, json={"context": None}, headers=sdk)
        assert r.status_code == 400, r.text
        assert r.json()["errorCode"] == "INVALID_CONTEXT"
        assert r.json()["errorDetails"] == "context: must be an object"
        # no context at all is still an empty one
        assert (await api.client.post(url, json={}, headers=sdk)).status_code == 200


async def test_archived_must_be_a_boolean(sqlite_api: Api) -> None:
    api = sqlite_api
    h = await api.admin()
    project = await api.project(h)
    for value in (0, 1, "true", "no"):
        r = await api.client.patch(
            f"/api/v1/projects/{project['id']}", json={"archived": value}, headers=h
        )
        assert r.status_code == 400, (value, r.text)
        assert r.json()["error"]["message"].startswith("archived: ")


async def test_until_must_be_a_date_time(sqlite_api: Api) -> None:
    api = sqlite_api
    h = await api.admin()
    project = await api.project(h)
    url = f"/api/v1/projects/{project['id']}/audit"
    for value in ("0.5", "1700000000"):
        r = await api.client.get(url, params={"until": value}, headers=h)
        assert r.status_code == 400, (value, r.text)
        assert r.json()["error"]["message"].startswith("query.until: ")
    for value in ("2030-01-01T00:00:00Z", "2030-01-01"):
        assert (await api.client.get(url, params={"until": value}, headers=h)).status_code == 200
