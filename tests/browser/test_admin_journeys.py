"""Journeys of the web UI's second pass: a forgotten password reset through a real e-mail,
project governance, the stale filter, and the superuser's sign-in and security screens.

This module runs its own server, set up to send e-mail to an SMTP server started here
(aiosmtpd), so the test reads the reset link the way a user would find it in their inbox.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import ADMIN_EMAIL, Server, assert_accessible, free_port, screenshot

pytestmark = pytest.mark.browser

SMTP_PORT = free_port()
SERVER_ENV = {
    "TOGGLR_MAILER_HOST": "127.0.0.1",
    "TOGGLR_MAILER_PORT": str(SMTP_PORT),
    "TOGGLR_MAILER_TLS": "none",
}
RESET_PASSWORD = "reset-by-mail-password-3"
state: dict[str, Any] = {}


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


def flip(page: Any, switch: Any) -> None:
    """Click a Mantine switch where a user does: on its track (the input itself is hidden)."""
    page.locator(f"label[for='{switch.get_attribute('id')}']").first.click()


class Inbox:
    """Messages received by the test's SMTP server."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def wait_for(self, to: str, timeout: float = 15) -> email.message.EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self.messages:
                if to in str(m["To"]):
                    return m
            time.sleep(0.1)
        raise AssertionError(f"no e-mail to {to} within {timeout}s")


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def test_forgot_and_reset_the_password_by_mail(page: Any, server: Server, inbox: Inbox) -> None:
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    assert_accessible(page, "forgot-password")
    page.get_by_label("E-mail").fill("not-an-address")
    expect(page.get_by_text("Enter an e-mail address")).to_be_visible()
    page.get_by_label("E-mail").fill(ADMIN_EMAIL)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_test_id("forgot-sent")).to_contain_text(ADMIN_EMAIL)

    mail = inbox.wait_for(ADMIN_EMAIL)
    body = mail.get_body(("plain",))
    assert body is not None
    link = re.search(r"https?://\S+/reset-password\?token=\S+", body.get_content())
    assert link, body.get_content()
    page.goto(link.group(0).replace(server.url, ""))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert_accessible(page, "reset-password")
    screenshot(page, "reset-password")
    page.get_by_label(re.compile(r"^New password")).fill(RESET_PASSWORD)
    page.get_by_label("Repeat the new password").fill(RESET_PASSWORD + "x")
    expect(page.get_by_text("The two passwords differ")).to_be_visible()
    page.get_by_label("Repeat the new password").fill(RESET_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    expect(page).to_have_url(re.compile(r"/login$"))

    # The link works once.
    page.goto(link.group(0).replace(server.url, ""))
    page.get_by_label(re.compile(r"^New password")).fill("yet-another-password-4")
    page.get_by_label("Repeat the new password").fill("yet-another-password-4")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()

    # The reset also replaced the temporary password: straight to the projects.
    page.goto("/login")
    page.get_by_label("Username or e-mail").fill(ADMIN_EMAIL)
    page.get_by_label(re.compile(r"^Password")).fill(RESET_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Projects", exact=True)).to_be_visible()
    state["token"] = server.token(ADMIN_EMAIL, RESET_PASSWORD)


def test_governance_settings(page: Any, server: Server) -> None:
    token = state["token"]
    r = server.api("POST", "/api/v1/projects", token, json={"name": "Payments"})
    assert r.status_code == 201, r.text
    pid = state["project_id"] = r.json()["id"]
    page.goto(f"/projects/{pid}/settings")
    card = page.get_by_test_id("governance-card")
    expect(card.get_by_role("heading", name="Approvals and staleness")).to_be_visible()
    flip(page, card.get_by_role("switch", name=re.compile("needs an approval")))
    card.get_by_role("textbox", name="Approvers").click()
    page.get_by_role("option", name=re.compile(r"^admin")).click()
    page.keyboard.press("Escape")
    card.get_by_label(re.compile(r"^Also auto-disable at this error share")).fill("150")
    expect(card.get_by_text("Between 0.1 and 100 %")).to_be_visible()
    expect(card.get_by_role("button", name="Save governance")).to_be_disabled()
    card.get_by_label(re.compile(r"^Also auto-disable at this error share")).fill("5")
    card.get_by_label(re.compile(r"^…once at least this many outcomes")).fill("200")
    card.get_by_label(re.compile(r"^A feature is stale after")).fill("45")
    card.get_by_role("button", name="Save governance").click()
    expect(page.get_by_text("Governance saved")).to_be_visible()
    assert_accessible(page, "project-settings")
    screenshot(page, "governance")

    saved = server.api("GET", f"/api/v1/projects/{pid}/governance", token).json()
    assert saved["requires_approval"] is True
    assert len(saved["approver_ids"]) == 1
    assert saved["auto_disable_error_share"] == pytest.approx(0.05)
    assert saved["auto_disable_min_volume"] == 200
    assert saved["stale_after_days"] == 45
    # The features list judges staleness with the project's setting.
    page.goto(f"/projects/{pid}/features")
    expect(page.get_by_label("Stale (unchanged for 45 days)")).to_be_visible()


def test_edit_a_notification_channel(page: Any, server: Server) -> None:
    pid = state["project_id"]
    r = server.api(
        "POST",
        f"/api/v1/projects/{pid}/notification-channels",
        state["token"],
        json={
            "type": "webhook",
            "name": "ops hook",
            "config": {"url": "https://hooks.example.com/a", "secret": "s" * 20},
            "triggers": ["state_changed"],
        },
    )
    assert r.status_code == 201, r.text
    page.goto(f"/projects/{pid}/notifications")
    page.get_by_role("button", name="Edit channel ops hook").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("ops webhook")
    dialog.get_by_label("URL").fill("https://hooks.example.com/b")
    # A stored secret is only sent where it was saved for: a new URL needs it again.
    dialog.get_by_role("button", name="Save channel").click()
    expect(dialog).to_contain_text("send it again when config.url changes")
    dialog.get_by_label("Signing secret (16+ characters)").fill("t" * 20)
    dialog.get_by_label("A feature is auto-disabled").check()
    dialog.get_by_role("button", name="Save channel").click()
    expect(page.get_by_role("table").first).to_contain_text("ops webhook")
    channel = server.api(
        "GET", f"/api/v1/projects/{pid}/notification-channels/{r.json()['id']}", state["token"]
    ).json()
    assert channel["config"]["url"] == "https://hooks.example.com/b"
    assert channel["config"]["secret"] == "********"  # replaced, still masked
    assert sorted(channel["triggers"]) == ["auto_disabled", "state_changed"]


def test_edit_a_schedule(page: Any, server: Server) -> None:
    token = state["token"]
    pid = server.api("POST", "/api/v1/projects", token, json={"name": "Search"}).json()["id"]
    feature = server.api(
        "POST",
        f"/api/v1/projects/{pid}/features",
        token,
        json={"key": "fast_search", "name": "Fast search", "kind": "simple"},
    ).json()
    base = f"/api/v1/features/{feature['id']}/environments/dev/schedules"
    r = server.api(
        "POST",
        base,
        token,
        json={"action": "enable", "cron": "0 9 * * MON-FRI", "duration": "8h", "timezone": "UTC"},
    )
    assert r.status_code == 201, r.text
    page.goto(f"/projects/{pid}/features/{feature['id']}?env=dev")
    item = page.get_by_test_id("schedule-item")
    expect(item).to_contain_text("09:00")
    item.get_by_role("button", name="Edit schedule").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label(re.compile(r"^Cron")).fill("0 10 * * *")
    expect(dialog.get_by_test_id("cron-preview")).to_contain_text("10:00")
    dialog.get_by_label(re.compile(r"^Each window lasts")).fill("2h")
    dialog.get_by_role("button", name="Save schedule").click()
    expect(item).to_contain_text("10:00")
    saved = server.api("GET", f"{base}/{r.json()['id']}", token).json()
    assert (saved["cron"], saved["duration_seconds"]) == ("0 10 * * *", 7200)


def test_edit_my_pending_change(page: Any, server: Server) -> None:
    # The governance journey made every change of "Payments" need an approval.
    token, pid = state["token"], state["project_id"]
    feature = server.api(
        "POST",
        f"/api/v1/projects/{pid}/features",
        token,
        json={"key": "instant_refunds", "name": "Instant refunds", "kind": "simple"},
    ).json()
    r = server.api(
        "POST",
        f"/api/v1/features/{feature['id']}/environments/prod/schedules",
        token,
        json={"action": "enable", "cron": "0 9 * * *", "duration": "1h", "timezone": "UTC"},
    )
    assert r.status_code == 202, r.text
    change = r.json()
    page.goto(f"/projects/{pid}/changes")
    card = page.get_by_test_id("change-card").filter(has_text="instant_refunds")
    card.get_by_role("button", name="Edit…").click()
    dialog = page.get_by_role("dialog")
    editor = dialog.get_by_label(re.compile(r"^Request"))
    editor.fill("{not json")
    expect(dialog.get_by_text("Not valid JSON")).to_be_visible()
    edited = {**change["arguments"]}
    edited_text = json.dumps(edited).replace('"0 9 * * *"', '"30 9 * * *"')
    assert "30 9" in edited_text, change["arguments"]
    editor.fill(edited_text)
    dialog.get_by_role("button", name="Save change").click()
    expect(page.get_by_text("Change updated")).to_be_visible()
    after = server.api("GET", f"/api/v1/pending-changes/{change['id']}", token).json()
    assert "30 9 * * *" in json.dumps(after["arguments"])
    assert after["status"] == "pending"


def test_sign_in_and_security_administration(page: Any) -> None:
    page.get_by_role("link", name="Sign-in and security").click()
    expect(page.get_by_role("heading", name="Sign-in and security")).to_be_visible()
    page.get_by_label("Server URL").fill("ldap://127.0.0.1:1")
    page.get_by_label("User base DN").fill("ou=people,dc=example,dc=com")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_test_id("ldap-test-result")).to_contain_text("Connection failed")
    assert_accessible(page, "admin-ldap")
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, "admin-ldap")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("LDAP settings saved")).to_be_visible()

    page.get_by_role("tab", name="Single sign-on").click()
    expect(page.get_by_text("No single sign-on provider")).to_be_visible()
    assert_accessible(page, "admin-sso")

    page.get_by_role("tab", name="Security events").click()
    events = page.get_by_test_id("security-events")
    expect(events).to_contain_text(re.compile("password", re.I))
    assert_accessible(page, "admin-security-events")

    page.goto("/account")
    expect(page.get_by_role("heading", name="Recent security events")).to_be_visible()
    expect(page.get_by_test_id("security-events")).to_contain_text(re.compile("login", re.I))
    assert_accessible(page, "account-security-events")
