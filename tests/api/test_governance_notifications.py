"""Notification channels against real receivers (HTTP server, aiosmtpd), the outbox, in-app notes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from tests.api.governance_support import (
    HttpReceiver,
    SmtpReceiver,
    eventually,
    member,
    unique,
    verify_signature,
)
from tests.conftest import (
    POSTGRES_URL,
    Api,
    _backends,
    fresh_postgres_url,
    fresh_sqlite_url,
    start_api,
)

SECRET = "whsec-0123456789abcdef"


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=_backends())
async def wired(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Api, HttpReceiver, SmtpReceiver]]:
    """The app with SMTP pointed at a local aiosmtpd, plus a local HTTP receiver (one per module).
    The receiver listens on loopback, which channels may target only with the allow setting."""
    if request.param == "postgres":
        if POSTGRES_URL is None:
            pytest.skip("PostgreSQL not configured: set TOGGLR_TEST_POSTGRES_URL (always on in CI)")
        url = await fresh_postgres_url()
    else:
        url = await fresh_sqlite_url(tmp_path_factory.mktemp("gov"))
    smtp = SmtpReceiver().start()
    http = await HttpReceiver().start()
    try:
        async for api in start_api(
            url,
            tmp_path_factory.mktemp("data"),
            mailer_host="127.0.0.1",
            mailer_port=smtp.port,
            mailer_tls="none",
            mailer_from="Togglr <togglr@example.com>",
            webhook_allow_private=True,
        ):
            yield api, http, smtp
    finally:
        await http.close()
        smtp.stop()


async def test_channels_deliver_state_changes_to_every_kind_of_receiver(
    wired: tuple[Api, HttpReceiver, SmtpReceiver],
) -> None:
    api, http, smtp = wired
    admin = await api.admin()
    project = await api.project(admin)
    pid = project["id"]
    fid = (await api.feature(admin, pid, key="dark_mode", name="Dark mode"))["id"]
    channels = f"/api/v1/projects/{pid}/notification-channels"
    configs: list[dict[str, Any]] = [
        {"type": "webhook", "config": {"url": http.url + "/hook", "secret": SECRET}},
        {"type": "slack", "config": {"webhook_url": http.url + "/slack", "channel": "#flags"}},
        {"type": "mattermost", "config": {"webhook_url": http.url + "/mm"}},
        {
            "type": "telegram",
            "config": {"bot_token": "123:abc", "chat_id": "42", "api_url": http.url},
        },
        {"type": "email", "config": {"to": ["ops@example.com"]}},
    ]
    created = []
    for body in configs:
        r = await api.client.post(channels, json={"environment_key": "prod", **body}, headers=admin)
        assert r.status_code == 201, r.text
        created.append(r.json())
    # Secrets never come back.
    webhook, slack, _, telegram, email = created
    assert webhook["config"] == {"url": http.url + "/hook", "secret": "********"}
    assert slack["config"] == {"webhook_url": "********", "channel": "#flags"}
    assert telegram["config"]["bot_token"] == "********" and telegram["config"]["chat_id"] == "42"
    assert email["triggers"] == [
        "state_changed",
        "auto_disabled",
        "approval_needed",
        "change_decided",
    ]
    listed = (await api.client.get(channels, headers=admin)).json()["items"]
    assert "whsec" not in str(listed) and "123:abc" not in str(listed)
    rows = (
        await api.client.get(
            f"/api/v1/projects/{pid}/audit",
            params={"entity": "notification_channel"},
            headers=admin,
        )
    ).json()["items"]
    assert len(rows) == 5 and "whsec" not in str(rows)
    # A patch that sends the mask back keeps the secret.
    r = await api.client.patch(
        f"{channels}/{webhook['id']}",
        json={"name": "ops hook", "config": {"url": http.url + "/hook", "secret": "********"}},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["name"] == "ops hook"

    # A state change in prod reaches all five; a change in dev reaches none.
    await api.client.put(
        f"/api/v1/features/{fid}/environments/dev/toggle", json={"enabled": True}, headers=admin
    )
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/prod/toggle", json={"enabled": True}, headers=admin
    )
    assert r.status_code == 200

    async def all_sent() -> list[dict[str, Any]]:
        r = await api.client.get(
            f"/api/v1/projects/{pid}/notification-messages",
            params={"status": "sent"},
            headers=admin,
        )
        items = r.json()["items"]
        return items if len(items) == 5 else []

    sent = await eventually(all_sent)
    assert {m["trigger"] for m in sent} == {"state_changed"} and all(
        m["attempts"] == 1 for m in sent
    )

    (hook,) = http.on("/hook")
    assert verify_signature(SECRET, hook)
    assert hook.json()["event"] == "state_changed" and hook.json()["data"] == {
        "enabled": True,
        "by": "admin",
    }
    assert hook.json()["feature"] == {"id": fid, "key": "dark_mode", "name": "Dark mode"}
    (slack_msg,) = http.on("/slack")
    assert slack_msg.json()["channel"] == "#flags"
    assert "Feature enabled by admin" in slack_msg.json()["blocks"][0]["text"]["text"]
    (mm,) = http.on("/mm")
    assert mm.json()["text"].startswith(f"**[{project['name']}] Dark mode (prod)**")
    (tg,) = http.on("/bot123:abc/sendMessage")
    assert (
        tg.json()["chat_id"] == "42"
        and tg.json()["parse_mode"] == "HTML"
        and "<b>" in tg.json()["text"]
    )
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.rcpt_tos == ["ops@example.com"]
    assert b"Feature enabled by admin" in mail.content and b"Subject: [Togglr]" in mail.content

    # "Send test message" goes out at once and reports the outcome.
    r = await api.client.post(f"{channels}/{webhook['id']}/test", headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "sent" and r.json()["trigger"] == "test"
    assert http.on("/hook")[-1].json()["feature"]["key"] == "test_feature"

    # A failing receiver: retried with backoff, then marked failed with the reason.
    api.services.extra["governance"].outbox.backoff_base = 0.05
    api.services.extra["governance"].outbox.max_attempts = 3
    http.status = 500
    r = await api.client.post(f"{channels}/{webhook['id']}/test", headers=admin)
    assert r.json()["status"] == "failed"
    assert r.json()["last_error"] == "HTTP 500 Internal Server Error from the receiver"
    r = await api.client.patch(
        f"{channels}/{slack['id']}", json={"triggers": ["auto_disabled"]}, headers=admin
    )
    assert r.status_code == 200
    await api.client.put(
        f"/api/v1/features/{fid}/environments/prod/toggle", json={"enabled": False}, headers=admin
    )

    async def failed() -> list[dict[str, Any]]:
        r = await api.client.get(
            f"/api/v1/projects/{pid}/notification-messages",
            params={"status": "failed", "channel_id": webhook["id"]},
            headers=admin,
        )
        return [m for m in r.json()["items"] if m["trigger"] == "state_changed"]

    (dead,) = await eventually(failed)
    assert dead["attempts"] == 3 and "HTTP 500" in dead["last_error"]
    assert len([r for r in http.on("/slack")]) == 1  # slack no longer wants state changes
    http.status = 200  # the receiver is shared with the other tests of the module

    # Validation and permissions.
    for bad in (
        {"type": "webhook", "config": {"url": "ftp://x", "secret": SECRET}},
        {"type": "webhook", "config": {"url": "http://x"}},
        {"type": "webhook", "config": {"url": "http://x", "secret": "short"}},
        {"type": "email", "config": {"to": ["not-an-address"]}},
        {"type": "slack", "config": {"webhook_url": "http://x", "bogus": 1}},
        {"type": "pigeon", "config": {}},
        {"type": "slack", "config": {"webhook_url": "http://x"}, "triggers": ["everything"]},
        {"type": "slack", "config": {"webhook_url": "http://x"}, "environment_key": "nope"},
    ):
        r = await api.client.post(channels, json=bad, headers=admin)
        assert r.status_code in (400, 404), (bad, r.text)
    _, viewer = await member(api, admin, pid, "vic", "viewer")
    assert (await api.client.get(channels, headers=viewer)).status_code == 200
    assert (await api.client.post(channels, json=configs[1], headers=viewer)).status_code == 403
    assert (await api.client.delete(f"{channels}/{email['id']}", headers=viewer)).status_code == 403
    assert (await api.client.delete(f"{channels}/{email['id']}", headers=admin)).status_code == 204
    assert (await api.client.get(f"{channels}/{email['id']}", headers=admin)).status_code == 404


async def test_a_stored_secret_is_only_sent_where_it_was_saved_for(
    wired: tuple[Api, HttpReceiver, SmtpReceiver],
) -> None:
    """Sending the mask back keeps a secret; pointing the channel elsewhere then must not carry the
    secret along (it would go to a server of the editor's choosing)."""
    api, http, _ = wired
    admin = await api.admin()
    pid = (await api.project(admin, name=unique("Secrets")))["id"]
    channels = f"/api/v1/projects/{pid}/notification-channels"
    tg = {"bot_token": "555:stored-token", "chat_id": "1", "api_url": http.url + "/tg"}
    r = await api.client.post(channels, json={"type": "telegram", "config": tg}, headers=admin)
    assert r.status_code == 201, r.text
    telegram = r.json()["id"]
    stolen = {**tg, "bot_token": "********", "api_url": http.url + "/elsewhere"}
    for config in (stolen, {k: v for k, v in stolen.items() if k != "bot_token"}):
        r = await api.client.patch(f"{channels}/{telegram}", json={"config": config}, headers=admin)
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert error["code"] == "invalid_input" and error["message"].startswith("config.bot_token:")
        assert "config.api_url" in error["message"]
    r = await api.client.post(f"{channels}/{telegram}/test", headers=admin)
    assert r.json()["status"] == "sent"
    assert [q.path for q in http.requests if "stored-token" in q.path] == [
        "/tg/bot555:stored-token/sendMessage"
    ]
    # Re-entering the token moves it; other edits keep it.
    r = await api.client.patch(
        f"{channels}/{telegram}",
        json={"config": {**stolen, "bot_token": "555:stored-token"}, "name": "moved"},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["config"]["api_url"] == http.url + "/elsewhere"

    hook = {"url": http.url + "/mine", "secret": SECRET}
    r = await api.client.post(channels, json={"type": "webhook", "config": hook}, headers=admin)
    webhook = r.json()["id"]
    r = await api.client.patch(
        f"{channels}/{webhook}",
        json={"config": {"url": http.url + "/theirs", "secret": "********"}},
        headers=admin,
    )
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("config.secret:")
    r = await api.client.patch(
        f"{channels}/{webhook}",
        json={"config": {"url": http.url + "/theirs", "secret": "another-secret-0123"}},
        headers=admin,
    )
    assert r.status_code == 200, r.text


async def test_the_receivers_answer_is_never_echoed(
    wired: tuple[Api, HttpReceiver, SmtpReceiver],
) -> None:
    """`last_error` says the status only: an answer body (or a made-up reason phrase) could carry
    what an internal service returned."""
    api, http, _ = wired
    admin = await api.admin()
    pid = (await api.project(admin, name=unique("Echo")))["id"]
    channels = f"/api/v1/projects/{pid}/notification-channels"
    created = []
    for body in (
        {"type": "webhook", "config": {"url": http.url + "/echo", "secret": SECRET}},
        {"type": "slack", "config": {"webhook_url": http.url + "/echo"}},
        {"type": "telegram", "config": {"bot_token": "1:t", "chat_id": "1", "api_url": http.url}},
    ):
        r = await api.client.post(channels, json=body, headers=admin)
        assert r.status_code == 201, r.text
        created.append(r.json()["id"])
    before = (http.status, http.answer)
    http.headers = {"Location": http.url + "/moved"}
    try:
        for status, answer in (
            (403, b"root:x:0:0:root:/root:/bin/bash"),
            (200, b'{"ok": false, "description": "internal-token=hunter2"}'),
            (302, b"moved"),
        ):
            http.status, http.answer = status, answer
            for channel_id in created:
                r = await api.client.post(f"{channels}/{channel_id}/test", headers=admin)
                body = r.json()
                if status == 200 and channel_id != created[2]:
                    assert body["status"] == "sent"
                    continue
                assert body["status"] == "failed", body
                assert "root:" not in body["last_error"] and "hunter2" not in body["last_error"]
                assert body["last_error"].startswith(("HTTP ", "Telegram refused")), body
    finally:
        (http.status, http.answer), http.headers = before, {}
    # Redirects are reported, not followed.
    assert not [q for q in http.requests if q.path == "/moved"]


async def test_in_app_notifications_for_members_and_approvals(
    wired: tuple[Api, HttpReceiver, SmtpReceiver],
) -> None:
    api = wired[0]
    admin = await api.admin()
    project = await api.project(admin, name=unique("Shop"))
    pid = project["id"]
    user, user_h = await member(api, admin, pid, "nina", "member")
    _approver, approver_h = await member(api, admin, pid, "omar", "manager")

    inbox = (await api.client.get("/api/v1/users/me/notifications", headers=user_h)).json()
    assert inbox["unread"] == 1
    assert inbox["items"][0]["type"] == "project_added" and "Shop" in inbox["items"][0]["title"]
    memberships = (
        await api.client.get(f"/api/v1/projects/{pid}/memberships", headers=admin)
    ).json()["items"]
    mid = next(m["id"] for m in memberships if m["user_id"] == user["id"])
    r = await api.client.put(
        f"/api/v1/projects/{pid}/memberships/{mid}", json={"role_id": "manager"}, headers=admin
    )
    assert r.status_code == 200

    async def two() -> dict[str, Any]:
        body = dict((await api.client.get("/api/v1/users/me/notifications", headers=user_h)).json())
        return body if body["total"] == 2 else {}

    inbox = await eventually(two)
    assert (
        inbox["items"][0]["type"] == "role_changed"
        and "from Member to Manager" in inbox["items"][0]["title"]
    )

    # A guarded change asks the approvers (not the requester).
    fid = (await api.feature(admin, pid, key="promo", tags=["guarded"]))["id"]
    r = await api.client.put(
        f"/api/v1/features/{fid}/environments/prod/toggle", json={"enabled": True}, headers=user_h
    )
    assert r.status_code == 202
    change_id = r.json()["id"]
    mine = (await api.client.get("/api/v1/users/me/notifications", headers=approver_h)).json()[
        "items"
    ]
    asks = [n for n in mine if n["type"] == "approval_needed"]
    assert (
        len(asks) == 1 and asks[0]["data"]["change_id"] == change_id and "promo" in asks[0]["title"]
    )
    theirs = (await api.client.get("/api/v1/users/me/notifications", headers=user_h)).json()[
        "items"
    ]
    assert not [n for n in theirs if n["type"] == "approval_needed"]

    # The requester hears the decision.
    await api.client.post(
        f"/api/v1/pending-changes/{change_id}/reject",
        json={"reason": "wait for Monday"},
        headers=approver_h,
    )
    inbox = (
        await api.client.get(
            "/api/v1/users/me/notifications", params={"unread_only": True}, headers=user_h
        )
    ).json()
    decided = [n for n in inbox["items"] if n["type"] == "change_decided"]
    assert (
        len(decided) == 1
        and "rejected" in decided[0]["title"]
        and "wait for Monday" in decided[0]["body"]
    )

    # Read, read-all.
    first = inbox["items"][0]["id"]
    r = await api.client.post(f"/api/v1/users/me/notifications/{first}/read", headers=user_h)
    assert r.status_code == 200 and r.json()["read"] is True
    r = await api.client.post(f"/api/v1/users/me/notifications/{first}/read", headers=approver_h)
    assert r.status_code == 404  # not theirs
    r = await api.client.post("/api/v1/users/me/notifications/read-all", headers=user_h)
    assert r.status_code == 200 and r.json()["updated"] == 2
    inbox = (await api.client.get("/api/v1/users/me/notifications", headers=user_h)).json()
    assert inbox["unread"] == 0 and inbox["total"] == 3
