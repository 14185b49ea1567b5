"""LDAP against a real OpenLDAP server: configuration, connection test, sign-in and user sync."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from tests.conftest import Api
from tests.support import slapd as ldap_server
from tests.support.certs import self_signed, write_pair

from togglr.storage.sql import tables

pytestmark = pytest.mark.skipif(
    not ldap_server.is_available(), reason="slapd is not installed (see .ci/run)"
)


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ldap_server.Slapd]:
    """One slapd for the module, with a TLS certificate so StartTLS can be tried."""
    workdir = tmp_path_factory.mktemp("slapd")
    cert, key = write_pair(workdir, "server", *self_signed("127.0.0.1", ip="127.0.0.1"))
    server = ldap_server.Slapd(workdir, tls_cert=cert, tls_key=key).start()
    yield server
    server.stop()


@pytest.fixture
def tree(directory: ldap_server.Slapd) -> str:
    """A fresh branch of the directory for one test, so tests never see each other's users."""
    return directory.add_ou("t" + uuid.uuid4().hex[:10])


def config(directory: ldap_server.Slapd, base: str, **extra: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "url": directory.url,
        "bind_dn": ldap_server.SERVICE_DN,
        "bind_password": ldap_server.SERVICE_PASSWORD,
        "user_base_dn": base,
        "user_filter": "(objectClass=inetOrgPerson)",
        "username_attribute": "uid",
        "email_attribute": "mail",
        **extra,
    }


async def configure(api: Api, h: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    r = await api.client.put("/api/v1/ldap/config", json=body, headers=h)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def login(api: Api, username: str, password: str) -> Any:
    return await api.client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )


async def sync(api: Api, h: dict[str, str]) -> dict[str, Any]:
    """Start a sync and wait for it to finish; returns the finished run."""
    r = await api.client.post("/api/v1/ldap/sync", headers=h)
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    for _ in range(200):
        status = (await api.client.get("/api/v1/ldap/sync/status", headers=h)).json()
        if not status["is_running"] and status["last"] and status["last"]["id"] == run_id:
            return dict(status["last"])
        await asyncio.sleep(0.05)
    raise AssertionError("the sync did not finish")


async def audit_actions(
    api: Api, entity: str, entity_id: str | None = None
) -> list[tuple[str, Any]]:
    """(action, new value) of the audit entries about one kind of entity, oldest first."""
    query = sa.select(tables.audit_log.c.action, tables.audit_log.c.new_value).where(
        tables.audit_log.c.entity == entity
    )
    if entity_id is not None:
        query = query.where(tables.audit_log.c.entity_id == entity_id)
    async with api.services.storage.unit_of_work() as uow:
        rows = await uow.connection.execute(query.order_by(tables.audit_log.c.id))
        return [(r.action, r.new_value) for r in rows]


async def test_config_is_superuser_only_and_never_returns_the_password(
    api: Api, directory: ldap_server.Slapd, tree: str
) -> None:
    h = await api.admin()
    r = await api.client.get("/api/v1/ldap/config", headers=h)
    assert r.status_code == 200
    assert r.json()["enabled"] is False
    assert r.json()["has_bind_password"] is False

    body = await configure(api, h, config(directory, tree, sync_interval_seconds=0))
    assert "bind_password" not in body
    assert body["has_bind_password"] is True
    assert body["url"] == directory.url
    async with api.services.storage.unit_of_work() as uow:
        stored = (
            await uow.connection.execute(sa.text("SELECT bind_password FROM ldap_config"))
        ).scalar_one()
    assert ldap_server.SERVICE_PASSWORD not in stored  # encrypted at rest

    # Saving without a password keeps the stored one; "" clears it.
    without = {k: v for k, v in config(directory, tree).items() if k != "bind_password"}
    assert (await configure(api, h, without))["has_bind_password"] is True
    r = await api.client.post("/api/v1/ldap/test", headers=h)
    assert r.json()["success"] is True, r.json()
    # The stored password only ever goes to the server and account it was saved for.
    elsewhere = {**without, "url": "ldap://collector.example.org:389"}
    r = await api.client.put("/api/v1/ldap/config", json=elsewhere, headers=h)
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("bind_password:")
    r = await api.client.post("/api/v1/ldap/test", json={"url": elsewhere["url"]}, headers=h)
    assert r.status_code == 400
    r = await api.client.post(
        "/api/v1/ldap/test", json={"bind_dn": "cn=other,dc=example,dc=org"}, headers=h
    )
    assert r.status_code == 400
    assert (await configure(api, h, {**without, "enabled": False, "bind_password": ""}))[
        "has_bind_password"
    ] is False

    user = await api.create_user(h, "plain")
    uh = api.auth(await api.login("plain", "user-password-1"))
    for method, path in (
        ("GET", "/api/v1/ldap/config"),
        ("PUT", "/api/v1/ldap/config"),
        ("POST", "/api/v1/ldap/test"),
        ("POST", "/api/v1/ldap/sync"),
        ("GET", "/api/v1/ldap/sync/status"),
        ("GET", "/api/v1/ldap/sync/logs"),
    ):
        body_json = config(directory, tree) if method == "PUT" else None
        r = await api.client.request(method, path, headers=uh, json=body_json)
        assert r.status_code == 403, (path, r.text)
        r = await api.client.request(method, path, json=body_json)
        assert r.status_code == 401, (path, r.text)
    assert user["is_superuser"] is False
    actions = await audit_actions(api, "ldap")
    assert [a for a, _ in actions].count("update") == 3
    assert all(ldap_server.SERVICE_PASSWORD not in str(new) for _, new in actions), actions


