"""Notification channels, the delivery outbox, and in-app user notifications."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.errors import NotFoundError
from togglr.domain.notifications import Channel, OutboxMessage, UserNotification
from togglr.storage.sql import tables as t
from togglr.storage.sql import tables_governance as g
from togglr.storage.sql.errors import translate_integrity

_C = g.notification_channels
_O = g.notification_outbox
_U = g.user_notifications


def _insert(conn: AsyncConnection, table: sa.Table) -> Any:
    return postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)


def _channel(row: Any) -> Channel:
    return Channel(
        id=row.id,
        project_id=row.project_id,
        environment_id=row.environment_id,
        environment_key=row.environment_key,
        name=row.name,
        type=row.type,
        config=dict(row.config or {}),
        triggers=tuple(row.triggers or ()),
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlChannelRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    def _select(self) -> Any:
        return sa.select(_C, t.environments.c.key.label("environment_key")).outerjoin(
            t.environments, t.environments.c.id == _C.c.environment_id
        )

    async def add(self, c: Channel) -> None:
        with translate_integrity("project or environment"):
            await self._conn.execute(
                _C.insert().values(
                    id=c.id,
                    project_id=c.project_id,
                    environment_id=c.environment_id,
                    name=c.name,
                    type=c.type,
                    config=c.config,
                    triggers=list(c.triggers),
                    enabled=c.enabled,
                    created_at=c.created_at,
                    updated_at=c.updated_at,
                )
            )

    async def update(self, c: Channel) -> None:
        await self._conn.execute(
            _C.update()
            .where(_C.c.id == c.id)
            .values(
                environment_id=c.environment_id,
                name=c.name,
                config=c.config,
                triggers=list(c.triggers),
                enabled=c.enabled,
                updated_at=c.updated_at,
            )
        )

    async def delete(self, channel_id: str) -> None:
        await self._conn.execute(_C.delete().where(_C.c.id == channel_id))

    async def get(self, channel_id: str) -> Channel:
        row = (await self._conn.execute(self._select().where(_C.c.id == channel_id))).first()
        if row is None:
            raise NotFoundError("notification channel", channel_id)
        return _channel(row)

    async def list(self, project_id: str, *, environment_id: str | None = None) -> list[Channel]:
        cond: list[Any] = [_C.c.project_id == project_id]
        if environment_id is not None:
            cond.append(
                sa.or_(_C.c.environment_id == environment_id, _C.c.environment_id.is_(None))
            )
        rows = await self._conn.execute(
            self._select().where(*cond).order_by(_C.c.created_at, _C.c.id)
        )
        return [_channel(r) for r in rows]


def _message(row: Any) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        channel_id=row.channel_id,
        project_id=row.project_id,
        trigger=row.trigger,
        payload=dict(row.payload or {}),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


class SqlOutboxRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def enqueue(
        self,
        *,
        id: str,
        channel_id: str,
        project_id: str,
        trigger: str,
        payload: dict[str, Any],
        dedup_key: str,
        now: datetime,
    ) -> bool:
        """Queue one message; False when this event was already queued for the channel."""
        stmt = (
            _insert(self._conn, _O)
            .values(
                id=id,
                channel_id=channel_id,
                project_id=project_id,
                trigger=trigger,
                payload=payload,
                dedup_key=dedup_key[:100],
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            .on_conflict_do_nothing()
        )
        with translate_integrity("notification channel"):
            result = await self._conn.execute(stmt)
        return bool(result.rowcount)

    async def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        rows = await self._conn.execute(
            _O.select()
            .where(
                _O.c.status == "pending",
                _O.c.next_attempt_at <= now,
                sa.or_(_O.c.locked_until.is_(None), _O.c.locked_until < now),
            )
            .order_by(_O.c.next_attempt_at, _O.c.created_at)
            .limit(limit)
        )
        return [_message(r) for r in rows]

    async def next_due_at(self) -> datetime | None:
        value = (
            await self._conn.execute(
                sa.select(sa.func.min(_O.c.next_attempt_at)).where(_O.c.status == "pending")
            )
        ).scalar_one()
        if isinstance(value, str):  # SQLite aggregates bypass the column type
            value = datetime.fromisoformat(value)
        return t.UtcDateTime().process_result_value(value, self._conn.dialect)

    async def claim(self, message_id: str, now: datetime, until: datetime) -> bool:
        """Take a message for delivery; False when another worker holds it."""
        result = await self._conn.execute(
            _O.update()
            .where(
                _O.c.id == message_id,
                _O.c.status == "pending",
                sa.or_(_O.c.locked_until.is_(None), _O.c.locked_until < now),
            )
            .values(locked_until=until)
        )
        return bool(result.rowcount)

    async def mark_sent(self, message_id: str, attempts: int, now: datetime) -> None:
        await self._conn.execute(
            _O.update()
            .where(_O.c.id == message_id)
            .values(
                status="sent",
                attempts=attempts,
                sent_at=now,
                locked_until=None,
                last_error=None,
                next_attempt_at=None,
            )
        )

    async def mark_failed(
        self, message_id: str, attempts: int, error: str, retry_at: datetime | None
    ) -> None:
        """Record a failed try; `retry_at` None means give up (status failed)."""
        await self._conn.execute(
            _O.update()
            .where(_O.c.id == message_id)
            .values(
                status="pending" if retry_at else "failed",
                attempts=attempts,
                last_error=error[:500],
                next_attempt_at=retry_at,
                locked_until=None,
            )
        )

    async def get(self, message_id: str) -> OutboxMessage:
        row = (await self._conn.execute(_O.select().where(_O.c.id == message_id))).first()
        if row is None:
            raise NotFoundError("notification message", message_id)
        return _message(row)

    async def list(
        self,
        project_id: str,
        *,
        channel_id: str | None = None,
        status: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[OutboxMessage], int]:
        cond: list[Any] = [_O.c.project_id == project_id]
        if channel_id is not None:
            cond.append(_O.c.channel_id == channel_id)
        if status is not None:
            cond.append(_O.c.status == status)
        where = sa.and_(*cond)
        total = (
            await self._conn.execute(sa.select(sa.func.count()).select_from(_O).where(where))
        ).scalar_one()
        rows = await self._conn.execute(
            _O.select()
            .where(where)
            .order_by(_O.c.created_at.desc(), _O.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [_message(r) for r in rows], int(total)


def _user_notification(row: Any) -> UserNotification:
    return UserNotification(
        id=row.id,
        user_id=row.user_id,
        project_id=row.project_id,
        type=row.type,
        title=row.title,
        body=row.body,
        data=dict(row.data or {}),
        created_at=row.created_at,
        read_at=row.read_at,
    )


class SqlUserNotificationRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, n: UserNotification, dedup_key: str) -> bool:
        """Store one notification; False when the same event already notified this user."""
        stmt = (
            _insert(self._conn, _U)
            .values(
                id=n.id,
                user_id=n.user_id,
                project_id=n.project_id,
                type=n.type,
                title=n.title[:200],
                body=n.body[:1000],
                data=n.data,
                dedup_key=dedup_key[:100],
                created_at=n.created_at,
            )
            .on_conflict_do_nothing()
        )
        with translate_integrity("user or project"):
            result = await self._conn.execute(stmt)
        return bool(result.rowcount)

    async def list(
        self, user_id: str, *, unread_only: bool = False, offset: int = 0, limit: int = 50
    ) -> tuple[list[UserNotification], int, int]:
        """(page, total matching, unread count)."""
        cond: list[Any] = [_U.c.user_id == user_id]
        if unread_only:
            cond.append(_U.c.read_at.is_(None))
        count = sa.select(sa.func.count()).select_from(_U)
        total = (await self._conn.execute(count.where(*cond))).scalar_one()
        unread = (
            await self._conn.execute(count.where(_U.c.user_id == user_id, _U.c.read_at.is_(None)))
        ).scalar_one()
        rows = await self._conn.execute(
            _U.select()
            .where(*cond)
            .order_by(_U.c.created_at.desc(), _U.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [_user_notification(r) for r in rows], int(total), int(unread)

    async def mark_read(
        self, user_id: str, notification_id: str, now: datetime
    ) -> UserNotification:
        row = (
            await self._conn.execute(
                _U.select().where(_U.c.id == notification_id, _U.c.user_id == user_id)
            )
        ).first()
        if row is None:
            raise NotFoundError("notification", notification_id)
        if row.read_at is None:
            await self._conn.execute(
                _U.update().where(_U.c.id == notification_id).values(read_at=now)
            )
        found = _user_notification(row)
        return replace(found, read_at=found.read_at or now)

    async def mark_all_read(self, user_id: str, now: datetime) -> int:
        result = await self._conn.execute(
            _U.update().where(_U.c.user_id == user_id, _U.c.read_at.is_(None)).values(read_at=now)
        )
        return int(result.rowcount or 0)
