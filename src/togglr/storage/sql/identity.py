"""Repositories of identity protection: 2FA, reset links, API tokens, limits, security reads."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.audit import AuditEntry
from togglr.domain.identity import (
    SECURITY_ENTITIES,
    ApiToken,
    EmailCode,
    PasswordReset,
    SignInSession,
    TwoFactor,
    TwoFactorSession,
)
from togglr.storage.sql import tables as t
from togglr.storage.sql import tables_identity as ti
from togglr.storage.sql.audit import page_of_entries
from togglr.storage.sql.errors import translate_integrity


def _upsert(conn: AsyncConnection, table: sa.Table) -> Any:
    """INSERT ... ON CONFLICT for the connection's dialect (both support it)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


class SqlTwoFactorRepository:
    """The TOTP enrolment, recovery codes and e-mailed codes of users."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def find(self, user_id: str) -> TwoFactor | None:
        c = ti.two_factor.c
        row = (await self._conn.execute(ti.two_factor.select().where(c.user_id == user_id))).first()
        if row is None:
            return None
        return TwoFactor(
            row.user_id, row.secret, row.pending_secret, row.confirmed_at, int(row.last_step)
        )

    async def save(self, state: TwoFactor, now: datetime) -> None:
        values = {
            "secret": state.secret,
            "pending_secret": state.pending_secret,
            "confirmed_at": state.confirmed_at,
            "last_step": state.last_step,
            "updated_at": now,
        }
        stmt = _upsert(self._conn, ti.two_factor).values(user_id=state.user_id, **values)
        await self._conn.execute(
            stmt.on_conflict_do_update(index_elements=["user_id"], set_=values)
        )

    async def claim_step(self, user_id: str, step: int) -> bool:
        """Record an accepted time step; False if it (or a later one) was used already."""
        c = ti.two_factor.c
        result = await self._conn.execute(
            ti.two_factor.update()
            .where(c.user_id == user_id, c.last_step < step)
            .values(last_step=step)
        )
        return bool(result.rowcount)

    async def delete(self, user_id: str) -> None:
        """Forget every second-factor secret and code of the user."""
        for table in (ti.two_factor, ti.recovery_codes, ti.email_codes):
            await self._conn.execute(table.delete().where(table.c.user_id == user_id))

    async def replace_recovery_codes(
        self, user_id: str, ids_and_hashes: list[tuple[str, str]], now: datetime
    ) -> None:
        await self._conn.execute(
            ti.recovery_codes.delete().where(ti.recovery_codes.c.user_id == user_id)
        )
        if ids_and_hashes:
            await self._conn.execute(
                ti.recovery_codes.insert(),
                [
                    {"id": i, "user_id": user_id, "code_hash": h, "created_at": now}
                    for i, h in ids_and_hashes
                ],
            )

    async def use_recovery_code(self, user_id: str, code_hash: str, now: datetime) -> bool:
        """Spend a recovery code atomically; False if unknown or already spent."""
        c = ti.recovery_codes.c
        result = await self._conn.execute(
            ti.recovery_codes.update()
            .where(c.user_id == user_id, c.code_hash == code_hash, c.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(result.rowcount)

    async def count_recovery_codes(self, user_id: str) -> int:
        c = ti.recovery_codes.c
        query = sa.select(sa.func.count()).select_from(ti.recovery_codes)
        return int(
            (
                await self._conn.execute(query.where(c.user_id == user_id, c.used_at.is_(None)))
            ).scalar_one()
        )

    async def put_email_code(self, code: EmailCode, now: datetime) -> None:
        values = {
            "code_hash": code.code_hash,
            "created_at": now,
            "expires_at": code.expires_at,
            "attempts": 0,
        }
        stmt = _upsert(self._conn, ti.email_codes).values(
            user_id=code.user_id, purpose=code.purpose, **values
        )
        await self._conn.execute(
            stmt.on_conflict_do_update(index_elements=["user_id", "purpose"], set_=values)
        )

    async def find_email_code(self, user_id: str, purpose: str) -> EmailCode | None:
        c = ti.email_codes.c
        row = (
            await self._conn.execute(
                ti.email_codes.select().where(c.user_id == user_id, c.purpose == purpose)
            )
        ).first()
        if row is None:
            return None
        return EmailCode(row.user_id, row.purpose, row.code_hash, row.expires_at, int(row.attempts))

    async def count_email_code_attempt(self, user_id: str, purpose: str) -> None:
        c = ti.email_codes.c
        await self._conn.execute(
            ti.email_codes.update()
            .where(c.user_id == user_id, c.purpose == purpose)
            .values(attempts=c.attempts + 1)
        )

    async def delete_email_code(self, user_id: str, purpose: str) -> None:
        c = ti.email_codes.c
        await self._conn.execute(
            ti.email_codes.delete().where(c.user_id == user_id, c.purpose == purpose)
        )

    async def purge(self, now: datetime) -> None:
        await self._conn.execute(ti.email_codes.delete().where(ti.email_codes.c.expires_at <= now))


class SqlTwoFactorSessionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, session: TwoFactorSession) -> None:
        await self._conn.execute(
            ti.two_factor_sessions.insert().values(
                id=session.id,
                user_id=session.user_id,
                created_at=session.created_at,
                expires_at=session.expires_at,
                attempts=session.attempts,
                user_agent=session.user_agent[:255],
                ip=session.ip[:64],
            )
        )

    async def find(self, session_id: str) -> TwoFactorSession | None:
        c = ti.two_factor_sessions.c
        row = (
            await self._conn.execute(ti.two_factor_sessions.select().where(c.id == session_id))
        ).first()
        if row is None:
            return None
        return TwoFactorSession(
            row.id,
            row.user_id,
            row.created_at,
            row.expires_at,
            int(row.attempts),
            row.consumed_at,
            row.user_agent,
            row.ip,
        )

    async def count_attempt(self, session_id: str, max_attempts: int, now: datetime) -> None:
        """Count a failed code; the last allowed failure closes the session."""
        c = ti.two_factor_sessions.c
        await self._conn.execute(
            ti.two_factor_sessions.update()
            .where(c.id == session_id)
            .values(
                attempts=c.attempts + 1,
                consumed_at=sa.case(
                    (c.attempts + 1 >= max_attempts, sa.literal(now, t.Ts)), else_=c.consumed_at
                ),
            )
        )

    async def consume(self, session_id: str, now: datetime) -> bool:
        """Close the session once; False if another request closed it first."""
        c = ti.two_factor_sessions.c
        result = await self._conn.execute(
            ti.two_factor_sessions.update()
            .where(c.id == session_id, c.consumed_at.is_(None))
            .values(consumed_at=now)
        )
        return bool(result.rowcount)

    async def purge(self, now: datetime) -> None:
        # Keep closed sessions a day for forensics, then drop them.
        cutoff = now - timedelta(days=1)
        await self._conn.execute(
            ti.two_factor_sessions.delete().where(ti.two_factor_sessions.c.expires_at <= cutoff)
        )


class SqlPasswordResetRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self,
        reset_id: str,
        user_id: str,
        token_hash: str,
        now: datetime,
        expires_at: datetime,
        ip: str,
    ) -> None:
        await self._conn.execute(
            ti.password_resets.insert().values(
                id=reset_id,
                user_id=user_id,
                token_hash=token_hash,
                created_at=now,
                expires_at=expires_at,
                ip=ip[:64],
            )
        )

    async def find_by_hash(self, token_hash: str) -> PasswordReset | None:
        c = ti.password_resets.c
        row = (
            await self._conn.execute(ti.password_resets.select().where(c.token_hash == token_hash))
        ).first()
        return PasswordReset(row.id, row.user_id, row.expires_at, row.used_at) if row else None

    async def use(self, reset_id: str, now: datetime) -> bool:
        """Spend a link atomically; False if it was spent already."""
        c = ti.password_resets.c
        result = await self._conn.execute(
            ti.password_resets.update()
            .where(c.id == reset_id, c.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(result.rowcount)

    async def use_all(self, user_id: str, now: datetime) -> None:
        c = ti.password_resets.c
        await self._conn.execute(
            ti.password_resets.update()
            .where(c.user_id == user_id, c.used_at.is_(None))
            .values(used_at=now)
        )

    async def purge(self, now: datetime) -> None:
        await self._conn.execute(
            ti.password_resets.delete().where(ti.password_resets.c.expires_at <= now)
        )


def _api_token(row: Any) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        project_id=row.project_id,
        name=row.name,
        role_key=row.role_key,
        hint=row.hint,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class SqlApiTokenRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, token: ApiToken, token_hash: str) -> None:
        with translate_integrity("project"):
            await self._conn.execute(
                ti.api_tokens.insert().values(
                    id=token.id,
                    user_id=token.user_id,
                    project_id=token.project_id,
                    name=token.name,
                    role_key=token.role_key,
                    token_hash=token_hash,
                    hint=token.hint,
                    created_at=token.created_at,
                    expires_at=token.expires_at,
                )
            )

    async def find(self, token_id: str) -> ApiToken | None:
        row = (
            await self._conn.execute(ti.api_tokens.select().where(ti.api_tokens.c.id == token_id))
        ).first()
        return _api_token(row) if row else None

    async def find_by_hash(self, token_hash: str) -> ApiToken | None:
        c = ti.api_tokens.c
        row = (
            await self._conn.execute(ti.api_tokens.select().where(c.token_hash == token_hash))
        ).first()
        return _api_token(row) if row else None

    async def list_for_user(self, user_id: str) -> list[ApiToken]:
        c = ti.api_tokens.c
        rows = await self._conn.execute(
            ti.api_tokens.select().where(c.user_id == user_id).order_by(c.created_at.desc(), c.id)
        )
        return [_api_token(r) for r in rows]

    async def revoke(self, token_id: str, now: datetime) -> None:
        c = ti.api_tokens.c
        await self._conn.execute(
            ti.api_tokens.update()
            .where(c.id == token_id, c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def touch(self, token_id: str, now: datetime) -> None:
        await self._conn.execute(
            ti.api_tokens.update().where(ti.api_tokens.c.id == token_id).values(last_used_at=now)
        )


class SqlRateLimitRepository:
    """Fixed-window counters shared by every node through the database."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def hit(self, key: str, window: int, now: datetime) -> tuple[int, datetime]:
        """Count one event (an ended window restarts at 1); returns (count, reset_at)."""
        c = ti.rate_limits.c
        reset_at = now + timedelta(seconds=window)
        expired = c.reset_at <= sa.literal(now, t.Ts)
        stmt = _upsert(self._conn, ti.rate_limits).values(key=key, count=1, reset_at=reset_at)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "count": sa.case((expired, 1), else_=c.count + 1),
                "reset_at": sa.case((expired, sa.literal(reset_at, t.Ts)), else_=c.reset_at),
            },
        ).returning(c.count, c.reset_at)
        count, window_end = (await self._conn.execute(stmt)).one()  # tuple: Row.count is a method
        return int(count), window_end

    async def peek(self, key: str, now: datetime) -> tuple[int, datetime | None]:
        c = ti.rate_limits.c
        row = (await self._conn.execute(sa.select(c.count, c.reset_at).where(c.key == key))).first()
        if row is None or row[1] <= now:
            return 0, None
        return int(row[0]), row[1]

    async def clear(self, key: str) -> None:
        await self._conn.execute(ti.rate_limits.delete().where(ti.rate_limits.c.key == key))

    async def purge(self, now: datetime) -> None:
        await self._conn.execute(ti.rate_limits.delete().where(ti.rate_limits.c.reset_at <= now))


