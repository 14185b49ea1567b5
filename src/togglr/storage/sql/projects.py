"""Projects, environments and project settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.errors import NotFoundError
from togglr.domain.projects import Environment, Project
from togglr.storage.sql import tables as t
from togglr.storage.sql.errors import translate_integrity


def _project(row: Any) -> Project:
    return Project(
        id=row.id,
        name=row.name,
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
        archived_at=row.archived_at,
    )


def _environment(row: Any) -> Environment:
    return Environment(
        id=row.id,
        project_id=row.project_id,
        key=row.key,
        name=row.name,
        api_key=row.api_key,
        created_at=row.created_at,
        requires_approval=row.requires_approval,
    )


class SqlProjectRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, project: Project) -> None:
        with translate_integrity(f"project {project.name!r}"):
            await self._conn.execute(
                t.projects.insert().values(
                    id=project.id,
                    name=project.name,
                    description=project.description,
                    created_at=project.created_at,
                    updated_at=project.updated_at,
                )
            )

    async def update(self, project: Project) -> None:
        with translate_integrity(f"project {project.name!r}"):
            await self._conn.execute(
                t.projects.update()
                .where(t.projects.c.id == project.id)
                .values(
                    name=project.name,
                    description=project.description,
                    updated_at=project.updated_at,
                    archived_at=project.archived_at,
                )
            )

    async def delete(self, project_id: str) -> None:
        await self._conn.execute(t.projects.delete().where(t.projects.c.id == project_id))

    async def find(self, project_id: str) -> Project | None:
        row = (
            await self._conn.execute(t.projects.select().where(t.projects.c.id == project_id))
        ).first()
        return _project(row) if row else None

    async def get(self, project_id: str) -> Project:
        project = await self.find(project_id)
        if project is None:
            raise NotFoundError("project", project_id)
        return project

    async def list(
        self,
        *,
        ids: set[str] | None,
        search: str | None,
        include_archived: bool,
        offset: int,
        limit: int,
    ) -> tuple[list[Project], int]:
        cond: list[Any] = []
        if ids is not None:
            cond.append(t.projects.c.id.in_(ids))
        if search:
            cond.append(t.projects.c.name.ilike(f"%{search}%"))
        if not include_archived:
            cond.append(t.projects.c.archived_at.is_(None))
        where = sa.and_(sa.true(), *cond)
        total = (
            await self._conn.execute(
                sa.select(sa.func.count()).select_from(t.projects).where(where)
            )
        ).scalar_one()
        rows = await self._conn.execute(
            t.projects.select().where(where).order_by(t.projects.c.name).offset(offset).limit(limit)
        )
        return [_project(r) for r in rows], int(total)


class SqlEnvironmentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, env: Environment) -> None:
        with translate_integrity(f"environment {env.key!r}"):
            await self._conn.execute(
                t.environments.insert().values(
                    id=env.id,
                    project_id=env.project_id,
                    key=env.key,
                    name=env.name,
                    api_key=env.api_key,
                    requires_approval=env.requires_approval,
                    created_at=env.created_at,
                )
            )

    async def update(self, env: Environment) -> None:
        await self._conn.execute(
            t.environments.update()
            .where(t.environments.c.id == env.id)
            .values(name=env.name, api_key=env.api_key, requires_approval=env.requires_approval)
        )

    async def delete(self, env_id: str) -> None:
        await self._conn.execute(t.environments.delete().where(t.environments.c.id == env_id))

    async def list_for_project(self, project_id: str) -> list[Environment]:
        rows = await self._conn.execute(
            t.environments.select()
            .where(t.environments.c.project_id == project_id)
            .order_by(t.environments.c.created_at, t.environments.c.key)
        )
        return [_environment(r) for r in rows]

    async def list_all(self) -> list[Environment]:
        rows = await self._conn.execute(
            t.environments.select()
            .join(t.projects, t.projects.c.id == t.environments.c.project_id)
            .where(t.projects.c.archived_at.is_(None))
        )
        return [_environment(r) for r in rows]

    async def find_by_key(self, project_id: str, key: str) -> Environment | None:
        row = (
            await self._conn.execute(
                t.environments.select().where(
                    t.environments.c.project_id == project_id, t.environments.c.key == key
                )
            )
        ).first()
        return _environment(row) if row else None

    async def get_by_key(self, project_id: str, key: str) -> Environment:
        env = await self.find_by_key(project_id, key)
        if env is None:
            raise NotFoundError("environment", key)
        return env

    async def find(self, env_id: str) -> Environment | None:
        row = (
            await self._conn.execute(t.environments.select().where(t.environments.c.id == env_id))
        ).first()
        return _environment(row) if row else None


class SqlSettingsRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get_all(self, project_id: str) -> dict[str, Any]:
        rows = await self._conn.execute(
            sa.select(t.project_settings.c.name, t.project_settings.c.value).where(
                t.project_settings.c.project_id == project_id
            )
        )
        return {r.name: r.value for r in rows}

    async def put(self, project_id: str, values: dict[str, Any], now: datetime) -> None:
        for name, value in values.items():
            await self._conn.execute(
                t.project_settings.delete().where(
                    t.project_settings.c.project_id == project_id, t.project_settings.c.name == name
                )
            )
            await self._conn.execute(
                t.project_settings.insert().values(
                    project_id=project_id, name=name, value=value, updated_at=now
                )
            )
