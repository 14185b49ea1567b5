"""The audit log: append-only, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.audit import AuditEntry
from togglr.storage.sql import tables as t


class SqlAuditRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, entry: AuditEntry) -> None:
        await self._conn.execute(
            t.audit_log.insert().values(
                project_id=entry.project_id,
                environment_id=entry.environment_id,
                feature_id=entry.feature_id,
                entity=entry.entity,
                entity_id=entry.entity_id,
                action=entry.action,
                actor=entry.actor,
                user_id=entry.user_id,
                username=entry.username,
                request_id=entry.request_id,
                old_value=entry.old_value,
                new_value=entry.new_value,
                created_at=entry.created_at,
            )
        )

    async def list(
        self,
        project_id: str,
        *,
        feature_id: str | None = None,
        environment_id: str | None = None,
        user_id: str | None = None,
        actor: str | None = None,
        entity: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[AuditEntry], int]:
        c = t.audit_log.c
        cond: list[Any] = [c.project_id == project_id]
        for col, val in (
            (c.feature_id, feature_id),
            (c.environment_id, environment_id),
            (c.user_id, user_id),
            (c.actor, actor),
            (c.entity, entity),
        ):
            if val is not None:
                cond.append(col == val)
        if since is not None:
            cond.append(c.created_at >= since)
        if until is not None:
            cond.append(c.created_at < until)
        return await page_of_entries(self._conn, sa.and_(*cond), offset, limit)


def entry_of(r: Any) -> AuditEntry:
    return AuditEntry(
        id=r.id,
        project_id=r.project_id,
        environment_id=r.environment_id,
        feature_id=r.feature_id,
        entity=r.entity,
        entity_id=r.entity_id,
        action=r.action,
        actor=r.actor,
        user_id=r.user_id,
        username=r.username,
        request_id=r.request_id,
        old_value=r.old_value,
        new_value=r.new_value,
        created_at=r.created_at,
    )


async def page_of_entries(
    conn: AsyncConnection, where: Any, offset: int, limit: int
) -> tuple[list[AuditEntry], int]:
    """One page of audit entries matching `where`, newest first, and the total count."""
    c = t.audit_log.c
    total = (
        await conn.execute(sa.select(sa.func.count()).select_from(t.audit_log).where(where))
    ).scalar_one()
    rows = await conn.execute(
        t.audit_log.select()
        .where(where)
        .order_by(c.created_at.desc(), c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [entry_of(r) for r in rows], int(total)
