"""Read models for feature health (error reports, feedback volume) and the auto-disable record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.health import AutoDisableRecord
from togglr.storage.sql import tables as t
from togglr.storage.sql import tables_governance as g
from togglr.storage.sql.errors import translate_integrity


def _ts(value: Any, conn: AsyncConnection) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite aggregates bypass the column type
        value = datetime.fromisoformat(value)
    return t.UtcDateTime().process_result_value(value, conn.dialect)


def _record(row: Any) -> AutoDisableRecord:
    return AutoDisableRecord(
        id=row.id,
        project_id=row.project_id,
        environment_id=row.environment_id,
        feature_id=row.feature_id,
        outcome=row.outcome,
        pending_change_id=row.pending_change_id,
        reason=row.reason,
        errors=row.errors,
        created_at=row.created_at,
    )


class SqlHealthRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def outcomes_since(self, feature_id: str, environment_id: str, since: datetime) -> int:
        """Tracked feedback events received since `since` (the denominator of the error share)."""
        c = t.feedback_events.c
        return int(
            (
                await self._conn.execute(
                    sa.select(sa.func.count())
                    .select_from(t.feedback_events)
                    .where(
                        c.feature_id == feature_id,
                        c.environment_id == environment_id,
                        c.received_at >= since,
                    )
                )
            ).scalar_one()
        )

    async def error_stats(
        self, project_id: str, since: datetime
    ) -> dict[tuple[str, str], tuple[int, datetime | None]]:
        """(feature_id, environment_id) -> (errors since `since`, latest error time)."""
        c = t.error_reports.c
        rows = await self._conn.execute(
            sa.select(c.feature_id, c.environment_id, sa.func.count(), sa.func.max(c.created_at))
            .where(c.project_id == project_id, c.created_at >= since)
            .group_by(c.feature_id, c.environment_id)
        )
        return {(r[0], r[1]): (int(r[2]), _ts(r[3], self._conn)) for r in rows}

    async def add_auto_disable(self, record: AutoDisableRecord) -> None:
        with translate_integrity("feature"):
            await self._conn.execute(
                g.auto_disable_events.insert().values(
                    id=record.id,
                    project_id=record.project_id,
                    environment_id=record.environment_id,
                    feature_id=record.feature_id,
                    outcome=record.outcome,
                    pending_change_id=record.pending_change_id,
                    reason=record.reason[:500],
                    errors=record.errors,
                    created_at=record.created_at,
                )
            )

    async def last_auto_disable(
        self, feature_id: str, environment_id: str
    ) -> AutoDisableRecord | None:
        a = g.auto_disable_events.c
        row = (
            await self._conn.execute(
                g.auto_disable_events.select()
                .where(a.feature_id == feature_id, a.environment_id == environment_id)
                .order_by(a.created_at.desc())
                .limit(1)
            )
        ).first()
        return _record(row) if row else None

    async def auto_disables_since(
        self, project_id: str, since: datetime
    ) -> list[AutoDisableRecord]:
        a = g.auto_disable_events.c
        rows = await self._conn.execute(
            g.auto_disable_events.select()
            .where(a.project_id == project_id, a.created_at >= since)
            .order_by(a.created_at.desc())
        )
        return [_record(r) for r in rows]
