"""Notification channels, outbox messages, in-app user notifications, and the texts they carry."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from togglr.domain.egress import url_target
from togglr.domain.errors import InvalidInputError

# --- triggers -----------------------------------------------------------------------------------

STATE_CHANGED = "state_changed"
AUTO_DISABLED = "auto_disabled"
APPROVAL_NEEDED = "approval_needed"
CHANGE_DECIDED = "change_decided"
TEST = "test"
TRIGGERS: tuple[str, ...] = (STATE_CHANGED, AUTO_DISABLED, APPROVAL_NEEDED, CHANGE_DECIDED)

# --- channels -----------------------------------------------------------------------------------

ChannelType = Literal["webhook", "slack", "mattermost", "telegram", "email"]
CHANNEL_TYPES: tuple[str, ...] = ("webhook", "slack", "mattermost", "telegram", "email")
MASK = "********"
TELEGRAM_API = "https://api.telegram.org"
MAX_EMAIL_RECIPIENTS = 20
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")


@dataclass(frozen=True, slots=True)
class ConfigField:
    name: str
    required: bool
    secret: bool = False
    kind: Literal["url", "text", "emails"] = "text"
    # For a secret: the fields that say where it is sent. A stored secret may only be kept (sent
    # back masked or left out) while they stay the same, or pointing them elsewhere would send it
    # to a server of the editor's choosing.
    sent_to: tuple[str, ...] = ()
    default: str | None = None  # the value an optional field has when it is left out


# Per type: the config fields, which are required, and which are secrets (never returned).
# Slack and Mattermost incoming-webhook URLs embed their token, so the URL itself is secret (a new
# URL is a new secret). E-mail channels hold no secret: the SMTP login is the server's setting.
CONFIG_FIELDS: dict[str, tuple[ConfigField, ...]] = {
    "webhook": (
        ConfigField("url", True, kind="url"),
        ConfigField("secret", True, secret=True, sent_to=("url",)),
    ),
    "slack": (
        ConfigField("webhook_url", True, secret=True, kind="url"),
        ConfigField("channel", False),
    ),
    "mattermost": (
        ConfigField("webhook_url", True, secret=True, kind="url"),
        ConfigField("channel", False),
    ),
    "telegram": (
        ConfigField("bot_token", True, secret=True, sent_to=("api_url",)),
        ConfigField("chat_id", True),
        ConfigField("api_url", False, kind="url", default=TELEGRAM_API),
    ),
    "email": (ConfigField("to", True, kind="emails"),),
}


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    project_id: str
    environment_id: str | None  # None: every environment of the project
    environment_key: str | None
    name: str
    type: ChannelType
    config: dict[str, Any]
    triggers: tuple[str, ...]
    enabled: bool
    created_at: datetime
    updated_at: datetime

    def wants(self, trigger: str, environment_id: str | None) -> bool:
        """Whether this channel delivers `trigger` for an event in `environment_id`."""
        if not self.enabled or trigger not in self.triggers:
            return False
        return (
            self.environment_id is None
            or environment_id is None
            or self.environment_id == environment_id
        )


def _check_url(name: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) > 2000:
        raise InvalidInputError(f"config.{name}: an http(s) URL of at most 2000 characters")
    try:
        url_target(value)
    except ValueError:  # no http(s) scheme, no host, or a port that is no port
        raise InvalidInputError(f"config.{name}: must be an http:// or https:// URL") from None
    return value


def _check_emails(name: str, value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or len(items) > MAX_EMAIL_RECIPIENTS:
        raise InvalidInputError(f"config.{name}: 1-{MAX_EMAIL_RECIPIENTS} e-mail addresses")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str) or len(item) > 255 or not _EMAIL.match(item.strip()):
            raise InvalidInputError(f"config.{name}: {item!r} is not an e-mail address")
        out.append(item.strip())
    return out


def validate_config(
    channel_type: str, config: Mapping[str, Any], previous: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Check a channel config and return it cleaned.

    On update, a secret sent back as the mask (or left out) keeps its previous value, so a client
    can edit other fields without knowing the secret; but not when the fields that say where it is
    sent change (then it must be sent again).
    """
    if channel_type not in CONFIG_FIELDS:
        raise InvalidInputError(f"type: must be one of {', '.join(CHANNEL_TYPES)}")
    fields = CONFIG_FIELDS[channel_type]
    known = {f.name for f in fields}
    unknown = sorted(set(config) - known)
    if unknown:
        raise InvalidInputError(
            f"config: unknown field(s) {', '.join(unknown)} for a {channel_type} channel; "
            f"expected {', '.join(sorted(known))}"
        )
    clean: dict[str, Any] = {}
    kept: list[ConfigField] = []
    for f in fields:
        value = config.get(f.name)
        if f.secret and previous is not None and (value is None or value == MASK):
            value = previous.get(f.name)
            kept.append(f)
        if value is None or value == "":
            if f.required:
                raise InvalidInputError(f"config.{f.name}: required for a {channel_type} channel")
            continue
        if f.kind == "url":
            clean[f.name] = _check_url(f.name, value)
        elif f.kind == "emails":
            clean[f.name] = _check_emails(f.name, value)
        else:
            if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > 500:
                raise InvalidInputError(f"config.{f.name}: a string of at most 500 characters")
            clean[f.name] = str(value)
    if previous is not None:
        _check_kept_secrets(fields, kept, clean, previous)
    if channel_type == "webhook" and len(clean["secret"]) < 16:
        raise InvalidInputError(
            "config.secret: at least 16 characters (it keys the HMAC signature)"
        )
    return clean


