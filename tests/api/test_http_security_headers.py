"""Security headers on the UI, the API and the API docs page (issue 10, item 10)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import httpx
import pytest
from tests.conftest import Api, fresh_sqlite_url, running_api

DIST = Path(__file__).resolve().parents[2] / "webui" / "dist"


def _csp(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {d.split()[0]: d.strip() for d in policy.split(";") if d.strip()}


def _assert_protected(response: httpx.Response) -> None:
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    csp = _csp(response)
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["object-src"] == "object-src 'none'"
    assert "unsafe-inline" not in csp["script-src"] and "unsafe-eval" not in csp["script-src"]


async def test_ui_and_api_answers_carry_the_headers(sqlite_api: Api) -> None:
    c = sqlite_api.client
    for r in (
        await c.get("/"),
        await c.get("/projects/deep/link"),  # the SPA's index for deep links
        await c.get("/api/v1/projects"),  # 401
        await c.post("/api/v1/auth/login", json={"username": "a", "password": "b"}),
        await c.get("/healthz"),
    ):
        _assert_protected(r)
        assert _csp(r)["script-src"] == "script-src 'self'"
        assert "strict-transport-security" not in r.headers  # plain HTTP: no HSTS
    # the SDK API answers JSON to machines: no policy needed, but never sniffed
    r = await c.get("/sdk/v1/health")
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_hsts_only_over_https(sqlite_api: Api) -> None:
    transport = httpx.ASGITransport(app=sqlite_api.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://togglr.test") as c:
        r = await c.get("/api/v1/projects")
        assert r.headers["strict-transport-security"] == "max-age=31536000"
    # a proxy's word is not taken from a peer that is not a trusted proxy
    r = await sqlite_api.client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in r.headers


async def test_hsts_behind_a_trusted_proxy_that_terminates_tls(tmp_path: Path) -> None:
    url = await fresh_sqlite_url(tmp_path)
    async with running_api(url, tmp_path, trusted_proxies="127.0.0.1", hsts_max_age=600) as api:
        transport = httpx.ASGITransport(app=api.app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://togglr.test") as c:
            r = await c.get("/", headers={"X-Forwarded-Proto": "https"})
            assert r.headers["strict-transport-security"] == "max-age=600"
            r = await c.get("/")
            assert "strict-transport-security" not in r.headers


async def test_the_docs_page_runs_only_its_own_inline_script(sqlite_api: Api) -> None:
    r = await sqlite_api.client.get("/api/v1/docs")
    assert r.status_code == 200
    _assert_protected(r)
    scripts = re.findall(r"<script>(.*?)</script>", r.text, re.DOTALL)
    assert scripts, "Swagger UI starts with an inline script"
    script_src = _csp(r)["script-src"]
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src


def test_the_built_ui_has_no_inline_script() -> None:
    """What lets the UI's policy say script-src 'self'."""
    index = DIST / "index.html"
    if not index.exists():
        pytest.skip("the web UI is not built (make webui)")
    html = index.read_text()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts
    for attributes, body in scripts:
        assert "src=" in attributes and not body.strip(), attributes
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers either