class SqlSecurityReadRepository:
    """Read models for the security screens: the account-level audit trail and sign-in sessions."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def list_events(
        self,
        *,
        about_user: str | None,
        action: str | None,
        since: datetime | None,
        until: datetime | None,
        offset: int,
        limit: int,
    ) -> tuple[list[AuditEntry], int]:
        c = t.audit_log.c
        cond: list[Any] = [c.project_id.is_(None), c.entity.in_(SECURITY_ENTITIES)]
        if about_user is not None:
            # Events a user did (token created) and events done to them (their 2FA reset).
            cond.append(
                sa.or_(
                    c.user_id == about_user,
                    sa.and_(c.entity == "user", c.entity_id == about_user),
                    sa.and_(c.entity == "two_factor", c.entity_id == about_user),
                )
            )
        if action is not None:
            cond.append(c.action == action)
        if since is not None:
            cond.append(c.created_at >= since)
        if until is not None:
            cond.append(c.created_at < until)
        return await page_of_entries(self._conn, sa.and_(*cond), offset, limit)

    async def list_sessions(self, user_id: str, now: datetime) -> list[SignInSession]:
        """The live refresh-token families of a user, newest activity first."""
        rt = t.refresh_tokens.c
        started = (
            sa.select(rt.family_id, sa.func.min(rt.created_at).label("started_at"))
            .where(rt.user_id == user_id)
            .group_by(rt.family_id)
            .subquery()
        )
        rows = await self._conn.execute(
            sa.select(
                rt.family_id,
                rt.created_at,
                rt.expires_at,
                rt.user_agent,
                rt.ip,
                started.c.started_at,
            )
            .join(started, started.c.family_id == rt.family_id)
            .where(
                rt.user_id == user_id,
                rt.revoked_at.is_(None),
                rt.used_at.is_(None),
                rt.expires_at > now,
            )
            .order_by(rt.created_at.desc())
        )
        sessions: dict[str, SignInSession] = {}
        for r in rows:  # a family may hold two live tokens after a reuse within the grace window
            if r.family_id not in sessions:
                sessions[r.family_id] = SignInSession(
                    r.family_id, r.started_at, r.created_at, r.expires_at, r.user_agent, r.ip
                )
        return list(sessions.values())

    async def find_user_id_by_email(self, email: str) -> str | None:
        """By e-mail only: a username that looks like an address must not get its link."""
        c = t.users.c
        row = (
            await self._conn.execute(sa.select(c.id).where(sa.func.lower(c.email) == email.lower()))
        ).first()
        return row.id if row else None

    async def session_owner(self, family_id: str) -> str | None:
        rt = t.refresh_tokens.c
        row = (
            await self._conn.execute(
                sa.select(rt.user_id).where(rt.family_id == family_id).limit(1)
            )
        ).first()
        return row.user_id if row else None
