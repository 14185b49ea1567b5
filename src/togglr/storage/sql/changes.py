"""Pending changes, their approvals and the entity locks they hold."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.changes import Approval, EntityChange, PendingChange
from togglr.domain.errors import ConflictError, NotFoundError
from togglr.storage.sql import tables as t
from togglr.storage.sql import tables_governance as g

_P = g.pending_changes
_A = g.pending_change_approvals
_L = g.change_locks


class SqlChangeRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # --- locks ------------------------------------------------------------------------------
    async def lock_holders(
        self, keys: tuple[str, ...], prefix: str | None = None
    ) -> dict[str, str]:
        """lock key -> pending change id, for the given keys (and every key under `prefix`)."""
        cond: list[Any] = []
        if keys:
            cond.append(_L.c.lock_key.in_(keys))
        if prefix:
            cond.append(
                _L.c.lock_key.like(
                    prefix.replace("%", r"\%").replace("_", r"\_") + "%", escape="\\"
                )
            )
        if not cond:
            return {}
        rows = await self._conn.execute(
            sa.select(_L.c.lock_key, _L.c.pending_change_id).where(sa.or_(*cond))
        )
        return {r.lock_key: r.pending_change_id for r in rows}

    async def _lock(self, change_id: str, keys: tuple[str, ...], now: datetime) -> None:
        if not keys:
            return
        try:
            await self._conn.execute(
                _L.insert(),
                [{"lock_key": k, "pending_change_id": change_id, "created_at": now} for k in keys],
            )
        except IntegrityError as exc:  # another transaction took the lock between check and insert
            raise ConflictError(
                "the feature is locked by another pending change; try again once it is decided",
                code="locked",
            ) from exc

    async def release(self, change_id: str) -> None:
        await self._conn.execute(_L.delete().where(_L.c.pending_change_id == change_id))

    # --- writes -------------------------------------------------------------------------------
    async def add(self, c: PendingChange) -> None:
        await self._conn.execute(
            _P.insert().values(
                id=c.id,
                project_id=c.project_id,
                environment_id=c.environment_id,
                feature_id=c.feature_id,
                feature_key=c.feature_key,
                operation=c.operation,
                arguments=c.arguments,
                diff=[e.to_json() for e in c.entities],
                summary=c.summary[:500],
                origin=c.origin,
                reason=c.reason[:500],
                status=c.status,
                requested_by=c.requested_by,
                requested_by_id=c.requested_by_id,
                request_id=c.request_id,
                created_at=c.created_at,
                updated_at=c.updated_at,
            )
        )
        await self._lock(c.id, c.locks, c.created_at)

    async def update_proposal(
        self,
        change_id: str,
        arguments: dict[str, Any],
        entities: tuple[EntityChange, ...],
        summary: str,
        now: datetime,
    ) -> None:
        """Replace what the change would do; approvals given to the old version no longer count."""
        await self._conn.execute(
            _P.update()
            .where(_P.c.id == change_id)
            .values(
                arguments=arguments,
                diff=[e.to_json() for e in entities],
                summary=summary[:500],
                updated_at=now,
            )
        )
        await self._conn.execute(_A.delete().where(_A.c.pending_change_id == change_id))

    async def add_approval(self, change_id: str, approval: Approval) -> None:
        await self._conn.execute(
            _A.insert().values(
                pending_change_id=change_id,
                user_id=approval.user_id,
                username=approval.username,
                method=approval.method,
                approved_at=approval.approved_at,
            )
        )

    async def decide(
        self,
        change_id: str,
        status: str,
        *,
        by: str,
        by_id: str | None,
        reason: str | None,
        now: datetime,
    ) -> bool:
        """Move a pending change to a final status, freeing its locks; False if not pending."""
        result = await self._conn.execute(
            _P.update()
            .where(_P.c.id == change_id, _P.c.status == "pending")
            .values(
                status=status,
                decided_at=now,
                decided_by=by,
                decided_by_id=by_id,
                decision_reason=reason,
                updated_at=now,
            )
        )
        await self.release(change_id)
        return bool(result.rowcount)

    # --- reads --------------------------------------------------------------------------------
    async def _approvals(self, ids: list[str]) -> dict[str, list[Approval]]:
        out: dict[str, list[Approval]] = defaultdict(list)
        if not ids:
            return out
        rows = await self._conn.execute(
            _A.select().where(_A.c.pending_change_id.in_(ids)).order_by(_A.c.approved_at)
        )
        for r in rows:
            out[r.pending_change_id].append(
                Approval(r.user_id, r.username, r.method, r.approved_at)
            )
        return out

    async def _locks(self, ids: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        if not ids:
            return out
        for r in await self._conn.execute(_L.select().where(_L.c.pending_change_id.in_(ids))):
            out[r.pending_change_id].append(r.lock_key)
        return out

    async def _hydrate(self, rows: list[Any]) -> list[PendingChange]:
        ids = [r.id for r in rows]
        approvals = await self._approvals(ids)
        locks = await self._locks(ids)
        return [
            PendingChange(
                id=r.id,
                project_id=r.project_id,
                environment_id=r.environment_id,
                environment_key=r.environment_key,
                feature_id=r.feature_id,
                feature_key=r.feature_key,
                operation=r.operation,
                arguments=dict(r.arguments or {}),
                entities=tuple(EntityChange.from_json(e) for e in (r.diff or [])),
                summary=r.summary,
                origin=r.origin,
                reason=r.reason,
                status=r.status,
                requested_by=r.requested_by,
                requested_by_id=r.requested_by_id,
                request_id=r.request_id,
                created_at=r.created_at,
                updated_at=r.updated_at,
                approvals=tuple(approvals.get(r.id, ())),
                decided_at=r.decided_at,
                decided_by=r.decided_by,
                decided_by_id=r.decided_by_id,
                decision_reason=r.decision_reason,
                locks=tuple(sorted(locks.get(r.id, ()))),
            )
            for r in rows
        ]

    def _select(self) -> Any:
        return sa.select(_P, t.environments.c.key.label("environment_key")).outerjoin(
            t.environments, t.environments.c.id == _P.c.environment_id
        )

    async def find(self, change_id: str) -> PendingChange | None:
        rows = list(await self._conn.execute(self._select().where(_P.c.id == change_id)))
        found = await self._hydrate(rows)
        return found[0] if found else None

    async def get(self, change_id: str) -> PendingChange:
        found = await self.find(change_id)
        if found is None:
            raise NotFoundError("pending change", change_id)
        return found

    async def list(
        self,
        *,
        project_ids: set[str] | None,
        status: str | None = None,
        environment_id: str | None = None,
        feature_id: str | None = None,
        requested_by: str | None = None,
        origin: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[PendingChange], int]:
        """Newest first. `project_ids` None: every project; `requested_by`: a user id or name."""
        cond: list[Any] = []
        if project_ids is not None:
            cond.append(_P.c.project_id.in_(project_ids))
        for col, value in (
            (_P.c.status, status),
            (_P.c.environment_id, environment_id),
            (_P.c.feature_id, feature_id),
            (_P.c.origin, origin),
        ):
            if value is not None:
                cond.append(col == value)
        if requested_by is not None:
            cond.append(
                sa.or_(_P.c.requested_by_id == requested_by, _P.c.requested_by == requested_by)
            )
        where = sa.and_(sa.true(), *cond)
        total = (
            await self._conn.execute(sa.select(sa.func.count()).select_from(_P).where(where))
        ).scalar_one()
        rows = list(
            await self._conn.execute(
                self._select()
                .where(where)
                .order_by(_P.c.created_at.desc(), _P.c.id)
                .offset(offset)
                .limit(limit)
            )
        )
        return await self._hydrate(rows), int(total)

    async def cancel_for_feature(
        self, feature_id: str, now: datetime, reason: str
    ) -> tuple[str, ...]:
        """Cancel every pending change of a feature that no longer exists; returns their ids."""
        ids = [
            r.id
            for r in await self._conn.execute(
                sa.select(_P.c.id).where(_P.c.feature_id == feature_id, _P.c.status == "pending")
            )
        ]
        for change_id in ids:
            await self.decide(
                change_id, "cancelled", by="system", by_id=None, reason=reason, now=now
            )
        return tuple(ids)
