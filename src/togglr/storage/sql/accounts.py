"""Users, memberships and refresh tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.accounts import Membership, User
from togglr.domain.errors import NotFoundError
from togglr.storage.sql import tables as t
from togglr.storage.sql.errors import translate_integrity


def _user(row: Any) -> User:
    return User(
        id=row.id,
        username=row.username,
        email=row.email,
        is_superuser=row.is_superuser,
        is_active=row.is_active,
        is_tmp_password=row.is_tmp_password,
        is_external=row.is_external,
        created_at=row.created_at,
        last_login=row.last_login,
        password_hash=row.password_hash,
        two_fa_enabled=row.two_fa_enabled,
    )


def _membership(row: Any) -> Membership:
    return Membership(
        id=row.id,
        project_id=row.project_id,
        user_id=row.user_id,
        role_key=row.role_key,
        created_at=row.created_at,
    )


class SqlUserRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, user: User) -> None:
        with translate_integrity("user with this username or e-mail"):
            await self._conn.execute(
                t.users.insert().values(
                    id=user.id,
                    username=user.username,
                    email=user.email,
                    password_hash=user.password_hash,
                    is_superuser=user.is_superuser,
                    is_active=user.is_active,
                    is_tmp_password=user.is_tmp_password,
                    is_external=user.is_external,
                    created_at=user.created_at,
                    updated_at=user.created_at,
                )
            )

    async def update(self, user: User, now: datetime) -> None:
        with translate_integrity("user with this username or e-mail"):
            await self._conn.execute(
                t.users.update()
                .where(t.users.c.id == user.id)
                .values(
                    username=user.username,
                    email=user.email,
                    password_hash=user.password_hash,
                    is_superuser=user.is_superuser,
                    is_active=user.is_active,
                    is_tmp_password=user.is_tmp_password,
                    is_external=user.is_external,
                    two_fa_enabled=user.two_fa_enabled,
                    last_login=user.last_login,
                    updated_at=now,
                )
            )

    async def delete(self, user_id: str) -> None:
        await self._conn.execute(t.users.delete().where(t.users.c.id == user_id))

    async def find(self, user_id: str) -> User | None:
        row = (await self._conn.execute(t.users.select().where(t.users.c.id == user_id))).first()
        return _user(row) if row else None

    async def get(self, user_id: str) -> User:
        user = await self.find(user_id)
        if user is None:
            raise NotFoundError("user", user_id)
        return user

    async def find_by_login(self, login: str) -> User | None:
        """By username, then by e-mail (case-insensitive)."""
        row = (
            await self._conn.execute(t.users.select().where(t.users.c.username == login))
        ).first()
        if row is None:
            row = (
                await self._conn.execute(
                    t.users.select().where(sa.func.lower(t.users.c.email) == login.lower())
                )
            ).first()
        return _user(row) if row else None

    async def count(self) -> int:
        return int(
            (await self._conn.execute(sa.select(sa.func.count()).select_from(t.users))).scalar_one()
        )

    async def list(self, *, search: str | None, offset: int, limit: int) -> tuple[list[User], int]:
        where = sa.and_(
            sa.true(),
            *(
                [
                    sa.or_(
                        t.users.c.username.ilike(f"%{search}%"),
                        t.users.c.email.ilike(f"%{search}%"),
                    )
                ]
                if search
                else []
            ),
        )
        total = (
            await self._conn.execute(sa.select(sa.func.count()).select_from(t.users).where(where))
        ).scalar_one()
        rows = await self._conn.execute(
            t.users.select().where(where).order_by(t.users.c.username).offset(offset).limit(limit)
        )
        return [_user(r) for r in rows], int(total)


class SqlMembershipRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, membership: Membership) -> None:
        with translate_integrity("membership for this user"):
            await self._conn.execute(
                t.memberships.insert().values(
                    id=membership.id,
                    project_id=membership.project_id,
                    user_id=membership.user_id,
                    role_key=membership.role_key,
                    created_at=membership.created_at,
                )
            )

    async def update_role(self, membership_id: str, role_key: str) -> None:
        await self._conn.execute(
            t.memberships.update()
            .where(t.memberships.c.id == membership_id)
            .values(role_key=role_key)
        )

    async def delete(self, membership_id: str) -> None:
        await self._conn.execute(t.memberships.delete().where(t.memberships.c.id == membership_id))

    async def get(self, membership_id: str) -> Membership:
        row = (
            await self._conn.execute(
                t.memberships.select().where(t.memberships.c.id == membership_id)
            )
        ).first()
        if row is None:
            raise NotFoundError("membership", membership_id)
        return _membership(row)

    async def list_for_project(self, project_id: str) -> list[Membership]:
        rows = await self._conn.execute(
            t.memberships.select()
            .where(t.memberships.c.project_id == project_id)
            .order_by(t.memberships.c.created_at)
        )
        return [_membership(r) for r in rows]

    async def roles_of(self, user_id: str) -> dict[str, str]:
        rows = await self._conn.execute(
            sa.select(t.memberships.c.project_id, t.memberships.c.role_key).where(
                t.memberships.c.user_id == user_id
            )
        )
        return {r.project_id: r.role_key for r in rows}


class SqlRefreshTokenRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self,
        jti: str,
        user_id: str,
        family_id: str,
        now: datetime,
        expires_at: datetime,
        user_agent: str,
        ip: str,
    ) -> None:
        await self._conn.execute(
            t.refresh_tokens.insert().values(
                id=jti,
                user_id=user_id,
                family_id=family_id,
                created_at=now,
                expires_at=expires_at,
                user_agent=user_agent[:255],
                ip=ip[:64],
            )
        )

    async def find(self, jti: str) -> Any:
        return (
            await self._conn.execute(t.refresh_tokens.select().where(t.refresh_tokens.c.id == jti))
        ).first()

    async def mark_used(self, jti: str, now: datetime) -> bool:
        """Atomically claim a token for rotation; False if someone already used it."""
        result = await self._conn.execute(
            t.refresh_tokens.update()
            .where(t.refresh_tokens.c.id == jti, t.refresh_tokens.c.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(result.rowcount)

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        await self._conn.execute(
            t.refresh_tokens.update()
            .where(
                t.refresh_tokens.c.family_id == family_id, t.refresh_tokens.c.revoked_at.is_(None)
            )
            .values(revoked_at=now)
        )

    async def revoke_user(self, user_id: str, now: datetime) -> None:
        await self._conn.execute(
            t.refresh_tokens.update()
            .where(t.refresh_tokens.c.user_id == user_id, t.refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def list_active_families(self, user_id: str, now: datetime) -> list[Any]:
        rows = await self._conn.execute(
            t.refresh_tokens.select()
            .where(
                t.refresh_tokens.c.user_id == user_id,
                t.refresh_tokens.c.revoked_at.is_(None),
                t.refresh_tokens.c.used_at.is_(None),
                t.refresh_tokens.c.expires_at > now,
            )
            .order_by(t.refresh_tokens.c.created_at.desc())
        )
        return list(rows)
