"""One outbox message, one request to its channel: webhook, Slack, Mattermost, Telegram, e-mail.

The network itself sits behind two small ports (`HttpTransport`, `Mailer`); their adapters live in
`togglr.delivery` and are wired in `governance_install.py`.
"""

from __future__ import annotations

import hashlib
import hmac
from http import HTTPStatus
from typing import Any, Protocol

import orjson

from togglr.domain.notifications import (
    TELEGRAM_API,
    Channel,
    DeliveryError,
    OutboxMessage,
    headline,
    render,
    title,
)
from togglr.services.common import Clock

USER_AGENT = "Togglr-Notifications/1"
SIGNATURE_HEADER = "X-Togglr-Signature"
TIMESTAMP_HEADER = "X-Togglr-Timestamp"


class HttpTransport(Protocol):
    async def post_json(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST the body; return (status, start of the answer body). Raise DeliveryError when the
        server cannot be reached, or may not be (the SSRF policy)."""
        ...


class Mailer(Protocol):
    async def send(self, to: list[str], subject: str, text: str) -> None:
        """Send a plain-text e-mail; raise DeliveryError on failure."""
        ...


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>." + body): what receivers recompute."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _status_error(status: int) -> DeliveryError:
    # The status and its standard reason only: the answer's body, or the reason phrase the
    # receiver made up, could carry what an internal service returned (SSRF read-back).
    try:
        reason = " " + HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    return DeliveryError(f"HTTP {status}{reason} from the receiver")


def webhook_body(message: OutboxMessage) -> dict[str, Any]:
    event = message.payload
    return {
        "id": message.id,
        "event": message.trigger,
        "occurred_at": event.get("occurred_at"),
        "project": event.get("project"),
        "environment": event.get("environment"),
        "feature": event.get("feature"),
        "data": event.get("data") or {},
        "text": render(event, "plain"),
    }


class ChannelDelivery:
    """Callable the outbox worker uses: deliver(channel, message) or raise DeliveryError."""

    def __init__(self, transport: HttpTransport, mailer: Mailer | None, clock: Clock) -> None:
        self._http = transport
        self._mailer = mailer
        self._now = clock

    async def __call__(self, channel: Channel, message: OutboxMessage) -> None:
        handler = {
            "webhook": self._webhook,
            "slack": self._slack,
            "mattermost": self._mattermost,
            "telegram": self._telegram,
            "email": self._email,
        }.get(channel.type)
        if handler is None:
            raise DeliveryError(f"unknown channel type {channel.type!r}")
        await handler(channel.config, message)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> bytes:
        status, answer = await self._http.post_json(
            url, body, {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
        )
        if not 200 <= status < 300:
            raise _status_error(status)
        return answer

    async def _webhook(self, config: dict[str, Any], message: OutboxMessage) -> None:
        body = orjson.dumps(webhook_body(message))
        timestamp = int(self._now().timestamp())
        headers = {
            "X-Togglr-Event": message.trigger,
            "X-Togglr-Delivery": message.id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(str(config["secret"]), timestamp, body),
        }
        await self._post(str(config["url"]), body, headers)

    async def _slack(self, config: dict[str, Any], message: OutboxMessage) -> None:
        event = message.payload
        payload: dict[str, Any] = {
            "text": f"{headline(event)}: {title(event)}",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": render(event, "slack")}}
            ],
        }
        if config.get("channel"):
            payload["channel"] = config["channel"]
        await self._post(str(config["webhook_url"]), orjson.dumps(payload), {})

    async def _mattermost(self, config: dict[str, Any], message: OutboxMessage) -> None:
        payload: dict[str, Any] = {
            "text": render(message.payload, "markdown"),
            "username": "Togglr",
        }
        if config.get("channel"):
            payload["channel"] = config["channel"]
        await self._post(str(config["webhook_url"]), orjson.dumps(payload), {})

    async def _telegram(self, config: dict[str, Any], message: OutboxMessage) -> None:
        base = str(config.get("api_url") or TELEGRAM_API).rstrip("/")
        payload = {
            "chat_id": config["chat_id"],
            "text": render(message.payload, "html"),
            "parse_mode": "HTML",
            "disable_web_page_preview": True,
        }
        raw = await self._post(
            f"{base}/bot{config['bot_token']}/sendMessage", orjson.dumps(payload), {}
        )
        try:
            answer = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return  # a 2xx without JSON: nothing more to check
        if isinstance(answer, dict) and answer.get("ok") is False:
            # Telegram's own reason ("chat not found") helps; any other server's text is not shown.
            reason = answer.get("description") if base == TELEGRAM_API else None
            raise DeliveryError(
                f"Telegram refused the message: {str(reason or 'no reason given')[:200]}"
            )

    async def _email(self, config: dict[str, Any], message: OutboxMessage) -> None:
        if self._mailer is None:
            raise DeliveryError("e-mail is not configured on this server: set TOGGLR_MAILER_HOST")
        event = message.payload
        subject = f"[Togglr] {headline(event)}: {title(event)}"
        await self._mailer.send(list(config["to"]), subject[:200], render(event, "plain"))
