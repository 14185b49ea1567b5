"""Segments."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.errors import NotFoundError
from togglr.domain.segments import Segment
from togglr.storage.sql import tables as t
from togglr.storage.sql.errors import translate_integrity


def _segment(row: Any) -> Segment:
    return Segment(
        id=row.id,
        project_id=row.project_id,
        name=row.name,
        description=row.description,
        condition=row.condition,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlSegmentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, segment: Segment) -> None:
        with translate_integrity(f"segment {segment.name!r}"):
            await self._conn.execute(
                t.segments.insert().values(
                    id=segment.id,
                    project_id=segment.project_id,
                    name=segment.name,
                    description=segment.description,
                    condition=segment.condition,
                    created_at=segment.created_at,
                    updated_at=segment.updated_at,
                )
            )

    async def update(self, segment: Segment) -> None:
        with translate_integrity(f"segment {segment.name!r}"):
            await self._conn.execute(
                t.segments.update()
                .where(t.segments.c.id == segment.id)
                .values(
                    name=segment.name,
                    description=segment.description,
                    condition=segment.condition,
                    updated_at=segment.updated_at,
                )
            )

    async def delete(self, segment_id: str) -> None:
        await self._conn.execute(t.segments.delete().where(t.segments.c.id == segment_id))

    async def get(self, segment_id: str) -> Segment:
        row = (
            await self._conn.execute(t.segments.select().where(t.segments.c.id == segment_id))
        ).first()
        if row is None:
            raise NotFoundError("segment", segment_id)
        return _segment(row)

    async def list(
        self, project_id: str, *, search: str | None, offset: int, limit: int
    ) -> tuple[list[Segment], int]:
        where = sa.and_(
            t.segments.c.project_id == project_id,
            *([t.segments.c.name.ilike(f"%{search}%")] if search else []),
        )
        total = (
            await self._conn.execute(
                sa.select(sa.func.count()).select_from(t.segments).where(where)
            )
        ).scalar_one()
        rows = await self._conn.execute(
            t.segments.select().where(where).order_by(t.segments.c.name).offset(offset).limit(limit)
        )
        return [_segment(r) for r in rows], int(total)