def _check_kept_secrets(
    fields: tuple[ConfigField, ...],
    kept: list[ConfigField],
    new: Mapping[str, Any],
    old: Mapping[str, Any],
) -> None:
    defaults = {f.name: f.default for f in fields}

    def destination(config: Mapping[str, Any], name: str) -> str:
        return str(config.get(name) or defaults[name] or "").rstrip("/")

    for secret in kept:
        for name in secret.sent_to:
            if destination(new, name) != destination(old, name):
                raise InvalidInputError(
                    f"config.{secret.name}: send it again when config.{name} changes "
                    f"(a stored {secret.name} is only sent where it was saved for)"
                )


def mask_config(channel_type: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The config as the API shows it: secrets replaced by the mask."""
    secret = {f.name for f in CONFIG_FIELDS.get(channel_type, ()) if f.secret}
    return {k: (MASK if k in secret and v else v) for k, v in config.items()}


def validate_triggers(triggers: list[str] | None) -> tuple[str, ...]:
    if triggers is None:
        return TRIGGERS
    unknown = [t for t in triggers if t not in TRIGGERS]
    if unknown or not triggers:
        raise InvalidInputError(f"triggers: choose from {', '.join(TRIGGERS)}")
    return tuple(dict.fromkeys(triggers))


# --- outbox -------------------------------------------------------------------------------------

MessageStatus = Literal["pending", "sent", "failed"]
MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 10.0
BACKOFF_MAX_SECONDS = 3600.0


def backoff_seconds(attempts: int, base: float = BACKOFF_BASE_SECONDS) -> float:
    """Delay before the next try after `attempts` failed ones: base, 3x base, 9x base ... capped."""
    return float(min(base * 3 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: str
    channel_id: str
    project_id: str
    trigger: str
    payload: dict[str, Any]
    status: MessageStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class DeliveryError(Exception):
    """A channel could not take a message; the text is stored as the message's last error."""


# --- in-app user notifications ------------------------------------------------------------------

USER_PROJECT_ADDED = "project_added"
USER_ROLE_CHANGED = "role_changed"
USER_PROJECT_REMOVED = "project_removed"
USER_APPROVAL_NEEDED = "approval_needed"
USER_CHANGE_DECIDED = "change_decided"


@dataclass(frozen=True, slots=True)
class UserNotification:
    id: str
    user_id: str
    project_id: str | None
    type: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None = None


# --- texts ----------------------------------------------------------------------------------------

Style = Literal["plain", "markdown", "slack", "html"]


def _bold(text: str, style: Style) -> str:
    if style == "html":
        return f"<b>{html.escape(text)}</b>"
    if style == "markdown":
        return f"**{text}**"
    if style == "slack":
        return f"*{text}*"
    return text


def _esc(text: str, style: Style) -> str:
    return html.escape(text) if style == "html" else text


def headline(event: Mapping[str, Any]) -> str:
    """`[Project] feature (env)`: who the message is about."""
    project = event.get("project", {}).get("name") or "Togglr"
    feature = event.get("feature") or {}
    env = (event.get("environment") or {}).get("key")
    name = feature.get("name") or feature.get("key") or ""
    where = f" ({env})" if env else ""
    return f"[{project}] {name}{where}".strip()


def title(event: Mapping[str, Any]) -> str:
    """One line saying what happened."""
    data = event.get("data") or {}
    trigger = event.get("trigger")
    if trigger == STATE_CHANGED:
        state = "enabled" if data.get("enabled") else "disabled"
        by = data.get("by") or "someone"
        return f"Feature {state} by {by}"
    if trigger == AUTO_DISABLED:
        if data.get("pending_change_id"):
            return "Automatic disable requested: approval needed"
        return "Feature automatically disabled"
    if trigger == APPROVAL_NEEDED:
        return f"Change requested by {data.get('requested_by') or 'someone'}: approval needed"
    if trigger == CHANGE_DECIDED:
        return f"Change {data.get('status', 'decided')} by {data.get('decided_by') or 'someone'}"
    if trigger == TEST:
        return "Test message from Togglr"
    return str(trigger)


def render(event: Mapping[str, Any], style: Style) -> str:
    """The full message text in the channel's markup."""
    data = event.get("data") or {}
    lines = [_bold(headline(event), style), _esc(title(event), style)]
    detail = data.get("summary") or data.get("reason")
    if detail:
        lines.append(_esc(str(detail), style))
    if event.get("trigger") == CHANGE_DECIDED and data.get("decision_reason"):
        lines.append(_esc(f"Reason: {data['decision_reason']}", style))
    at = event.get("occurred_at")
    if at:
        lines.append(_esc(f"At: {at}", style))
    return "\n".join(lines)
