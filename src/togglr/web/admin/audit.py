"""The audit log, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Query

from togglr.web.auth import CurrentPrincipal, Svc
from togglr.web.schemas import AuditRead, DateTime, PageRead

router = APIRouter(tags=["audit"])


@router.get("/projects/{project_id}/audit")
async def list_audit(
    project_id: str,
    principal: CurrentPrincipal,
    svc: Svc,
    feature_id: str | None = Query(None, max_length=36),
    environment_key: str | None = Query(None, max_length=20),
    user_id: str | None = Query(None, max_length=36),
    actor: str | None = Query(None, pattern="^(user|sdk|system)$"),
    entity: str | None = Query(None, max_length=50),
    since: DateTime | None = None,
    until: DateTime | None = None,
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
) -> PageRead[AuditRead]:
    result = await svc.audit.list(
        principal,
        project_id,
        feature_id=feature_id,
        environment_key=environment_key,
        user_id=user_id,
        actor=actor,
        entity=entity,
        since=since,
        until=until,
        page=page,
        per_page=per_page,
    )
    return PageRead[AuditRead](
        items=[AuditRead.of(a) for a in result.items],
        total=result.total,
        page=page,
        per_page=per_page,
    )
