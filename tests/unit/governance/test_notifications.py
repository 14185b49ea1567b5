"""Channel configs (validation, secrets), retry backoff, message texts, webhook signatures."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from togglr.domain.errors import InvalidInputError
from togglr.domain.notifications import (
    MASK,
    Channel,
    DeliveryError,
    OutboxMessage,
    backoff_seconds,
    mask_config,
    render,
    validate_config,
    validate_triggers,
)
from togglr.services.channel_delivery import ChannelDelivery, sign

NOW = datetime(2030, 1, 1, tzinfo=UTC)
EVENT = {
    "trigger": "state_changed",
    "project": {"id": "p", "name": "Shop"},
    "environment": {"id": "e", "key": "prod"},
    "feature": {"id": "f", "key": "dark", "name": "Dark <mode>"},
    "data": {"enabled": False, "by": "alice"},
    "occurred_at": "2030-01-01T00:00:00Z",
}


def test_secrets_are_masked_and_kept_on_update() -> None:
    config = validate_config(
        "webhook", {"url": "https://example.com/h", "secret": "0123456789abcdef"}
    )
    assert mask_config("webhook", config) == {"url": "https://example.com/h", "secret": MASK}
    kept = validate_config(
        "webhook", {"url": "https://example.com/h", "secret": MASK}, previous=config
    )
    assert kept == config
    moved = validate_config(
        "webhook",
        {"url": "https://example.com/new", "secret": "a-new-secret-0123"},
        previous=config,
    )
    assert moved["secret"] == "a-new-secret-0123" and moved["url"].endswith("/new")


@pytest.mark.parametrize(
    ("kind", "previous", "update", "field"),
    [
        # The mask (or leaving the secret out) must not carry it to a new address.
        (
            "webhook",
            {"url": "https://example.com/h", "secret": "0123456789abcdef"},
            {"url": "https://attacker.example/h", "secret": MASK},
            "config.secret",
        ),
        (
            "webhook",
            {"url": "https://example.com/h", "secret": "0123456789abcdef"},
            {"url": "https://attacker.example/h"},
            "config.secret",
        ),
        (
            "telegram",
            {"bot_token": "123:abc", "chat_id": "42"},
            {"bot_token": MASK, "chat_id": "42", "api_url": "https://attacker.example"},
            "config.bot_token",
        ),
        (
            "telegram",
            {"bot_token": "123:abc", "chat_id": "42", "api_url": "https://tg.example"},
            {"chat_id": "42", "api_url": "https://attacker.example"},
            "config.bot_token",
        ),
        (
            "telegram",
            {"bot_token": "123:abc", "chat_id": "42", "api_url": "https://tg.example"},
            {"bot_token": MASK, "chat_id": "42"},  # back to the default API is elsewhere too
            "config.bot_token",
        ),
    ],
)
def test_a_kept_secret_cannot_follow_a_changed_destination(
    kind: str, previous: dict[str, Any], update: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError, match=f"^{field}: .*again") as raised:
        validate_config(kind, update, previous=previous)
    assert previous[field.removeprefix("config.")] not in str(raised.value)


def test_a_kept_secret_stays_with_its_destination() -> None:
    telegram = {"bot_token": "123:abc", "chat_id": "42"}
    # Spelling out the default API, or changing the chat, keeps the token where it goes.
    same = validate_config(
        "telegram",
        {"bot_token": MASK, "chat_id": "7", "api_url": "https://api.telegram.org/"},
        previous=telegram,
    )
    assert same["bot_token"] == "123:abc" and same["chat_id"] == "7"
    # Slack and Mattermost: the URL is the secret, the channel name is not a destination.
    slack = {"webhook_url": "https://hooks.slack.com/services/T/B/x", "channel": "#a"}
    moved = validate_config("slack", {"webhook_url": MASK, "channel": "#b"}, previous=slack)
    assert moved == {"webhook_url": slack["webhook_url"], "channel": "#b"}
    # E-mail holds no secret (the SMTP login is the server's): recipients change freely.
    assert validate_config("email", {"to": ["b@example.com"]}, previous={"to": ["a@example.com"]})


@pytest.mark.parametrize(
    ("kind", "config"),
    [
        ("webhook", {"url": "https://x"}),
        ("webhook", {"url": "javascript:alert(1)", "secret": "0123456789abcdef"}),
        ("telegram", {"bot_token": "t"}),
        ("email", {"to": []}),
        ("email", {"to": ["a@b.c"], "cc": ["x@y.z"]}),
        ("carrier-pigeon", {}),
    ],
)
def test_bad_configs_are_rejected(kind: str, config: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        validate_config(kind, config)


def test_triggers_default_to_all_and_reject_unknown() -> None:
    assert len(validate_triggers(None)) == 4
    with pytest.raises(InvalidInputError):
        validate_triggers(["sometimes"])


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff_seconds(n, 10) for n in (1, 2, 3)] == [10, 30, 90]
    assert backoff_seconds(50, 10) == 3600


def test_render_escapes_html_for_telegram() -> None:
    text = render(EVENT, "html")
    assert "<b>[Shop] Dark &lt;mode&gt; (prod)</b>" in text and "Feature disabled by alice" in text
    assert render(EVENT, "markdown").startswith("**[Shop] Dark <mode> (prod)**")


class FakeTransport:
    def __init__(self, status: int = 200, answer: bytes = b"ok") -> None:
        self.status, self.answer = status, answer
        self.calls: list[tuple[str, bytes, dict[str, str]]] = []

    async def post_json(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        self.calls.append((url, body, headers))
        return self.status, self.answer


def _channel(kind: str, config: dict[str, Any]) -> Channel:
    return Channel("c", "p", None, None, "n", kind, config, ("state_changed",), True, NOW, NOW)  # type: ignore[arg-type]


def _message() -> OutboxMessage:
    return OutboxMessage("m", "c", "p", "state_changed", EVENT, "pending", 0, NOW, None, NOW, None)


async def test_webhook_is_signed_over_timestamp_and_body() -> None:
    transport = FakeTransport()
    deliver = ChannelDelivery(transport, None, lambda: NOW)
    await deliver(_channel("webhook", {"url": "https://h", "secret": "k" * 16}), _message())
    ((_url, body, headers),) = transport.calls
    ts = headers["X-Togglr-Timestamp"]
    expected = hmac.new(b"k" * 16, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["X-Togglr-Signature"] == f"sha256={expected}" == sign("k" * 16, int(ts), body)
    assert orjson.loads(body)["event"] == "state_changed" and headers["X-Togglr-Delivery"] == "m"


async def test_failures_raise_delivery_errors() -> None:
    deliver = ChannelDelivery(FakeTransport(status=404, answer=b"no such hook"), None, lambda: NOW)
    with pytest.raises(DeliveryError, match=r"^HTTP 404 Not Found from the receiver$"):
        await deliver(_channel("slack", {"webhook_url": "https://h"}), _message())
    telegram = ChannelDelivery(
        FakeTransport(answer=b'{"ok": false, "description": "chat not found"}'), None, lambda: NOW
    )
    with pytest.raises(DeliveryError, match="chat not found"):
        await telegram(_channel("telegram", {"bot_token": "t", "chat_id": "1"}), _message())
    # Another server's text is not shown: it could be anything an internal service answers.
    elsewhere = {"bot_token": "t", "chat_id": "1", "api_url": "https://tg.example"}
    with pytest.raises(DeliveryError, match=r"^Telegram refused the message: no reason given$"):
        await telegram(_channel("telegram", elsewhere), _message())
    with pytest.raises(DeliveryError, match="TOGGLR_MAILER_HOST"):
        await deliver(_channel("email", {"to": ["a@b.c"]}), _message())
