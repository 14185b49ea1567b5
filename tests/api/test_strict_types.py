"""Every boolean and date-time the management API takes is read strictly, on every endpoint.

Pydantic's lax mode reads `0` / `"no"` as booleans and `0.5` as a Unix time; the OpenAPI document
says `boolean` and `date-time`. This test walks the document, so a new field that forgets
`StrictBool` or `DateTime` (togglr.web.schemas) fails here.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import Api


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return _resolve(components[ref.rsplit("/", 1)[1]], components) if ref else schema


def _kinds(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    schema = _resolve(schema, components)
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    out = set()
    for option in options:
        option = _resolve(option, components)
        if option.get("type") == "boolean":
            out.add("boolean")
        if option.get("type") == "string" and option.get("format") == "date-time":
            out.add("date-time")
    return out


BAD = {"boolean": [0, 1, "no"], "date-time": [0.5, 1700000000, "0.5"]}


def _cases(document: dict[str, Any]) -> list[tuple[str, str, str, str, Any]]:
    """(method, path, where, field, bad value) for every boolean / date-time input."""
    components = document.get("components", {}).get("schemas", {})
    cases = []
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            if not isinstance(op, dict):
                continue
            for param in op.get("parameters", []):
                if param.get("in") == "query" and "date-time" in _kinds(
                    param["schema"], components
                ):
                    cases.append((method, path, "query", param["name"], "0.5"))
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            if not content:
                continue
            body = _resolve(content["schema"], components)
            for name, prop in body.get("properties", {}).items():
                for kind in _kinds(prop, components):
                    cases.extend((method, path, "body", name, bad) for bad in BAD[kind])
    return cases


async def test_booleans_and_date_times_are_strict_everywhere(sqlite_api: Api) -> None:
    api = sqlite_api
    h = await api.admin()
    document = (await api.client.get("/api/v1/openapi.json")).json()
    cases = _cases(document)
    assert len(cases) > 20  # the walk found the inputs (archived, enabled, since/until, ...)
    lax = []
    for method, path, where, field, bad in cases:
        url = path.replace("{", "").replace("}", "")  # every path parameter: a made-up id
        if where == "query":
            r = await api.client.request(method, url, params={field: bad}, headers=h)
            expected = f"query.{field}: "
        else:
            r = await api.client.request(method, url, json={field: bad}, headers=h)
            expected = f"{field}: "
        if r.status_code == 400:
            details = r.json()["error"].get("details", [r.json()["error"]["message"]])
            refused = any(d.startswith(expected) for d in details)
        else:
            # 2xx: accepted. 404 and the like: the made-up id was looked up before the input
            # was read, so this case cannot be told here (a test with real ids covers archived
            # and until: tests/api/test_input_validation.py).
            refused = not 200 <= r.status_code < 300
        if not refused:
            lax.append(f"{method.upper()} {path} {where} {field}={bad!r}: {r.status_code}")
    assert not lax, "accepted where the schema says otherwise:\n" + "\n".join(lax)


async def test_inputs_read_after_a_lookup_are_strict_too(sqlite_api: Api) -> None:
    """The walk above cannot tell inputs read after their path's ids are looked up: real ids here."""
    api = sqlite_api
    h = await api.admin()
    pid = (await api.project(h))["id"]
    fid = (await api.feature(h, pid, key="strict"))["id"]
    base = f"/api/v1/features/{fid}/environments/prod"
    r = await api.client.post(
        f"{base}/schedules",
        json={"action": "enable", "starts_at": "2030-01-01T00:00:00Z"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    schedule = f"{base}/schedules/{r.json()['id']}"
    bodies = [
        ("patch", schedule, "starts_at", "date-time"),
        ("patch", schedule, "ends_at", "date-time"),
        ("post", f"{base}/timeline/what-if", "from", "date-time"),
        ("post", f"{base}/timeline/what-if", "to", "date-time"),
        ("post", f"{base}/timeline/what-if", "enabled", "boolean"),
        ("post", f"{base}/timeline/what-if", "keep_existing", "boolean"),
        ("put", f"/api/v1/projects/{pid}/governance", "requires_approval", "boolean"),
    ]
    lax = []
    for method, url, field, kind in bodies:
        for bad in BAD[kind]:
            r = await api.client.request(method, url, json={field: bad}, headers=h)
            error = r.json().get("error", {})
            details = error.get("details", [error.get("message", "")])
            if r.status_code != 400 or not any(d.startswith(f"{field}: ") for d in details):
                lax.append(f"{method.upper()} {url} {field}={bad!r}: {r.status_code} {r.text}")
    for field in ("from", "to"):
        r = await api.client.get(f"{base}/timeline", params={field: "0.5"}, headers=h)
        if r.status_code != 400:
            lax.append(f"GET timeline {field}=0.5: {r.status_code}")
    assert not lax, "accepted where the schema says otherwise:\n" + "\n".join(lax)
