"""The SSRF policy of notification channels: no requests to loopback, private, link-local and
other internal addresses (unless TOGGLR_WEBHOOK_ALLOW_PRIVATE), checked when a channel is saved and
again, on a fresh lookup that the connection then uses, whenever a message is sent."""

from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from tests.api.governance_support import HttpReceiver
from tests.conftest import Api, fresh_sqlite_url, running_api
from tests.support.certs import self_signed, write_pair

from togglr.delivery.http import HttpxTransport
from togglr.domain.egress import EgressPolicy
from togglr.domain.notifications import DeliveryError

SECRET = "whsec-0123456789abcdef"


@contextmanager
def dns(api: Api, answers: dict[str, list[list[str]]]) -> Iterator[list[str]]:
    """Answer look-ups of the given names from `answers` (one list per look-up, the last repeats);
    other names go to the real resolver. Yields the names looked up, in order."""
    policy = api.services.extra["governance"].notifications.egress
    real = policy.resolve
    looked_up: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            return list(await real(host, port))
        looked_up.append(host)
        queue = answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    policy.resolve = resolve
    try:
        yield looked_up
    finally:
        policy.resolve = real


async def _project(api: Api) -> tuple[dict[str, str], str]:
    admin = await api.admin()
    pid = (await api.project(admin))["id"]
    return admin, f"/api/v1/projects/{pid}/notification-channels"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8080/hook", "127.0.0.1 is a loopback address"),
        ("http://10.0.0.5/hook", "10.0.0.5 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[::1]:8080/hook", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1 is a loopback address"),
        ("http://0.0.0.0:8080/", "0.0.0.0 is an unspecified address"),
        ("http://[fd00::5]/", "fd00::5 is a private address"),
        ("http://localhost:8080/hook", "localhost resolves to"),
    ],
)
async def test_channels_may_not_point_at_internal_addresses(
    sqlite_api: Api, url: str, reason: str
) -> None:
    api = sqlite_api
    admin, channels = await _project(api)
    r = await api.client.post(
        channels, json={"type": "webhook", "config": {"url": url, "secret": SECRET}}, headers=admin
    )
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"].startswith(f"config.url: {reason}"), error
    assert "TOGGLR_WEBHOOK_ALLOW_PRIVATE" in error["message"]


async def test_every_url_field_is_checked_on_create_and_update(sqlite_api: Api) -> None:
    api = sqlite_api
    admin, channels = await _project(api)
    for body, field in (
        ({"type": "slack", "config": {"webhook_url": "https://192.168.1.10/x"}}, "webhook_url"),
        ({"type": "mattermost", "config": {"webhook_url": "http://[fe80::1]/x"}}, "webhook_url"),
        (
            {
                "type": "telegram",
                "config": {"bot_token": "1:t", "chat_id": "1", "api_url": "http://172.16.0.1"},
            },
            "api_url",
        ),
    ):
        r = await api.client.post(channels, json=body, headers=admin)
        assert r.status_code == 400 and r.json()["error"]["message"].startswith(f"config.{field}:")
    # A public address is fine (nothing is sent when saving); pointing it inward later is not.
    public = {"url": "http://93.184.216.34/hook", "secret": SECRET}
    r = await api.client.post(channels, json={"type": "webhook", "config": public}, headers=admin)
    assert r.status_code == 201, r.text
    r = await api.client.patch(
        f"{channels}/{r.json()['id']}",
        json={"config": {"url": "http://10.1.1.1/hook", "secret": SECRET}},
        headers=admin,
    )
    assert r.status_code == 400 and "10.1.1.1 is a private address" in r.text


@pytest.fixture
async def receiver() -> AsyncIterator[HttpReceiver]:
    """A local HTTP receiver (on loopback, as internal services are)."""
    server = await HttpReceiver().start()
    try:
        yield server
    finally:
        await server.close()


async def _webhook_test_message(api: Api, url: str) -> dict[str, Any]:
    """Save a webhook channel to `url` and send its test message; the message as answered."""
    admin, channels = await _project(api)
    r = await api.client.post(
        channels, json={"type": "webhook", "config": {"url": url, "secret": SECRET}}, headers=admin
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(f"{channels}/{r.json()['id']}/test", headers=admin)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_the_address_is_checked_again_when_sending(
    sqlite_api: Api, receiver: HttpReceiver
) -> None:
    """DNS rebinding: the name was public when the channel was saved and points at loopback when
    the message goes out. The send-time check refuses it, and nothing reaches the receiver."""
    port = receiver.url.rsplit(":", 1)[1]
    with dns(sqlite_api, {"rebind.test": [["93.184.216.34"], ["127.0.0.1"]]}) as looked_up:
        message = await _webhook_test_message(sqlite_api, f"http://rebind.test:{port}/hook")
    assert looked_up == ["rebind.test", "rebind.test"]  # saved, then sent
    assert message["status"] == "failed", message
    assert message["last_error"].startswith(
        "refused: rebind.test resolves to 127.0.0.1, a loopback address"
    )
    assert receiver.requests == []


async def test_the_allow_setting_allows_internal_receivers_and_says_so(
    tmp_path: Any, caplog: pytest.LogCaptureFixture, receiver: HttpReceiver
) -> None:
    caplog.set_level(logging.WARNING)
    port = receiver.url.rsplit(":", 1)[1]
    url = await fresh_sqlite_url(tmp_path)
    async with running_api(url, tmp_path, webhook_allow_private=True) as api:
        assert "TOGGLR_WEBHOOK_ALLOW_PRIVATE" in caplog.text
        # The request goes to the address the check looked up, not to a second look-up: the
        # system resolver knows no `receiver.test`, yet the receiver gets the message, with the
        # name in the Host header.
        with dns(api, {"receiver.test": [["127.0.0.1"]]}):
            message = await _webhook_test_message(api, f"http://receiver.test:{port}/in")
        assert message["status"] == "sent", message
        (received,) = receiver.on("/in")
        assert received.headers["host"] == f"receiver.test:{port}"


async def test_https_connects_to_the_checked_address_and_verifies_the_name(tmp_path: Any) -> None:
    """Connecting by IP must not weaken TLS: the name goes out as SNI and the certificate is
    checked against the name (a certificate for another name fails)."""
    names: list[str | None] = []
    for name in ("receiver.test", "other.test"):
        cert, key = write_pair(tmp_path, name, *self_signed(name, dns=name))
        server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_tls.load_cert_chain(cert, key)
        server_tls.sni_callback = lambda _sock, server_name, _ctx: names.append(server_name)
        receiver = await HttpReceiver().start(tls=server_tls)
        port = receiver.url.rsplit(":", 1)[1]

        async def resolve(host: str, port: int) -> list[str]:
            return ["127.0.0.1"]

        transport = HttpxTransport(
            EgressPolicy(resolve, allow_private=True),
            verify=ssl.create_default_context(cafile=str(cert)),
        )
        try:
            url = f"https://receiver.test:{port}/tls"
            if name == "receiver.test":
                assert await transport.post_json(url, b"{}", {}) == (200, b'{"ok": true}')
                (received,) = receiver.on("/tls")
                assert received.headers["host"] == f"receiver.test:{port}"
            else:
                with pytest.raises(
                    DeliveryError, match=r"^could not reach the receiver: ConnectError$"
                ):
                    await transport.post_json(url, b"{}", {})
                assert receiver.requests == []
        finally:
            await transport.close()
            await receiver.close()
    assert names == ["receiver.test", "receiver.test"]
