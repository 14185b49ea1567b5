"""Feature schedules and the record of the transitions they caused."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.errors import NotFoundError
from togglr.domain.feature_schedules import Schedule
from togglr.storage.sql import tables_governance as g
from togglr.storage.sql.errors import translate_integrity

_S = g.feature_schedules
_MARK = "transitions"


def _schedule(row: Any) -> Schedule:
    return Schedule(
        id=row.id,
        project_id=row.project_id,
        feature_id=row.feature_id,
        environment_id=row.environment_id,
        action=row.action,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        cron=row.cron,
        duration_seconds=row.duration_seconds,
        timezone=row.timezone,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _values(s: Schedule) -> dict[str, Any]:
    return {
        "action": s.action,
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "cron": s.cron,
        "duration_seconds": s.duration_seconds,
        "timezone": s.timezone,
        "updated_at": s.updated_at,
    }


class SqlScheduleRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, s: Schedule) -> None:
        with translate_integrity("feature or environment"):
            await self._conn.execute(
                _S.insert().values(
                    id=s.id,
                    project_id=s.project_id,
                    feature_id=s.feature_id,
                    environment_id=s.environment_id,
                    created_by=s.created_by,
                    created_at=s.created_at,
                    **_values(s),
                )
            )

    async def update(self, s: Schedule) -> None:
        await self._conn.execute(_S.update().where(_S.c.id == s.id).values(**_values(s)))

    async def delete(self, schedule_id: str) -> None:
        await self._conn.execute(_S.delete().where(_S.c.id == schedule_id))

    async def find(self, schedule_id: str) -> Schedule | None:
        row = (await self._conn.execute(_S.select().where(_S.c.id == schedule_id))).first()
        return _schedule(row) if row else None

    async def get(self, schedule_id: str) -> Schedule:
        found = await self.find(schedule_id)
        if found is None:
            raise NotFoundError("schedule", schedule_id)
        return found

    async def list(
        self,
        *,
        feature_ids: list[str] | None = None,
        environment_id: str | None = None,
        project_id: str | None = None,
    ) -> list[Schedule]:
        cond: list[Any] = []
        if feature_ids is not None:
            cond.append(_S.c.feature_id.in_(feature_ids))
        if environment_id is not None:
            cond.append(_S.c.environment_id == environment_id)
        if project_id is not None:
            cond.append(_S.c.project_id == project_id)
        rows = await self._conn.execute(
            _S.select().where(sa.and_(sa.true(), *cond)).order_by(_S.c.created_at, _S.c.id)
        )
        return [_schedule(r) for r in rows]

    async def record_transition(
        self, feature_id: str, environment_id: str, at: datetime, enabled: bool, now: datetime
    ) -> bool:
        """Store one transition; False when it was already recorded (by this or another node)."""
        table = g.schedule_transitions
        insert = (
            postgresql.insert(table)
            if self._conn.dialect.name == "postgresql"
            else sqlite.insert(table)
        )
        stmt = insert.values(
            feature_id=feature_id,
            environment_id=environment_id,
            at=at,
            enabled=enabled,
            recorded_at=now,
        ).on_conflict_do_nothing()
        with translate_integrity("feature or environment"):
            result = await self._conn.execute(stmt)
        return bool(result.rowcount)

    async def checked_until(self) -> datetime | None:
        """The instant up to which some node has recorded every transition, if any ever ran."""
        c = g.scheduler_marks.c
        return await self._conn.scalar(sa.select(c.checked_until).where(c.name == _MARK))

    async def advance_checked_until(self, at: datetime) -> None:
        """Move the mark forward to `at` (never back: another node may be ahead)."""
        c = g.scheduler_marks.c
        insert = (
            postgresql.insert(g.scheduler_marks)
            if self._conn.dialect.name == "postgresql"
            else sqlite.insert(g.scheduler_marks)
        )
        await self._conn.execute(
            insert.values(name=_MARK, checked_until=at).on_conflict_do_nothing()
        )
        await self._conn.execute(
            g.scheduler_marks.update()
            .where(c.name == _MARK, c.checked_until < at)
            .values(checked_until=at)
        )
