"""Reading the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from togglr.domain.accounts import Principal
from togglr.domain.audit import AuditEntry
from togglr.services.common import Page, offset_of, require


class AuditService:
    def __init__(self, storage: Any) -> None:
        self._storage = storage

    async def list(
        self,
        principal: Principal,
        project_id: str,
        *,
        feature_id: str | None = None,
        environment_key: str | None = None,
        user_id: str | None = None,
        actor: str | None = None,
        entity: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> Page[AuditEntry]:
        require(principal, project_id, "audit.view")
        since = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
        until = until.replace(tzinfo=UTC) if until and until.tzinfo is None else until
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            env_id = None
            if environment_key:
                env_id = (await uow.environments.get_by_key(project_id, environment_key)).id
            items, total = await uow.audit.list(
                project_id,
                feature_id=feature_id,
                environment_id=env_id,
                user_id=user_id,
                actor=actor,
                entity=entity,
                since=since,
                until=until,
                offset=offset_of(page, per_page),
                limit=per_page,
            )
        return Page(items, total, page, per_page)
