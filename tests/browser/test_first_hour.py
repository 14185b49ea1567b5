"""Issue 15, "the web UI's first hour": the journeys a new user got stuck on, in real Chromium.

This module runs its own server. The admin's first password change and the project are made
over the API (test_journeys.py covers doing that in the UI); everything the issue is about is
done through the UI and checked the way a user sees it, and through the SDK API.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from .conftest import (
    ADMIN_EMAIL,
    Server,
    admin_token,
    assert_accessible,
    expect,
    flip,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

PASSWORD = "first-hour-password-9"
state: dict[str, Any] = {}


def explain(page: Any, context: str) -> Any:
    page.get_by_label("Context").fill(context)
    with page.expect_response(lambda r: "/evaluate/" in r.url):
        page.get_by_role("button", name="Explain", exact=True).click()
    result = page.get_by_test_id("explain-result")
    expect(result).to_be_visible()
    return result


def test_sign_in(page: Any, server: Server) -> None:
    token = state["token"] = admin_token(server, PASSWORD)
    r = server.api("POST", "/api/v1/projects", token, json={"name": "Shop"})
    assert r.status_code == 201, r.text
    state["project_id"] = r.json()["id"]
    env = server.api("GET", f"/api/v1/projects/{state['project_id']}/environments/prod", token)
    state["prod_key"] = env.json()["api_key"]
    sign_in(page, ADMIN_EMAIL, PASSWORD)


def test_a_multivariant_flag_made_in_the_ui_splits_users(page: Any, server: Server) -> None:
    pid = state["project_id"]
    page.goto(f"/projects/{pid}/features?env=prod")
    page.get_by_role("button", name="New feature").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Checkout button")
    dialog.get_by_text("Multivariant (A/B/n)").click()
    split_by = dialog.get_by_role("textbox", name="Split users by")
    expect(split_by).to_have_value("")  # automatic: the user's id
    expect(dialog.get_by_text(re.compile("targetingKey, user.id, userId, user_id"))).to_be_visible()
    dialog.get_by_role("button", name="Create feature").click()
    expect(page.get_by_role("heading", name="Checkout button", exact=True)).to_be_visible()
    state["feature_url"] = page.url
    state["feature_id"] = page.url.split("/features/")[1].split("?")[0]
    expect(page.get_by_test_id("split-by-note")).to_contain_text("split by their id")

    page.get_by_role("button", name="Add variant").click()
    page.get_by_role("button", name="Add variant").click()
    page.get_by_role("textbox", name="Variant 1 name", exact=True).fill("blue")
    page.get_by_role("textbox", name="Variant 2 name", exact=True).fill("green")
    page.get_by_role("button", name="Split evenly").click()
    expect(page.get_by_test_id("variant-total")).to_contain_text("100% assigned")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved checkout_button in prod").last).to_be_visible()
    flip(page, page.get_by_test_id("state-toggle"))
    page.get_by_role("dialog").get_by_role("button", name="Enable in prod").click()
    expect(page.get_by_role("heading", name="On in prod", exact=True)).to_be_visible()

    # Explain: different users land in different variants, and it says by what.
    seen = set()
    for n in range(12):
        result = explain(page, f'{{"user_id": "user-{n}"}}')
        expect(result).to_contain_text("SPLIT")
        expect(result.get_by_test_id("split-by")).to_contain_text("user_id")
        seen.add(result.get_by_text(re.compile(r"^variant ")).first.text_content())
    assert seen == {"variant blue", "variant green"}
    # A context without any user id: Explain says why it is not split.
    result = explain(page, '{"country": "DE"}')
    expect(result.get_by_test_id("split-missing")).to_contain_text("none of targetingKey")
    expect(result).to_contain_text("DEFAULT")
    assert_accessible(page, "feature page with a split")
    screenshot(page, "feature-split")

    # The SDK API and OFREP split users too.
    sdk = {"Authorization": state["prod_key"]}
    counts: Counter[str] = Counter()
    for n in range(200):
        r = server.api(
            "POST",
            "/sdk/v1/features/checkout_button/evaluate",
            headers=sdk,
            json={"userId": f"u{n}"},
        )
        counts[r.json()["value"]] += 1
    assert set(counts) == {"blue", "green"} and min(counts.values()) > 60, counts
    r = server.api(
        "POST",
        "/ofrep/v1/evaluate/flags/checkout_button",
        headers=sdk,
        json={"context": {"targetingKey": "u1"}},
    )
    assert r.json()["reason"] == "SPLIT", r.text


def test_split_by_a_chosen_attribute(page: Any, server: Server) -> None:
    page.goto(state["feature_url"])
    page.get_by_role("textbox", name="Split users by").fill("account.id")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Details saved").last).to_be_visible()
    expect(page.get_by_test_id("split-by-note")).to_contain_text("split by account.id")
    saved = server.api("GET", f"/api/v1/features/{state['feature_id']}", state["token"]).json()
    assert saved["rollout_key"] == "account.id"
    result = explain(page, '{"user_id": "user-1"}')
    expect(result.get_by_test_id("split-missing")).to_contain_text("no account.id")
    result = explain(page, '{"account": {"id": 42}}')
    expect(result).to_contain_text("SPLIT")
    # Emptying the field goes back to the automatic order.
    page.get_by_role("textbox", name="Split users by").fill("")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_test_id("split-by-note")).to_contain_text("split by their id")


def test_validation_errors_are_plain_words_at_their_field(page: Any) -> None:
    # The feature key: the allowed characters in words, not the API's regular expression.
    page.goto(f"/projects/{state['project_id']}/features?env=prod")
    page.get_by_role("button", name="New feature").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Bad key")
    dialog.get_by_label("Key").fill("bad key!")
    expect(dialog.get_by_text(re.compile("Use only letters, digits"))).to_be_visible()
    expect(dialog.get_by_role("button", name="Create feature")).to_be_disabled()
    expect(dialog).not_to_contain_text("[A-Za-z")
    dialog.get_by_role("button", name="Cancel").click()

    # A one-shot window that ends before it starts: said at "Ends", not under the preview.
    page.goto(state["feature_url"])
    page.get_by_role("button", name="Add schedule").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("One-shot window").click()
    dialog.get_by_label("Starts").fill("2030-01-02T10:00")
    dialog.get_by_label("Ends (optional)").fill("2030-01-01T10:00")
    ends = dialog.get_by_label("Ends (optional)")
    expect(ends).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_text("The end must be after the start.")).to_be_visible()
    expect(dialog).not_to_contain_text("starts_at")
    assert_accessible(page, "schedule with an error")
    dialog.get_by_role("button", name="Cancel").click()

    # The LDAP test with nothing filled in points at the two fields it needs.
    page.goto("/admin/directory")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("Enter the server URL to test the connection")).to_be_visible()
    expect(
        page.get_by_text("Enter where users are searched to test the connection")
    ).to_be_visible()
    expect(page.get_by_text(re.compile("user_base_dn"))).to_have_count(0)


def test_a_guarded_edit_says_so_and_waits_for_approval(page: Any, server: Server) -> None:
    token = state["token"]
    r = server.api(
        "PATCH", f"/api/v1/features/{state['feature_id']}", token, json={"tags": ["guarded"]}
    )
    assert r.status_code == 200, r.text
    page.goto(state["feature_url"])
    page.get_by_label("Default value").fill("Continue to payment")
    bar_button = page.get_by_role("button", name="Send for approval")
    expect(bar_button).to_be_visible()
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    page.get_by_label("Comment for the approvers").fill("New copy from the PM")
    screenshot(page, "feature-guarded-edit")
    bar_button.click()
    expect(page.get_by_text("Sent for approval").last).to_be_visible()
    # The unsaved-changes bar is gone, and the flag says what waits.
    expect(page.get_by_text("Unsaved changes in prod")).to_have_count(0)
    banner = page.get_by_test_id("awaiting-approval")
    expect(banner).to_contain_text("1 change to checkout_button in prod awaiting approval")
    changes = server.api(
        "GET",
        f"/api/v1/projects/{state['project_id']}/pending-changes",
        token,
        params={"status": "pending"},
    ).json()["items"]
    assert [c["reason"] for c in changes] == ["New copy from the PM"]
    state["change_id"] = changes[0]["id"]
    assert_accessible(page, "feature awaiting approval")

    # In prod, turning a guarded flag off says it goes to approval first.
    flip(page, page.get_by_test_id("state-toggle"))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("once it is approved")
    expect(dialog).not_to_contain_text("as soon as you confirm")
    dialog.get_by_role("button", name="Cancel").click()


def test_pending_changes_applied_tab(page: Any, server: Server) -> None:
    token = state["token"]
    r = server.api(
        "POST",
        f"/api/v1/pending-changes/{state['change_id']}/cancel",
        token,
        json={"reason": "a test"},
    )
    assert r.status_code == 200, r.text
    page.goto(f"/projects/{state['project_id']}/changes")
    page.get_by_text("Applied", exact=True).click()
    expect(page.get_by_text("No changes here")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("should match pattern")
    page.get_by_text("All", exact=True).click()
    expect(page.get_by_test_id("change-card").first).to_contain_text("checkout_button")
