"""SDK feedback events and error reports: append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.feedback import FeedbackEvent
from togglr.storage.sql import tables as t


class SqlEventRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    def _insert(self, table: sa.Table) -> Any:
        if self._conn.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    async def add_feedback(self, rows: list[FeedbackEvent]) -> list[bool]:
        """Insert events; an event whose dedup_key was seen before is skipped. Returns inserted flags."""
        inserted: list[bool] = []
        for row in rows:
            stmt = self._insert(t.feedback_events).values(**_as_dict(row))
            stmt = stmt.on_conflict_do_nothing()
            result = await self._conn.execute(stmt)
            inserted.append(bool(result.rowcount))
        return inserted

    async def add_error_report(
        self,
        *,
        project_id: str,
        environment_id: str,
        feature_id: str,
        error_type: str,
        error_message: str,
        context: dict[str, Any] | None,
        created_at: datetime,
    ) -> None:
        await self._conn.execute(
            t.error_reports.insert().values(
                project_id=project_id,
                environment_id=environment_id,
                feature_id=feature_id,
                error_type=error_type,
                error_message=error_message,
                context=context,
                created_at=created_at,
            )
        )

    async def count_errors(self, feature_id: str, environment_id: str, since: datetime) -> int:
        c = t.error_reports.c
        return int(
            (
                await self._conn.execute(
                    sa.select(sa.func.count())
                    .select_from(t.error_reports)
                    .where(
                        c.feature_id == feature_id,
                        c.environment_id == environment_id,
                        c.created_at >= since,
                    )
                )
            ).scalar_one()
        )

    async def last_error_at(self, feature_id: str, environment_id: str) -> datetime | None:
        c = t.error_reports.c
        value = (
            await self._conn.execute(
                sa.select(sa.func.max(c.created_at)).where(
                    c.feature_id == feature_id, c.environment_id == environment_id
                )
            )
        ).scalar_one()
        if value is None:
            return None
        if isinstance(value, str):  # SQLite aggregate results bypass the column type
            value = datetime.fromisoformat(value)
        return t.UtcDateTime().process_result_value(value, self._conn.dialect)

    async def count_feedback(self, feature_id: str, environment_id: str) -> int:
        c = t.feedback_events.c
        return int(
            (
                await self._conn.execute(
                    sa.select(sa.func.count())
                    .select_from(t.feedback_events)
                    .where(c.feature_id == feature_id, c.environment_id == environment_id)
                )
            ).scalar_one()
        )


def _as_dict(row: FeedbackEvent) -> dict[str, Any]:
    return {f: getattr(row, f) for f in FeedbackEvent.__dataclass_fields__}
