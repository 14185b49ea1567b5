"""Two-factor authentication, as a user meets it: setup, QR code, login with a code or a recovery
code, limits, disabling with an e-mailed code, superuser reset. Against a real SMTP server."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from tests.api.test_identity_support import (
    Authenticator,
    Node,
    body_text,
    enable_two_factor,
    module_fixtures,
    sign_in,
    unique,
    user_headers,
)
from tests.conftest import Api

pytestmark = pytest.mark.asyncio(loop_scope="module")
node, api = module_fixtures(smtp=True)


async def test_a_new_user_turns_on_2fa_and_signs_in_with_a_code_and_a_recovery_code(
    api: Api,
) -> None:
    admin = await api.admin()
    name = unique("alice")
    _, alice = await user_headers(api, admin, name)

    r = await api.client.post("/api/v1/users/me/2fa/setup", headers=alice)
    assert r.status_code == 200
    setup = r.json()
    uri = urlparse(setup["otpauth_uri"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert f"{name}%40example.com" in uri.path
    assert parse_qs(uri.query)["issuer"] == ["Togglr"]
    assert parse_qs(uri.query)["secret"] == [setup["secret"]]
    assert base64.b64decode(setup["qr_png_base64"]).startswith(b"\x89PNG")
    # not on until confirmed: a password still signs in
    assert (await sign_in(api, name)).status_code == 200

    app = Authenticator(setup["secret"])
    r = await api.client.post(
        "/api/v1/users/me/2fa/confirm", json={"code": app.wrong_code()}, headers=alice
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_code"
    r = await api.client.post(
        "/api/v1/users/me/2fa/confirm", json={"code": app.code()}, headers=alice
    )
    assert r.status_code == 200
    codes = r.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    status = (await api.client.get("/api/v1/users/me/2fa", headers=alice)).json()
    assert status["enabled"] is True and status["recovery_codes_left"] == 10

    # password alone is no longer enough
    r = await sign_in(api, name)
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "2fa_required" and err["session_id"]
    wrong = await api.client.post(
        "/api/v1/auth/2fa/verify", json={"session_id": err["session_id"], "code": app.wrong_code()}
    )
    assert wrong.status_code == 400
    r = await api.client.post(
        "/api/v1/auth/2fa/verify", json={"session_id": err["session_id"], "code": app.code()}
    )
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["expires_in"] == 900  # seconds, like login
    me = await api.client.get("/api/v1/users/me", headers=api.auth(tokens["access_token"]))
    assert me.json()["username"] == name
    # the session is spent
    again = await api.client.post(
        "/api/v1/auth/2fa/verify", json={"session_id": err["session_id"], "code": app.code()}
    )
    assert again.status_code == 401

    # a recovery code works once instead of the app
    session = (await sign_in(api, name)).json()["error"]["session_id"]
    r = await api.client.post(
        "/api/v1/auth/2fa/verify", json={"session_id": session, "code": codes[0].upper()}
    )
    assert r.status_code == 200
    session = (await sign_in(api, name)).json()["error"]["session_id"]
    r = await api.client.post(
        "/api/v1/auth/2fa/verify", json={"session_id": session, "code": codes[0]}
    )
    assert r.status_code == 400
    assert (await api.client.get("/api/v1/users/me/2fa", headers=alice)).json()[
        "recovery_codes_left"
    ] == 9

    # every step is in the user's security log
    r = await api.client.get("/api/v1/users/me/security-events?per_page=100", headers=alice)
    actions = [e["action"] for e in r.json()["items"]]
    for expected in ("2fa_setup", "2fa_enable", "2fa_failed", "login_2fa_required", "login"):
        assert expected in actions
    methods = {e["new_value"]["method"] for e in r.json()["items"] if e["action"] == "login"}
    assert {"password", "password+totp", "password+recovery_code"} <= methods


async def test_a_code_is_accepted_once_and_secrets_are_encrypted_at_rest(api: Api) -> None:
    admin = await api.admin()
    name = unique("bob")
    bob_user, bob = await user_headers(api, admin, name)
    app, _ = await enable_two_factor(api, bob)
    code = app.code()
    s1 = (await sign_in(api, name)).json()["error"]["session_id"]
    assert (
        await api.client.post("/api/v1/auth/2fa/verify", json={"session_id": s1, "code": code})
    ).status_code == 200
    s2 = (await sign_in(api, name)).json()["error"]["session_id"]
    replay = await api.client.post("/api/v1/auth/2fa/verify", json={"session_id": s2, "code": code})
    assert replay.status_code == 400

    async with api.services.storage.unit_of_work() as uow:
        query = sa.text("SELECT secret, pending_secret FROM two_factor WHERE user_id = :u")
        row = (await uow.connection.execute(query, {"u": bob_user["id"]})).one()
    setup_secret_shapes = re.compile(r"^[A-Z2-7]{32}$")
    assert row.secret.startswith("v1:") and not setup_secret_shapes.match(row.secret)
    assert row.pending_secret is None
    r = await api.client.post("/api/v1/users/me/2fa/setup", headers=bob)
    assert r.status_code == 409  # turning it off needs a code; setup cannot replace it silently
    assert r.json()["error"]["code"] == "2fa_already_enabled"


async def test_attempts_per_login_and_the_lock_after_repeated_failures(api: Api) -> None:
    admin = await api.admin()
    name = unique("carol")
    carol_user, carol = await user_headers(api, admin, name)
    app, _ = await enable_two_factor(api, carol)
    wrong = app.wrong_code()

    session = (await sign_in(api, name)).json()["error"]["session_id"]
    for _ in range(5):
        r = await api.client.post(
            "/api/v1/auth/2fa/verify", json={"session_id": session, "code": wrong}
        )
        assert r.status_code == 400
    r = await api.client.post(
        "/api/v1/auth/2fa/verify", json={"session_id": session, "code": app.code()}
    )
    assert r.status_code == 401  # five wrong codes closed this login
    assert r.json()["error"]["code"] == "invalid_session"

    session = (await sign_in(api, name)).json()["error"]["session_id"]
    for _ in range(5):
        await api.client.post(
            "/api/v1/auth/2fa/verify", json={"session_id": session, "code": wrong}
        )
    session = (await sign_in(api, name)).json()["error"]["session_id"]
    r = await api.client.post(
        "/api/v1/auth/2fa/verify", json={"session_id": session, "code": app.code()}
    )
    assert r.status_code == 429  # ten failures lock 2FA for the user, even with a right code
    assert int(r.headers["Retry-After"]) > 0
    assert r.json()["error"]["code"] == "rate_limited"

    # the superuser resets it: locked out no more, 2FA off, and it is audited
    r = await api.client.post(f"/api/v1/users/{carol_user['id']}/2fa/reset", headers=carol)
    assert r.status_code == 403
    r = await api.client.post(f"/api/v1/users/{carol_user['id']}/2fa/reset", headers=admin)
    assert r.status_code == 204
    assert (await sign_in(api, name)).status_code == 200
    events = (
        await api.client.get(
            f"/api/v1/security-events?action=2fa_reset&user_id={carol_user['id']}", headers=admin
        )
    ).json()
    assert events["total"] == 1
    assert events["items"][0]["entity_id"] == carol_user["id"]
    assert events["items"][0]["username"] == "admin"
    assert (await api.client.get("/api/v1/security-events", headers=carol)).status_code == 403
    r = await api.client.post("/api/v1/users/nobody/2fa/reset", headers=admin)
    assert r.status_code == 404


async def test_disabling_needs_a_code_from_the_app_or_from_e_mail(api: Api, node: Node) -> None:
    assert node.sink is not None
    admin = await api.admin()
    name = unique("dave")
    _, dave = await user_headers(api, admin, name)
    r = await api.client.post("/api/v1/users/me/2fa/send-code", headers=dave)
    assert r.status_code == 409  # nothing to disable yet
    app, _ = await enable_two_factor(api, dave)

    r = await api.client.post(
        "/api/v1/users/me/2fa/disable", json={"code": app.wrong_code()}, headers=dave
    )
    assert r.status_code == 400
    assert (
        await api.client.post("/api/v1/users/me/2fa/send-code", headers=dave)
    ).status_code == 204
    mail = await node.sink.wait_for(f"{name}@example.com")
    assert "two-factor" in str(mail["Subject"])
    code = re.search(r"^\s+(\d{6})\s*$", body_text(mail), re.M)  # the code sits alone on its line
    assert code is not None
    r = await api.client.post(
        "/api/v1/users/me/2fa/disable", json={"code": code.group(1)}, headers=dave
    )
    assert r.status_code == 204
    assert (await api.client.get("/api/v1/users/me/2fa", headers=dave)).json()["enabled"] is False
    assert (await sign_in(api, name)).status_code == 200
    # the e-mailed code was single-use, and the old secret is gone
    app2, _ = await enable_two_factor(api, dave)
    r = await api.client.post(
        "/api/v1/users/me/2fa/disable", json={"code": code.group(1)}, headers=dave
    )
    assert r.status_code == 400
    r = await api.client.post(
        "/api/v1/users/me/2fa/disable", json={"code": app2.code()}, headers=dave
    )
    assert r.status_code == 204


async def test_verify_totp_hook_for_approvals_and_bad_requests(api: Api) -> None:
    admin = await api.admin()
    erin_user, erin = await user_headers(api, admin, unique("erin"))
    verify = api.services.extra["verify_totp"]
    assert await verify(erin_user["id"], "123456") is False  # no 2FA: nothing to prove
    app, _ = await enable_two_factor(api, erin)
    assert await verify(erin_user["id"], app.wrong_code()) is False
    assert await verify(erin_user["id"], app.code()) is True

    for body in ({}, {"session_id": "x"}, {"code": "123456"}, {"session_id": "", "code": "1"}):
        r = await api.client.post("/api/v1/auth/2fa/verify", json=body)
        assert r.status_code == 400, body
    r = await api.client.post(
        "/api/v1/auth/2fa/verify", json={"session_id": "unknown", "code": "123456"}
    )
    assert r.status_code == 401
    assert (
        await api.client.post("/api/v1/users/me/2fa/confirm", json={"code": "1"}, headers=erin)
    ).status_code == 409
    assert (await api.client.post("/api/v1/users/me/2fa/setup")).status_code == 401


async def test_turning_2fa_on_ends_the_other_sessions_and_keeps_this_one(api: Api) -> None:
    admin = await api.admin()
    name = unique("owen")
    await api.create_user(admin, name)
    await api.password_chosen(name)
    laptop = (await sign_in(api, name)).json()
    intruder = (await sign_in(api, name)).json()  # signed in with the password alone
    await enable_two_factor(api, api.auth(laptop["access_token"]))
    r = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": intruder["refresh_token"]}
    )
    assert r.status_code == 401, "a session from before 2FA kept refreshing"
    r = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]}
    )
    assert r.status_code == 200, r.text
    sessions = await api.client.get(
        "/api/v1/users/me/sessions", headers=api.auth(r.json()["access_token"])
    )
    assert len(sessions.json()["items"]) == 1