BAD_CONFIGS: list[tuple[dict[str, Any], str]] = [
    ({"url": "http://example.org"}, "url:"),
    ({"url": "ldap://"}, "url:"),
    ({"url": "ldap://host:99999"}, "url:"),
    ({"url": "ldaps://127.0.0.1:636", "start_tls": True}, "start_tls:"),
    ({"url": ""}, "url: required"),
    ({"user_base_dn": "not a dn"}, "user_base_dn:"),
    ({"user_base_dn": ""}, "user_base_dn: required"),
    ({"bind_dn": "cn=a,,dc=b"}, "bind_dn:"),
    ({"bind_password": ""}, "bind_password:"),
    ({"user_filter": "objectClass=person"}, "user_filter:"),
    ({"username_attribute": "u id"}, "username_attribute:"),
    ({"sync_interval_seconds": 2}, "sync_interval_seconds:"),
    ({"sync_interval_seconds": -1}, "sync_interval_seconds"),
    ({"timeout_seconds": 0}, "timeout_seconds"),
    ({"tls_ca_cert": "hello"}, "tls_ca_cert:"),
    ({"surprise": 1}, "surprise"),
    ({"enabled": "maybe"}, "enabled"),
]


async def test_bad_config_is_a_clear_400_and_changes_nothing(
    sqlite_api: Api, directory: ldap_server.Slapd
) -> None:
    h = await sqlite_api.admin()
    for change, message in BAD_CONFIGS:
        r = await sqlite_api.client.put(
            "/api/v1/ldap/config",
            json={**config(directory, "ou=people,dc=example,dc=org"), **change},
            headers=h,
        )
        assert r.status_code == 400, (change, r.text)
        assert message in r.json()["error"]["message"], (change, r.json())
    r = await sqlite_api.client.get("/api/v1/ldap/config", headers=h)
    assert r.json()["url"] == ""
    assert r.json()["updated_at"] is None


async def test_connection_test_reports_each_failure_without_saving(
    sqlite_api: Api, directory: ldap_server.Slapd, tree: str
) -> None:
    api = sqlite_api
    h = await api.admin()
    directory.add_user("tina", "tina-password", "tina@example.org", base=tree)
    r = await api.client.post("/api/v1/ldap/test", json=config(directory, tree), headers=h)
    result = r.json()
    assert r.status_code == 200
    assert result["success"] is True, result
    assert result["users_found"] == 1
    assert result["sample_users"] == ["tina"]

    r = await api.client.post(
        "/api/v1/ldap/test", json=config(directory, tree, bind_password="wrong"), headers=h
    )
    assert r.json()["success"] is False
    assert "invalidCredentials" in r.json()["message"]

    closed = f"ldap://127.0.0.1:{ldap_server.free_port()}"
    r = await api.client.post(
        "/api/v1/ldap/test", json=config(directory, tree, url=closed), headers=h
    )
    assert r.json()["success"] is False
    assert "Socket" in r.json()["message"] or "connect" in r.json()["message"].lower()

    # StartTLS: verified against the server's certificate it works, without trusting it it fails.
    ca = directory.tls_cert.read_text() if directory.tls_cert else ""
    r = await api.client.post(
        "/api/v1/ldap/test", json=config(directory, tree, start_tls=True, tls_ca_cert=ca), headers=h
    )
    assert r.json()["success"] is True, r.json()
    assert "StartTLS negotiated" in r.json()["steps"]
    r = await api.client.post(
        "/api/v1/ldap/test", json=config(directory, tree, start_tls=True), headers=h
    )
    assert r.json()["success"] is False

    r = await api.client.get("/api/v1/ldap/config", headers=h)
    assert r.json()["url"] == ""  # nothing was saved
    r = await api.client.post("/api/v1/ldap/test", headers=h)
    assert r.status_code == 400  # nothing configured to test


