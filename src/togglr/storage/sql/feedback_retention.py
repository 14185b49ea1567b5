"""Retention of raw feedback events: daily partitions on PostgreSQL, batched deletes elsewhere
(docs/adr/0011-feedback-storage.md)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.storage.sql import tables as t


def _ts(conn: AsyncConnection, value: Any) -> datetime | None:
    """A timestamp from an aggregate (SQLite returns aggregates as text, bypassing the type)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return t.UtcDateTime().process_result_value(value, conn.dialect)


class SqlFeedbackRetentionRepository:
    """Keeps raw feedback events for a limited time.

    PostgreSQL (native partitioning): daily partitions are created ahead and dropped whole once
    they are past the retention; TimescaleDB: chunks are dropped; SQLite and a plain table: rows
    are deleted in batches. The dedup keys of a partitioned table expire with the same cutoff.
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def mode(self) -> str:
        """partitioned | timescaledb | plain."""
        if self._conn.dialect.name != "postgresql":
            return "plain"
        partitioned = (
            await self._conn.exec_driver_sql(
                "SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'feedback_events'::regclass"
            )
        ).first()
        if partitioned is not None:
            return "partitioned"
        hyper = (
            await self._conn.exec_driver_sql(
                "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'"
            )
        ).first()
        return "timescaledb" if hyper is not None else "plain"

    async def ensure_partitions(self, days: Iterable[date]) -> None:
        for day in days:
            await self._conn.execute(
                sa.text("SELECT togglr_feedback_partition(:day)"), {"day": day}
            )

    async def partitions(self) -> list[str]:
        rows = await self._conn.exec_driver_sql(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'feedback_events'::regclass ORDER BY c.relname"
        )
        return [r[0] for r in rows]

    async def purge(self, cutoff: datetime, mode: str) -> int:
        """Remove raw events received before `cutoff`; returns partitions or rows removed."""
        if mode == "partitioned":
            removed = 0
            for name in await self.partitions():
                day = _partition_day(name)
                # a daily partition goes once its whole day is past the cutoff
                if day is not None and day < cutoff.date():
                    await self._conn.exec_driver_sql(f'DROP TABLE "{name}"')
                    removed += 1
            await self._conn.execute(
                sa.text("DELETE FROM feedback_events_default WHERE received_at < :cutoff"),
                {"cutoff": cutoff},
            )
            await self._conn.execute(
                sa.text("DELETE FROM feedback_dedup WHERE received_at < :cutoff"),
                {"cutoff": cutoff},
            )
            return removed
        if mode == "timescaledb":
            await self._conn.execute(
                sa.text("SELECT drop_chunks('feedback_events', older_than => :cutoff)"),
                {"cutoff": cutoff},
            )
            await self._conn.execute(
                sa.text("DELETE FROM feedback_dedup WHERE received_at < :cutoff"),
                {"cutoff": cutoff},
            )
            return 0
        fe = t.feedback_events
        old = sa.select(fe.c.id).where(fe.c.received_at < cutoff).limit(10_000).scalar_subquery()
        result = await self._conn.execute(fe.delete().where(fe.c.id.in_(old)))
        return int(result.rowcount or 0)

    async def oldest(self) -> datetime | None:
        fe = t.feedback_events
        value = (await self._conn.execute(sa.select(sa.func.min(fe.c.received_at)))).scalar_one()
        return _ts(self._conn, value)


def _partition_day(name: str) -> date | None:
    prefix = "feedback_events_p"
    if not name.startswith(prefix):
        return None
    try:
        return datetime.strptime(name[len(prefix) :], "%Y%m%d").date()
    except ValueError:
        return None
