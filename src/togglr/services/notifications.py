"""Notification channels of a project (CRUD, test, delivery history), and users' in-app inbox."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any, cast

from togglr.domain.accounts import Principal
from togglr.domain.egress import EgressPolicy, EgressRefusedError, UnresolvableHostError, url_target
from togglr.domain.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from togglr.domain.ids import new_id
from togglr.domain.notifications import (
    CONFIG_FIELDS,
    TEST,
    Channel,
    ChannelType,
    OutboxMessage,
    UserNotification,
    mask_config,
    validate_config,
    validate_triggers,
)
from togglr.services.common import Clock, Page, audit, offset_of, require
from togglr.services.outbox import OutboxWorker

# A slow resolver must not hold a save for long; a name that cannot be looked up now is judged at
# each send instead.
RESOLVE_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Inbox:
    items: list[UserNotification]
    total: int
    unread: int
    page: int
    per_page: int


def _audit_form(c: Channel) -> dict[str, Any]:
    # Audit rows are readable by every auditor: never put secrets in them.
    return {
        "name": c.name,
        "type": c.type,
        "environment_key": c.environment_key,
        "enabled": c.enabled,
        "triggers": list(c.triggers),
        "config": mask_config(c.type, c.config),
    }


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInputError("name: 1-100 characters")
    return name


class NotificationService:
    def __init__(
        self, storage: Any, clock: Clock, outbox: OutboxWorker, egress: EgressPolicy
    ) -> None:
        self._storage = storage
        self._now = clock
        self._outbox = outbox
        self.egress = egress  # shared with the HTTP transport, which applies it at each send

    async def _check_destinations(self, channel_type: str, config: dict[str, Any]) -> None:
        """Refuse URLs that point at internal addresses now, so the mistake shows when the channel
        is saved; the transport checks again at every send (the answer of a name can change)."""
        for f in CONFIG_FIELDS[channel_type]:
            if f.kind != "url" or not config.get(f.name):
                continue
            try:
                async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
                    await self.egress.addresses(*url_target(config[f.name]))
            except EgressRefusedError as exc:
                raise InvalidInputError(f"config.{f.name}: {exc}") from None
            except (UnresolvableHostError, TimeoutError):
                pass

    # --- channels ---------------------------------------------------------------------------------
    async def _channel(
        self, uow: Any, principal: Principal, project_id: str, channel_id: str
    ) -> Channel:
        if not principal.can(project_id, "project.view"):
            raise NotFoundError("project", project_id)
        channel: Channel = await uow.notification_channels.get(channel_id)
        if channel.project_id != project_id:
            raise NotFoundError("notification channel", channel_id)
        return channel

    async def _environment(
        self, uow: Any, project_id: str, env_key: str | None
    ) -> tuple[str | None, str | None]:
        if not env_key:
            return None, None
        env = await uow.environments.get_by_key(project_id, env_key)
        return env.id, env.key

    async def create_channel(
        self,
        principal: Principal,
        project_id: str,
        *,
        environment_key: str | None,
        name: str | None,
        channel_type: str,
        config: dict[str, Any],
        triggers: list[str] | None,
        enabled: bool,
    ) -> Channel:
        require(principal, project_id, "project.manage")
        clean = validate_config(channel_type, config)
        await self._check_destinations(channel_type, clean)
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            env_id, env_key = await self._environment(uow, project_id, environment_key)
            channel = Channel(
                id=new_id(),
                project_id=project_id,
                environment_id=env_id,
                environment_key=env_key,
                name=_check_name(name or f"{channel_type}{' ' + env_key if env_key else ''}"),
                type=cast(ChannelType, channel_type),  # validate_config checked it
                config=clean,
                triggers=validate_triggers(triggers),
                enabled=enabled,
                created_at=now,
                updated_at=now,
            )
            await uow.notification_channels.add(channel)
            await audit(
                uow,
                principal,
                now,
                entity="notification_channel",
                entity_id=channel.id,
                action="create",
                project_id=project_id,
                environment_id=env_id,
                new=_audit_form(channel),
            )
        return channel

    async def list_channels(
        self, principal: Principal, project_id: str, environment_key: str | None = None
    ) -> list[Channel]:
        if not principal.can(project_id, "project.view"):
            raise NotFoundError("project", project_id)
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            env_id, _ = await self._environment(uow, project_id, environment_key)
            return list(await uow.notification_channels.list(project_id, environment_id=env_id))

    async def get_channel(self, principal: Principal, project_id: str, channel_id: str) -> Channel:
        async with self._storage.unit_of_work() as uow:
            return await self._channel(uow, principal, project_id, channel_id)

    async def update_channel(
        self, principal: Principal, project_id: str, channel_id: str, changes: dict[str, Any]
    ) -> Channel:
        """Change some fields. Secrets sent back masked (or left out of config) keep their value."""
        require(principal, project_id, "project.manage")
        if changes.get("config") is not None:
            # Look the URLs up before the write transaction, which a slow resolver must not hold;
            # the config is validated again inside it, against the stored one of that moment.
            current = await self.get_channel(principal, project_id, channel_id)
            await self._check_destinations(
                current.type,
                validate_config(current.type, changes["config"], previous=current.config),
            )
        async with self._storage.unit_of_work() as uow:
            old = await self._channel(uow, principal, project_id, channel_id)
            new = old
            if "environment_key" in changes:
                env_id, env_key = await self._environment(
                    uow, project_id, changes["environment_key"]
                )
                new = replace(new, environment_id=env_id, environment_key=env_key)
            if changes.get("name") is not None:
                new = replace(new, name=_check_name(changes["name"]))
            if changes.get("config") is not None:
                new = replace(
                    new, config=validate_config(old.type, changes["config"], previous=old.config)
                )
            if "triggers" in changes:
                new = replace(new, triggers=validate_triggers(changes["triggers"]))
            if changes.get("enabled") is not None:
                new = replace(new, enabled=bool(changes["enabled"]))
            new = replace(new, updated_at=self._now())
            await uow.notification_channels.update(new)
            await audit(
                uow,
                principal,
                new.updated_at,
                entity="notification_channel",
                entity_id=channel_id,
                action="update",
                project_id=project_id,
                environment_id=new.environment_id,
                old=_audit_form(old),
                new=_audit_form(new),
            )
        return new

    async def delete_channel(self, principal: Principal, project_id: str, channel_id: str) -> None:
        require(principal, project_id, "project.manage")
        async with self._storage.unit_of_work() as uow:
            old = await self._channel(uow, principal, project_id, channel_id)
            await uow.notification_channels.delete(channel_id)
            await audit(
                uow,
                principal,
                self._now(),
                entity="notification_channel",
                entity_id=channel_id,
                action="delete",
                project_id=project_id,
                environment_id=old.environment_id,
                old=_audit_form(old),
            )

    async def send_test(
        self, principal: Principal, project_id: str, channel_id: str
    ) -> OutboxMessage:
        """Queue a test message and try it at once (no retries); the answer says how it went."""
        require(principal, project_id, "project.manage")
        now = self._now()
        message_id = new_id()
        async with self._storage.unit_of_work() as uow:
            channel = await self._channel(uow, principal, project_id, channel_id)
            project = await uow.projects.get(project_id)
            payload = {
                "trigger": TEST,
                "project": {"id": project_id, "name": project.name},
                "environment": {"id": channel.environment_id, "key": channel.environment_key}
                if channel.environment_id
                else None,
                "feature": {"id": None, "key": "test_feature", "name": "Test Feature"},
                "data": {
                    "by": principal.username,
                    "summary": "If you can read this, the channel works.",
                },
                "occurred_at": now.isoformat().replace("+00:00", "Z"),
            }
            await uow.outbox.enqueue(
                id=message_id,
                channel_id=channel.id,
                project_id=project_id,
                trigger=TEST,
                payload=payload,
                dedup_key=f"test:{message_id}",
                now=now,
            )
            message = await uow.outbox.get(message_id)
            await audit(
                uow,
                principal,
                now,
                entity="notification_channel",
                entity_id=channel_id,
                action="test",
                project_id=project_id,
                environment_id=channel.environment_id,
            )
        result = await self._outbox.attempt(message, claim=True, retry=False)
        if result is None:  # a background worker picked it up first; report what it recorded
            async with self._storage.unit_of_work() as uow:
                result = await uow.outbox.get(message_id)
        return result

    async def list_messages(
        self,
        principal: Principal,
        project_id: str,
        *,
        channel_id: str | None,
        status: str | None,
        page: int,
        per_page: int,
    ) -> Page[OutboxMessage]:
        if not principal.can(project_id, "project.view"):
            raise NotFoundError("project", project_id)
        if status is not None and status not in ("pending", "sent", "failed"):
            raise InvalidInputError("status: pending, sent or failed")
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            items, total = await uow.outbox.list(
                project_id,
                channel_id=channel_id,
                status=status,
                offset=offset_of(page, per_page),
                limit=per_page,
            )
        return Page(items, total, page, per_page)

    # --- in-app inbox -----------------------------------------------------------------------------
    @staticmethod
    def _user(principal: Principal) -> str:
        if principal.user_id is None:
            raise PermissionDeniedError("notifications belong to signed-in users")
        return principal.user_id

    async def inbox(
        self, principal: Principal, *, unread_only: bool, page: int, per_page: int
    ) -> Inbox:
        user_id = self._user(principal)
        async with self._storage.unit_of_work() as uow:
            items, total, unread = await uow.user_notifications.list(
                user_id, unread_only=unread_only, offset=offset_of(page, per_page), limit=per_page
            )
        return Inbox(items, total, unread, page, per_page)

    async def mark_read(self, principal: Principal, notification_id: str) -> UserNotification:
        user_id = self._user(principal)
        async with self._storage.unit_of_work() as uow:
            found: UserNotification = await uow.user_notifications.mark_read(
                user_id, notification_id, self._now()
            )
        return found

    async def mark_all_read(self, principal: Principal) -> int:
        user_id = self._user(principal)
        async with self._storage.unit_of_work() as uow:
            count: int = await uow.user_notifications.mark_all_read(user_id, self._now())
        return count
