"""The write-ahead journal of accepted feedback, and the leases of the nodes that write it
(docs/adr/0011-feedback-storage.md)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.experiments import JournalEntry
from togglr.storage.sql import tables_experiments as x

_J = x.feedback_journal
_N = x.experiment_nodes
CHUNK = 500  # ids per IN (...) list


class SqlFeedbackJournalRepository:
    """The write-ahead journal of accepted feedback and the leases of the nodes that wrote it."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        attachment_id: str,
        node: str,
        variant_key: str | None,
        event_type: str,
        reward: float,
        context: dict[str, Any] | None,
        received_at: datetime,
    ) -> int:
        result = await self._conn.execute(
            _J.insert()
            .values(
                attachment_id=attachment_id,
                node=node,
                variant_key=variant_key,
                event_type=event_type,
                reward=reward,
                context=context,
                received_at=received_at,
            )
            .returning(_J.c.id)
        )
        return int(result.scalar_one())

    async def delete(self, ids: Iterable[int]) -> int:
        ids = list(ids)
        removed = 0
        for i in range(0, len(ids), CHUNK):
            result = await self._conn.execute(_J.delete().where(_J.c.id.in_(ids[i : i + CHUNK])))
            removed += result.rowcount or 0
        return removed

    async def entries(
        self,
        *,
        nodes: Iterable[str] | None = None,
        ids: Iterable[int] | None = None,
        older_than: datetime | None = None,
        limit: int = 5000,
    ) -> list[JournalEntry]:
        """Journal rows written by the given nodes (or with the given ids), oldest first."""
        if ids is not None:
            wanted = list(ids)
            out: list[JournalEntry] = []
            for i in range(0, len(wanted), CHUNK):
                out += await self._select([_J.c.id.in_(wanted[i : i + CHUNK])], CHUNK)
            return sorted(out, key=lambda e: e.id)
        cond: list[Any] = [_J.c.node.in_(list(nodes or ()))]
        if older_than is not None:
            cond.append(_J.c.received_at < older_than)
        return await self._select(cond, limit)

    async def _select(self, cond: list[Any], limit: int) -> list[JournalEntry]:
        rows = await self._conn.execute(_J.select().where(*cond).order_by(_J.c.id).limit(limit))
        return [
            JournalEntry(
                id=int(r.id),
                attachment_id=r.attachment_id,
                node=r.node,
                variant_key=r.variant_key,
                event_type=r.event_type,
                reward=float(r.reward),
                context=r.context,
                received_at=r.received_at,
            )
            for r in rows
        ]

    async def orphan_nodes(self) -> list[str]:
        """Nodes that left journal rows but hold no lease (stopped, crashed, or claimed)."""
        rows = await self._conn.execute(
            sa.select(_J.c.node).distinct().where(~sa.exists().where(_N.c.node == _J.c.node))
        )
        return [r.node for r in rows]

    # --- leases ----------------------------------------------------------------------------
    async def register(self, node: str, now: datetime) -> None:
        await self._conn.execute(_N.insert().values(node=node, started_at=now, seen_at=now))

    async def renew(self, node: str, now: datetime) -> bool:
        """Extend this node's lease; False when it was lost (another node claimed it)."""
        result = await self._conn.execute(_N.update().where(_N.c.node == node).values(seen_at=now))
        return bool(result.rowcount)

    async def expired(self, cutoff: datetime) -> list[str]:
        rows = await self._conn.execute(sa.select(_N.c.node).where(_N.c.seen_at < cutoff))
        return [r.node for r in rows]

    async def nodes_like(self, prefix: str) -> list[str]:
        rows = await self._conn.execute(
            sa.select(_N.c.node).where(_N.c.node.startswith(prefix, autoescape=True))
        )
        return [r.node for r in rows]

    async def release(self, node: str, *, seen_before: datetime | None = None) -> bool:
        """Drop a lease (a claim when `seen_before` is given: only if still expired)."""
        cond: list[Any] = [_N.c.node == node]
        if seen_before is not None:
            cond.append(_N.c.seen_at < seen_before)
        result = await self._conn.execute(_N.delete().where(*cond))
        return bool(result.rowcount)
