"""End-to-end fixtures: a real `togglr serve` on a temp SQLite file, driven by headless Chromium.

Outside CI the suite skips (with the reason) when Chromium, Playwright or the built UI is
missing; in CI (`CI=true`) a missing piece is an error, so the suite can never silently vanish.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.serve import togglr_serve

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "webui" / "dist"
AXE = ROOT / "webui" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("TOGGLR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_EMAIL = "admin@togglr.dev"
ADMIN_PASSWORD = "admin-password-1"
NEW_PASSWORD = "a-much-better-password-2"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (pip install playwright)"
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if not (DIST / "index.html").exists():
        return "the web UI is not built (make webui)"
    if not AXE.exists():
        return "axe-core is missing (cd webui && npm ci)"
    return None


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    reason = _missing()
    for item in items:
        if "tests/browser" not in str(item.fspath).replace(os.sep, "/"):
            continue
        if item.fspath.basename == "test_webui_unit.py":
            continue  # needs node, not a browser
        item.add_marker(pytest.mark.browser)
        if reason and not IN_CI:
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    log: Path

    def api(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.request(method, self.url + path, headers=headers, timeout=10, **kw)

    def token(self, username: str, password: str) -> str:
        r = self.api(
            "POST", "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    """One server per test module; a module may add settings with a `SERVER_ENV` dict."""
    reason = _missing()
    if reason:
        pytest.fail(f"CI must run the browser tests, but {reason}") if IN_CI else pytest.skip(
            reason
        )
    data = tmp_path_factory.mktemp("togglr-e2e")
    env = {"TOGGLR_WEBUI_DIR": str(DIST), **getattr(request.module, "SERVER_ENV", {})}
    with togglr_serve(data, **env) as served:
        yield Server(served.url, served.log)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def context(browser: Any, server: Server) -> Iterator[Any]:
    """One browser profile for the whole journey: the journeys build on each other."""
    ctx = browser.new_context(base_url=server.url, viewport={"width": 1440, "height": 900})
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def page(context: Any) -> Iterator[Any]:
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    # The UI must work under its Content-Security-Policy: Chromium reports each violation here.
    p.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    # Shown by pytest when a test fails: the API calls the page made, with their status.
    p.on(
        "response",
        lambda r: (
            print("api", r.status, r.request.method, r.url.split("/api/v1")[-1][:80])
            if "/api/" in r.url
            else None
        ),
    )
    yield p
    assert not errors, f"uncaught errors or CSP violations in the page: {errors}"


def screenshot(page: Any, name: str) -> None:
    """Refresh docs/screenshots/<name>.png, only when TOGGLR_SCREENSHOTS=1 (CI keeps the tree clean)."""
    if os.environ.get("TOGGLR_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(1, 1)  # no stray hover tooltip in the picture
    page.wait_for_timeout(300)  # let transitions settle
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def assert_accessible(page: Any, label: str) -> None:
    """Run axe-core on the current page; fail on serious or critical violations."""
    page.wait_for_timeout(400)  # let enter transitions finish: half-faded text fails contrast
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated by the browser's devtools, not a <script> tag the page's CSP would refuse.
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {resultTypes: ['violations']});
            return r.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    assert result == [], f"accessibility violations on {label}: {result}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    """On failure keep a screenshot next to the server log, to see what the user saw."""
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and page is not None:
        target = Path(str(item.config._tmp_path_factory.getbasetemp())) / f"{item.name}.png"
        with contextlib.suppress(Exception):
            page.screenshot(path=str(target), full_page=True)
            report.sections.append(("screenshot", str(target)))


def expect(locator: Any) -> Any:
    """Playwright's `expect`, imported late: the module must load without Playwright installed."""
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


def admin_token(server: Server, password: str) -> str:
    """Replace the first admin's temporary password over the API; a token with the new one."""
    first = server.token(ADMIN_EMAIL, ADMIN_PASSWORD)
    r = server.api(
        "POST",
        "/api/v1/users/me/change-password",
        first,
        json={"old_password": ADMIN_PASSWORD, "new_password": password},
    )
    assert r.status_code == 204, r.text
    return server.token(ADMIN_EMAIL, password)


def sign_in(page: Any, login: str, password: str) -> None:
    """Sign in through the UI and wait for the projects list."""
    page.goto("/login")
    page.get_by_label("Username or e-mail").fill(login)
    page.get_by_label(re.compile(r"^Password")).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Projects", exact=True)).to_be_visible()


def flip(page: Any, switch: Any) -> None:
    """Click a Mantine switch where a user does: on its track (the input itself is hidden)."""
    page.locator(f"label[for='{switch.get_attribute('id')}']").first.click()
