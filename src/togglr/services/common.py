"""Small things every service uses: the clock, paging, and writing audit entries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from togglr.domain.accounts import Principal
from togglr.domain.audit import AuditEntry
from togglr.domain.errors import PermissionDeniedError

T = TypeVar("T")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


def offset_of(page: int, per_page: int) -> int:
    return (page - 1) * per_page


def require(principal: Principal, project_id: str, permission: str) -> None:
    """Raise PermissionDeniedError unless the principal holds `permission` in the project."""
    if not principal.can(project_id, permission):
        raise PermissionDeniedError(f"permission denied: {permission} is required in this project")


async def audit(
    uow: Any,
    principal: Principal,
    now: datetime,
    *,
    entity: str,
    entity_id: str,
    action: str,
    project_id: str | None,
    environment_id: str | None = None,
    feature_id: str | None = None,
    old: Any = None,
    new: Any = None,
) -> None:
    """Append an audit entry inside the caller's transaction."""
    await uow.audit.add(
        AuditEntry(
            id=None,
            project_id=project_id,
            environment_id=environment_id,
            feature_id=feature_id,
            entity=entity,
            entity_id=entity_id,
            action=action,
            actor=principal.actor,
            user_id=principal.user_id,
            username=principal.username,
            request_id=principal.request_id,
            old_value=old,
            new_value=new,
            created_at=now,
        )
    )
