"""Request and response models of notification channels, delivery history and the in-app inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool

from togglr.domain.notifications import Channel, OutboxMessage, UserNotification, mask_config
from togglr.web.schemas import Request

Trigger = Literal["state_changed", "auto_disabled", "approval_needed", "change_decided"]


class ChannelCreate(Request):
    environment_key: str | None = Field(
        None, max_length=20, description="Only this environment (default: all)"
    )
    name: str | None = Field(None, min_length=1, max_length=100)
    type: Literal["webhook", "slack", "mattermost", "telegram", "email"]
    config: dict[str, Any] = Field(
        description="webhook {url, secret}; slack/mattermost {webhook_url, channel?}; "
        "telegram {bot_token, chat_id, api_url?}; email {to: [addresses]}"
    )
    triggers: list[Trigger] | None = Field(None, description="Default: all four")
    enabled: StrictBool = True


class ChannelUpdate(Request):
    environment_key: str | None = Field(None, max_length=20)
    name: str | None = Field(None, min_length=1, max_length=100)
    config: dict[str, Any] | None = Field(
        None,
        description="Secrets left out or sent as ******** are kept, unless the URL they are sent "
        "to changes (webhook url, Telegram api_url): then send the secret again",
    )
    triggers: list[Trigger] | None = None
    enabled: StrictBool | None = None


class ChannelRead(BaseModel):
    id: str
    project_id: str
    environment_key: str | None
    name: str
    type: str
    config: dict[str, Any] = Field(description="Secrets are shown as ********")
    triggers: list[str]
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: Channel) -> ChannelRead:
        return cls(
            id=c.id,
            project_id=c.project_id,
            environment_key=c.environment_key,
            name=c.name,
            type=c.type,
            config=mask_config(c.type, c.config),
            triggers=list(c.triggers),
            enabled=c.enabled,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


class ChannelsRead(BaseModel):
    items: list[ChannelRead]


class MessageRead(BaseModel):
    id: str
    channel_id: str
    trigger: str
    status: Literal["pending", "sent", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    payload: dict[str, Any]
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, m: OutboxMessage) -> MessageRead:
        return cls(**{k: getattr(m, k) for k in cls.model_fields})


class MessagePage(BaseModel):
    items: list[MessageRead]
    total: int
    page: int
    per_page: int


class UserNotificationRead(BaseModel):
    id: str
    type: str
    title: str
    body: str
    data: dict[str, Any]
    project_id: str | None
    read: bool
    read_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, n: UserNotification) -> UserNotificationRead:
        return cls(
            id=n.id,
            type=n.type,
            title=n.title,
            body=n.body,
            data=n.data,
            project_id=n.project_id,
            read=n.read_at is not None,
            read_at=n.read_at,
            created_at=n.created_at,
        )


class InboxRead(BaseModel):
    items: list[UserNotificationRead]
    total: int
    unread: int
    page: int
    per_page: int


class ReadAllRead(BaseModel):
    updated: int
