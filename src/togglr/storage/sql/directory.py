"""Repositories of directory sign-in: LDAP config and sync runs, external identities, SSO
providers and SAML relay states.

Records travel as plain dicts (column name -> value); the services turn them into their own
value types, so this module needs nothing from the service layer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.errors import ConflictError
from togglr.storage.sql import tables_directory as t
from togglr.storage.sql.errors import translate_integrity

Record = dict[str, Any]
_CONFIG_ROW = 1


def _record(row: Any) -> Record:
    return dict(row._mapping)


class SqlLdapConfigRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def find(self) -> Record | None:
        row = (
            await self._conn.execute(
                t.ldap_config.select().where(t.ldap_config.c.id == _CONFIG_ROW)
            )
        ).first()
        return _record(row) if row else None

    async def put(self, config: dict[str, Any], bind_password: str | None, now: datetime) -> None:
        values = {"config": config, "bind_password": bind_password, "updated_at": now}
        updated = await self._conn.execute(
            t.ldap_config.update().where(t.ldap_config.c.id == _CONFIG_ROW).values(**values)
        )
        if not updated.rowcount:
            await self._conn.execute(t.ldap_config.insert().values(id=_CONFIG_ROW, **values))


class SqlLdapSyncRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def start(self, run_id: str, trigger: str, started_by: str, now: datetime) -> None:
        """Claim the single running slot; ConflictError when another run holds it."""
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    t.ldap_sync_runs.insert().values(
                        id=run_id,
                        trigger=trigger,
                        status="running",
                        running_slot=1,
                        started_by=started_by[:255],
                        started_at=now,
                        heartbeat_at=now,
                    )
                )
        except IntegrityError:
            raise ConflictError("an LDAP sync is already running", code="sync_running") from None

    async def find_running(self) -> Record | None:
        row = (
            await self._conn.execute(
                t.ldap_sync_runs.select().where(t.ldap_sync_runs.c.running_slot.is_not(None))
            )
        ).first()
        return _record(row) if row else None

    async def find(self, run_id: str) -> Record | None:
        row = (
            await self._conn.execute(
                t.ldap_sync_runs.select().where(t.ldap_sync_runs.c.id == run_id)
            )
        ).first()
        return _record(row) if row else None

    async def latest(self, *, finished: bool) -> Record | None:
        c = t.ldap_sync_runs.c
        query = t.ldap_sync_runs.select().order_by(c.started_at.desc()).limit(1)
        if finished:
            query = query.where(c.running_slot.is_(None))
        row = (await self._conn.execute(query)).first()
        return _record(row) if row else None

    async def progress(self, run_id: str, counts: dict[str, int], now: datetime) -> None:
        await self._conn.execute(
            t.ldap_sync_runs.update()
            .where(t.ldap_sync_runs.c.id == run_id)
            .values(heartbeat_at=now, **counts)
        )

    async def finish(
        self, run_id: str, status: str, counts: dict[str, int], message: str, now: datetime
    ) -> None:
        await self._conn.execute(
            t.ldap_sync_runs.update()
            .where(t.ldap_sync_runs.c.id == run_id)
            .values(
                status=status,
                running_slot=None,
                finished_at=now,
                heartbeat_at=now,
                message=message[:1000],
                **counts,
            )
        )

    async def add_log(
        self, run_id: str, level: str, message: str, username: str | None, now: datetime
    ) -> None:
        await self._conn.execute(
            t.ldap_sync_logs.insert().values(
                run_id=run_id,
                level=level,
                message=message[:1000],
                username=username[:255] if username else None,
                created_at=now,
            )
        )

    async def list_logs(
        self,
        *,
        run_id: str | None,
        level: str | None,
        username: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[Record], int]:
        c = t.ldap_sync_logs.c
        cond: list[Any] = [sa.true()]
        if run_id is not None:
            cond.append(c.run_id == run_id)
        if level is not None:
            cond.append(c.level == level)
        if username is not None:
            cond.append(c.username == username)
        where = sa.and_(*cond)
        total = (
            await self._conn.execute(
                sa.select(sa.func.count()).select_from(t.ldap_sync_logs).where(where)
            )
        ).scalar_one()
        rows = await self._conn.execute(
            t.ldap_sync_logs.select().where(where).order_by(c.id.desc()).offset(offset).limit(limit)
        )
        return [_record(r) for r in rows], int(total)


class SqlExternalIdentityRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def find(self, provider: str, subject: str) -> Record | None:
        c = t.external_identities.c
        row = (
            await self._conn.execute(
                t.external_identities.select().where(c.provider == provider, c.subject == subject)
            )
        ).first()
        return _record(row) if row else None

    async def list_for_user(self, user_id: str) -> list[Record]:
        rows = await self._conn.execute(
            t.external_identities.select().where(t.external_identities.c.user_id == user_id)
        )
        return [_record(r) for r in rows]

    async def list_for_provider(self, provider: str) -> list[Record]:
        rows = await self._conn.execute(
            t.external_identities.select().where(t.external_identities.c.provider == provider)
        )
        return [_record(r) for r in rows]

    async def link(self, provider: str, subject: str, user_id: str, now: datetime) -> None:
        with translate_integrity("identity link for this user"):
            await self._conn.execute(
                t.external_identities.insert().values(
                    provider=provider,
                    subject=subject,
                    user_id=user_id,
                    created_at=now,
                    last_seen_at=now,
                )
            )

    async def mark(
        self, provider: str, subject: str, *, now: datetime, deactivated_by_sync: bool
    ) -> None:
        c = t.external_identities.c
        await self._conn.execute(
            t.external_identities.update()
            .where(c.provider == provider, c.subject == subject)
            .values(last_seen_at=now, deactivated_by_sync=deactivated_by_sync)
        )


class SqlSsoProviderRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def list(self) -> list[Record]:
        rows = await self._conn.execute(t.sso_providers.select().order_by(t.sso_providers.c.name))
        return [_record(r) for r in rows]

    async def find(self, name: str) -> Record | None:
        row = (
            await self._conn.execute(t.sso_providers.select().where(t.sso_providers.c.name == name))
        ).first()
        return _record(row) if row else None

    async def put(
        self,
        name: str,
        *,
        protocol: str,
        display_name: str,
        enabled: bool,
        config: dict[str, Any],
        now: datetime,
    ) -> None:
        values = {
            "protocol": protocol,
            "display_name": display_name,
            "enabled": enabled,
            "config": config,
        }
        updated = await self._conn.execute(
            t.sso_providers.update()
            .where(t.sso_providers.c.name == name)
            .values(updated_at=now, **values)
        )
        if not updated.rowcount:
            await self._conn.execute(
                t.sso_providers.insert().values(name=name, created_at=now, updated_at=now, **values)
            )

    async def delete(self, name: str) -> bool:
        result = await self._conn.execute(
            t.sso_providers.delete().where(t.sso_providers.c.name == name)
        )
        return bool(result.rowcount)


class SqlSsoRequestRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self, state_hash: str, provider: str, request_id: str, now: datetime, expires_at: datetime
    ) -> None:
        # Expired requests are useless; dropping them here keeps the table small without a job.
        await self._conn.execute(t.sso_requests.delete().where(t.sso_requests.c.expires_at < now))
        await self._conn.execute(
            t.sso_requests.insert().values(
                id=state_hash,
                provider=provider,
                request_id=request_id,
                created_at=now,
                expires_at=expires_at,
            )
        )

    async def consume(self, state_hash: str, provider: str, now: datetime) -> Record | None:
        """Atomically mark a live request used; None if unknown, expired, or already used."""
        c = t.sso_requests.c
        claimed = await self._conn.execute(
            t.sso_requests.update()
            .where(
                c.id == state_hash, c.provider == provider, c.used_at.is_(None), c.expires_at > now
            )
            .values(used_at=now)
        )
        if not claimed.rowcount:
            return None
        row = (await self._conn.execute(t.sso_requests.select().where(c.id == state_hash))).first()
        return _record(row) if row else None
