"""Every path of both served OpenAPI documents, every method they do not list there: 405, an
`Allow` header naming exactly the listed methods, and the JSON error (issue 10, item 14)."""

from __future__ import annotations

from typing import Any

import orjson
from tests.conftest import Api

# Every method a client may try (QUERY is the new safe method with a body); OPTIONS is left out:
# it is the CORS preflight, answered by the CORS layers for any path.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE", "QUERY")
DOCUMENTS = ("/api/v1/openapi.json", "/sdk/v1/openapi.json")
PARAM_VALUE = "zz-some-id"


def _concrete(template: str) -> str:
    return "/".join(PARAM_VALUE if part.startswith("{") else part for part in template.split("/"))


def _listed(paths: dict[str, Any], url: str) -> set[str]:
    """Methods the document lists for `url`: a path can fit more than one template
    (/users/me and /users/{user_id}), and then all of them route it."""
    parts = url.split("/")
    found: set[str] = set()
    for template, item in paths.items():
        tparts = template.split("/")
        if len(tparts) == len(parts) and all(
            t == p or t.startswith("{") for t, p in zip(tparts, parts, strict=True)
        ):
            found |= {m.upper() for m in item if m.upper() in (*METHODS, "OPTIONS")}
    return found


async def test_unlisted_methods_answer_405_with_the_documented_allow_header(
    sqlite_api: Api,
) -> None:
    c = sqlite_api.client
    wrong: list[str] = []
    checked = 0
    for document in DOCUMENTS:
        paths = (await c.get(document)).json()["paths"]
        assert paths
        for template in paths:
            url = _concrete(template)
            listed = _listed(paths, url)
            for method in METHODS:
                if method in listed:
                    continue
                checked += 1
                r = await c.request(method, url)
                allow = {m.strip() for m in r.headers.get("allow", "").split(",") if m.strip()}
                problem = None
                if r.status_code != 405:
                    problem = f"status {r.status_code}"
                elif allow != listed:
                    problem = f"Allow {sorted(allow)}, documented {sorted(listed)}"
                elif method != "HEAD" and orjson.loads(r.content)["error"]["code"] != (
                    "method_not_allowed"
                ):
                    problem = f"body {r.text[:100]}"
                if problem:
                    wrong.append(f"{method} {template}: {problem}")
    assert checked > 300  # the enumeration really ran over both documents
    assert wrong == [], f"{len(wrong)} mismatches:\n" + "\n".join(wrong)


async def test_listed_methods_still_reach_their_handlers(sqlite_api: Api) -> None:
    c = sqlite_api.client
    assert (await c.get("/api/v1/projects")).status_code == 401  # routed, then authenticated
    assert (await c.get("/sdk/v1/health")).status_code == 200
    r = await c.post("/sdk/v1/features/x/evaluate")
    assert r.status_code == 401
    assert (await c.get("/api/v1/no-such-thing")).status_code == 404  # not in any document
    r = await c.delete("/sdk/v1/features/x/no-such-action")
    assert r.status_code == 404