async def test_directory_user_signs_in_and_the_next_sync_removes_them(
    api: Api, directory: ldap_server.Slapd, tree: str
) -> None:
    h = await api.admin()
    dn = directory.add_user("dora", "dora-password", "Dora@Example.org", base=tree)
    directory.add_user(
        "stays", "stays-password", "stays@example.org", base=tree
    )  # the directory is never empty
    await configure(api, h, config(directory, tree))

    r = await login(api, "dora", "dora-password")
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["is_tmp_password"] is False
    me = await api.client.get("/api/v1/users/me", headers=api.auth(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "dora"
    assert me.json()["email"] == "dora@example.org"
    assert me.json()["is_external"] is True
    assert me.json()["is_superuser"] is False

    assert (await login(api, "dora", "wrong-password")).status_code == 401
    assert (
        await login(api, "dora@example.org", "dora-password")
    ).status_code == 200  # by e-mail too
    assert (await login(api, "dora", "")).status_code in (400, 401)
    assert (await login(api, "ghost", "whatever-1")).status_code == 401
    assert (
        await login(api, "*", "dora-password")
    ).status_code == 401  # filter characters are escaped

    directory.delete(dn)
    run = await sync(api, h)
    assert run["status"] == "completed", run
    assert run["deactivated"] == 1
    assert run["progress"] == 1.0

    r = await login(api, "dora", "dora-password")
    assert r.status_code == 401
    assert (
        await api.client.get("/api/v1/users/me", headers=api.auth(tokens["access_token"]))
    ).status_code == 401
    r = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert r.status_code == 401
    users = (await api.client.get("/api/v1/users", params={"search": "dora"}, headers=h)).json()[
        "items"
    ]
    assert users[0]["is_active"] is False

    logs = (
        await api.client.get("/api/v1/ldap/sync/logs", params={"run_id": run["id"]}, headers=h)
    ).json()
    assert any(e["username"] == "dora" and "deactivated" in e["message"] for e in logs["items"])
    actions = await audit_actions(api, "ldap")
    assert ("login", {"dn": dn, "account": "created"}) in actions
    assert any(a == "sync" and new["deactivated"] == 1 for a, new in actions)
    dora_id = me.json()["id"]
    account_changes = [
        a for a, new in await audit_actions(api, "user", dora_id) if (new or {}).get("source")
    ]
    assert account_changes == ["create", "deactivate"]


async def test_sync_creates_updates_deactivates_and_reactivates(
    api: Api, directory: ldap_server.Slapd, tree: str
) -> None:
    h = await api.admin()
    erin = directory.add_user("erin", "erin-password", "erin@example.org", base=tree)
    fred = directory.add_user("fred", "fred-password", "fred@example.org", base=tree)
    directory.add_user("nomail", "nomail-password", None, base=tree)
    await configure(api, h, config(directory, tree))

    run = await sync(api, h)
    assert (run["total"], run["created"], run["skipped"], run["deactivated"]) == (3, 2, 1, 0), run
    warnings = (
        await api.client.get("/api/v1/ldap/sync/logs", params={"level": "warning"}, headers=h)
    ).json()
    assert any(e["username"] == "nomail" and "e-mail" in e["message"] for e in warnings["items"])

    directory.set_mail(erin, "erin.new@example.org")
    directory.delete(fred)
    run = await sync(api, h)
    assert (run["created"], run["updated"], run["deactivated"]) == (0, 1, 1), run
    users = {
        u["username"]: u for u in (await api.client.get("/api/v1/users", headers=h)).json()["items"]
    }
    assert users["erin"]["email"] == "erin.new@example.org"
    assert users["fred"]["is_active"] is False

    # Fred comes back: the sync turned him off, so the sync turns him on again ...
    directory.add_user("fred", "fred-password", "fred@example.org", base=tree)
    run = await sync(api, h)
    assert run["reactivated"] == 1, run
    assert (await login(api, "fred", "fred-password")).status_code == 200

    # ... but an administrator's deactivation is never undone by the directory.
    r = await api.client.patch(
        f"/api/v1/users/{users['erin']['id']}", json={"is_active": False}, headers=h
    )
    assert r.status_code == 200
    run = await sync(api, h)
    assert run["reactivated"] == 0
    r = await login(api, "erin", "erin-password")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "inactive_user"


async def test_a_local_account_is_never_taken_over_by_the_directory(
    api: Api, directory: ldap_server.Slapd, tree: str
) -> None:
    h = await api.admin()
    await api.create_user(h, "gina", password="local-password-1")
    directory.add_user("gina", "directory-password", "gina@corp.example.org", base=tree)
    await configure(api, h, config(directory, tree))

    assert (await login(api, "gina", "directory-password")).status_code == 401
    assert (await login(api, "gina", "local-password-1")).status_code == 200
    run = await sync(api, h)
    assert (run["created"], run["skipped"]) == (0, 1), run
    logs = (
        await api.client.get("/api/v1/ldap/sync/logs", params={"username": "gina"}, headers=h)
    ).json()
    assert "local account" in logs["items"][0]["message"]


async def test_one_sync_at_a_time_across_nodes(
    api: Api, directory: ldap_server.Slapd, tree: str
) -> None:
    h = await api.admin()
    r = await api.client.post("/api/v1/ldap/sync", headers=h)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "ldap_not_configured"
    await configure(api, h, config(directory, tree))

    # Another node holds the sync lock (a running row with a fresh heartbeat).
    now = api.services.accounts._now()
    async with api.services.storage.unit_of_work() as uow:
        await uow.ldap_sync.start("other-node-run", "periodic", "ldap-sync", now)
    r = await api.client.post("/api/v1/ldap/sync", headers=h)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "sync_running"
    status = (await api.client.get("/api/v1/ldap/sync/status", headers=h)).json()
    assert status["is_running"] is True
    assert status["current"]["id"] == "other-node-run"

    # That node died: once its heartbeat is stale the lock is released and a new sync may run.
    async with api.services.storage.unit_of_work() as uow:
        await uow.ldap_sync.progress("other-node-run", {}, now - timedelta(hours=1))
    run = await sync(api, h)
    assert run["status"] == "completed"
    async with api.services.storage.unit_of_work() as uow:
        abandoned = await uow.ldap_sync.find("other-node-run")
    assert abandoned["status"] == "failed"
    assert "abandoned" in abandoned["message"]


async def test_an_unreachable_directory_is_reported_not_a_500(
    api: Api, directory: ldap_server.Slapd, tree: str
) -> None:
    h = await api.admin()
    directory.add_user("hank", "hank-password", "hank@example.org", base=tree)
    await configure(api, h, config(directory, tree))
    assert (await login(api, "hank", "hank-password")).status_code == 200
    closed = f"ldap://127.0.0.1:{ldap_server.free_port()}"
    await configure(api, h, config(directory, tree, url=closed, timeout_seconds=2))

    r = await login(api, "hank", "hank-password")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "directory_unavailable"
    run = await sync(api, h)
    assert run["status"] == "failed"
    assert "directory error" in run["message"]
    users = (await api.client.get("/api/v1/users", params={"search": "hank"}, headers=h)).json()[
        "items"
    ]
    assert users[0]["is_active"] is True  # a failed sync deactivates nobody


async def test_an_empty_listing_deactivates_nobody(
    api: Api, directory: ldap_server.Slapd, tree: str
) -> None:
    h = await api.admin()
    directory.add_user("ivan", "ivan-password", "ivan@example.org", base=tree)
    await configure(api, h, config(directory, tree))
    await sync(api, h)
    await configure(api, h, config(directory, tree, user_filter="(uid=nobody-has-this)"))
    run = await sync(api, h)
    assert run["status"] == "failed"
    assert "returned no users" in run["message"]
    assert (await login(api, "ivan", "ivan-password")).status_code == 401  # filter excludes him now
    users = (await api.client.get("/api/v1/users", params={"search": "ivan"}, headers=h)).json()[
        "items"
    ]
    assert users[0]["is_active"] is True


async def test_periodic_sync_removes_a_user_who_left(
    sqlite_api: Api, directory: ldap_server.Slapd, tree: str
) -> None:
    api = sqlite_api
    h = await api.admin()
    dn = directory.add_user("jane", "jane-password", "jane@example.org", base=tree)
    directory.add_user("jack", "jack-password", "jack@example.org", base=tree)
    await configure(api, h, config(directory, tree, sync_interval_seconds=5))
    assert (await login(api, "jane", "jane-password")).status_code == 200
    directory.delete(dn)
    for _ in range(300):
        status = (await api.client.get("/api/v1/ldap/sync/status", headers=h)).json()
        if status["last"] and status["last"]["deactivated"] == 1:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"no periodic sync deactivated jane: {status}")
    assert status["last"]["trigger"] == "periodic"
    assert (await login(api, "jane", "jane-password")).status_code == 401
