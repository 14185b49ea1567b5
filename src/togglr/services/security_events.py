"""The security log: account-level audit entries (sign-ins, 2FA, passwords, tokens, sessions)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from togglr.domain.accounts import Principal
from togglr.domain.audit import AuditEntry
from togglr.domain.errors import PermissionDeniedError
from togglr.services.common import Page, offset_of


class SecurityEventService:
    def __init__(self, storage: Any) -> None:
        self._storage = storage

    async def list_all(
        self,
        principal: Principal,
        *,
        user_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> Page[AuditEntry]:
        """Every account's events (superusers)."""
        if not principal.is_superuser or principal.token_project_id is not None:
            raise PermissionDeniedError("only superusers read the security log")
        return await self._list(user_id, action, since, until, page, per_page)

    async def list_mine(
        self,
        principal: Principal,
        *,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> Page[AuditEntry]:
        """Events by or about the caller: sign-ins, failed attempts on their account, tokens."""
        if principal.user_id is None or principal.token_project_id is not None:
            raise PermissionDeniedError("sign in as the user to read their security log")
        return await self._list(principal.user_id, action, since, until, page, per_page)

    async def _list(
        self,
        user_id: str | None,
        action: str | None,
        since: datetime | None,
        until: datetime | None,
        page: int,
        per_page: int,
    ) -> Page[AuditEntry]:
        since, until = _utc(since), _utc(until)
        async with self._storage.unit_of_work() as uow:
            items, total = await uow.security.list_events(
                about_user=user_id,
                action=action,
                since=since,
                until=until,
                offset=offset_of(page, per_page),
                limit=per_page,
            )
        return Page(items, total, page, per_page)


def _utc(moment: datetime | None) -> datetime | None:
    """Query times without an offset are read as UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
