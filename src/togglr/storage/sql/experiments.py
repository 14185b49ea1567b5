"""Experiments storage: attachments with their shared state, and the per-minute rollups.

The feedback journal and the retention of raw events live beside this module; they are
re-exported here so the unit of work finds every experiments repository in one place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.errors import NotFoundError
from togglr.domain.experiments import Attachment, RollupPoint, StoredState
from togglr.storage.sql import tables_experiments as x
from togglr.storage.sql.errors import translate_integrity
from togglr.storage.sql.feedback_journal import SqlFeedbackJournalRepository
from togglr.storage.sql.feedback_retention import SqlFeedbackRetentionRepository

__all__ = [
    "SqlExperimentRepository",
    "SqlFeedbackJournalRepository",
    "SqlFeedbackRetentionRepository",
    "SqlRollupRepository",
]

_A = x.feature_algorithms
_S = x.algorithm_states
_R = x.feedback_rollups
CHUNK = 500  # ids per IN (...) list


def _insert(conn: AsyncConnection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _attachment(row: Any) -> Attachment:
    return Attachment(
        id=row.id,
        project_id=row.project_id,
        environment_id=row.environment_id,
        feature_id=row.feature_id,
        algorithm=row.algorithm,
        settings=dict(row.settings or {}),
        enabled=bool(row.enabled),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        detached_at=row.detached_at,
    )


class SqlExperimentRepository:
    """Attachments (current and past) and their shared algorithm state."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, a: Attachment, state: Mapping[str, Any]) -> None:
        """Insert an attachment together with its initial shared state (version 1)."""
        with translate_integrity("algorithm attachment"):
            await self._conn.execute(
                _A.insert().values(
                    id=a.id,
                    project_id=a.project_id,
                    environment_id=a.environment_id,
                    feature_id=a.feature_id,
                    algorithm=a.algorithm,
                    settings=a.settings,
                    enabled=a.enabled,
                    created_by=a.created_by,
                    created_at=a.created_at,
                    updated_at=a.updated_at,
                    detached_at=a.detached_at,
                )
            )
            await self._conn.execute(
                _S.insert().values(
                    attachment_id=a.id, state=dict(state), version=1, updated_at=a.created_at
                )
            )

    async def update(self, a: Attachment) -> None:
        await self._conn.execute(
            _A.update()
            .where(_A.c.id == a.id)
            .values(settings=a.settings, enabled=a.enabled, updated_at=a.updated_at)
        )

    async def detach(self, attachment_id: str, now: datetime) -> None:
        await self._conn.execute(
            _A.update().where(_A.c.id == attachment_id).values(detached_at=now, updated_at=now)
        )

    async def find(self, attachment_id: str) -> Attachment | None:
        row = (await self._conn.execute(_A.select().where(_A.c.id == attachment_id))).first()
        return _attachment(row) if row else None

    async def get(self, attachment_id: str) -> Attachment:
        found = await self.find(attachment_id)
        if found is None:
            raise NotFoundError("algorithm attachment", attachment_id)
        return found

    async def find_current(self, feature_id: str, environment_id: str) -> Attachment | None:
        row = (
            await self._conn.execute(
                _A.select().where(
                    _A.c.feature_id == feature_id,
                    _A.c.environment_id == environment_id,
                    _A.c.detached_at.is_(None),
                )
            )
        ).first()
        return _attachment(row) if row else None

    async def history(self, feature_id: str, environment_id: str) -> list[Attachment]:
        """Every attachment of the feature in the environment, newest first."""
        rows = await self._conn.execute(
            _A.select()
            .where(_A.c.feature_id == feature_id, _A.c.environment_id == environment_id)
            .order_by(_A.c.created_at.desc(), _A.c.id)
        )
        return [_attachment(r) for r in rows]

    async def list_current(
        self,
        *,
        environment_id: str | None = None,
        feature_ids: Iterable[str] | None = None,
        enabled_only: bool = False,
    ) -> list[Attachment]:
        cond: list[Any] = [_A.c.detached_at.is_(None)]
        if environment_id is not None:
            cond.append(_A.c.environment_id == environment_id)
        if feature_ids is not None:
            cond.append(_A.c.feature_id.in_(list(feature_ids)))
        if enabled_only:
            cond.append(_A.c.enabled.is_(True))
        rows = await self._conn.execute(_A.select().where(*cond).order_by(_A.c.created_at))
        return [_attachment(r) for r in rows]

    # --- shared state ----------------------------------------------------------------------
    async def get_state(self, attachment_id: str) -> StoredState:
        row = (
            await self._conn.execute(_S.select().where(_S.c.attachment_id == attachment_id))
        ).first()
        if row is None:
            raise NotFoundError("algorithm state", attachment_id)
        return StoredState(row.attachment_id, dict(row.state), int(row.version), row.updated_at)

    async def versions(self, attachment_ids: Iterable[str]) -> dict[str, int]:
        ids = list(attachment_ids)
        out: dict[str, int] = {}
        for i in range(0, len(ids), CHUNK):
            rows = await self._conn.execute(
                sa.select(_S.c.attachment_id, _S.c.version).where(
                    _S.c.attachment_id.in_(ids[i : i + CHUNK])
                )
            )
            out.update({r.attachment_id: int(r.version) for r in rows})
        return out

    async def save_state(
        self, attachment_id: str, state: Mapping[str, Any], expected_version: int, now: datetime
    ) -> bool:
        """Write the state if nobody else did since `expected_version` was read (optimistic)."""
        result = await self._conn.execute(
            _S.update()
            .where(_S.c.attachment_id == attachment_id, _S.c.version == expected_version)
            .values(state=dict(state), version=expected_version + 1, updated_at=now)
        )
        return bool(result.rowcount)


class SqlRollupRepository:
    """Per-minute counts and reward sums by variant and event type."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self,
        attachment_id: str,
        increments: Mapping[tuple[datetime, str, str], tuple[int, float]],
    ) -> None:
        """Add (count, reward sum) to each (minute, variant, event type) bucket."""
        if not increments:
            return
        rows = [
            {
                "attachment_id": attachment_id,
                "minute": minute,
                "variant": variant,
                "event_type": event_type,
                "count": n,
                "reward_sum": reward,
            }
            for (minute, variant, event_type), (n, reward) in sorted(increments.items())
        ]
        stmt = _insert(self._conn, _R)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_R.c.attachment_id, _R.c.minute, _R.c.variant, _R.c.event_type],
            set_={
                "count": _R.c.count + stmt.excluded.count,
                "reward_sum": _R.c.reward_sum + stmt.excluded.reward_sum,
            },
        )
        for i in range(0, len(rows), CHUNK):
            await self._conn.execute(stmt, rows[i : i + CHUNK])

    async def series(
        self, attachment_id: str, since: datetime, until: datetime
    ) -> list[RollupPoint]:
        rows = await self._conn.execute(
            _R.select()
            .where(_R.c.attachment_id == attachment_id, _R.c.minute >= since, _R.c.minute < until)
            .order_by(_R.c.minute, _R.c.variant, _R.c.event_type)
        )
        # `count` is also a tuple method of Row: read the columns by name
        return [
            RollupPoint(
                m["minute"], m["variant"], m["event_type"], int(m["count"]), float(m["reward_sum"])
            )
            for m in rows.mappings()
        ]
