"""Pending changes (list, read, approve, reject, cancel, edit) and governance settings."""

from __future__ import annotations

from fastapi import APIRouter, Query

from togglr.domain.changes import PendingChange
from togglr.services.common import Page
from togglr.web.admin.governance_deps import Gov
from togglr.web.auth import CurrentPrincipal
from togglr.web.errors import PENDING_RESPONSE
from togglr.web.schemas_governance import (
    ApproveRequest,
    CancelRequest,
    EditRequest,
    GovernanceSettingsRead,
    GovernanceSettingsUpdate,
    PendingChangePage,
    PendingChangeRead,
    RejectRequest,
)

router = APIRouter(tags=["pending changes"])
Status = Query(None, pattern="^(pending|approved|rejected|cancelled)$")


async def _read(gov: Gov, change: PendingChange) -> PendingChangeRead:
    return PendingChangeRead.of(change, await gov.changes.required_approvals(change.project_id))


async def _page(gov: Gov, page: Page[PendingChange]) -> PendingChangePage:
    required: dict[str, int] = {}
    items = []
    for change in page.items:
        if change.project_id not in required:
            required[change.project_id] = await gov.changes.required_approvals(change.project_id)
        items.append(PendingChangeRead.of(change, required[change.project_id]))
    return PendingChangePage(items=items, total=page.total, page=page.page, per_page=page.per_page)


@router.get("/projects/{project_id}/pending-changes")
async def list_project_changes(
    project_id: str,
    principal: CurrentPrincipal,
    gov: Gov,
    status: str | None = Status,
    environment_key: str | None = Query(None, max_length=20),
    requested_by: str | None = Query(None, max_length=255, description="User id or username"),
    feature_id: str | None = Query(None, max_length=36),
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
) -> PendingChangePage:
    result = await gov.changes.list(
        principal,
        project_id,
        status=status,
        environment_key=environment_key,
        feature_id=feature_id,
        requested_by=requested_by,
        page=page,
        per_page=per_page,
    )
    return await _page(gov, result)


@router.get("/pending-changes")
async def list_my_changes(
    principal: CurrentPrincipal,
    gov: Gov,
    status: str | None = Status,
    requested_by: str | None = Query(None, max_length=255),
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
) -> PendingChangePage:
    """Across every project the caller can see (e.g. for a "waiting for approval" badge)."""
    result = await gov.changes.list(
        principal, None, status=status, requested_by=requested_by, page=page, per_page=per_page
    )
    return await _page(gov, result)


@router.get("/pending-changes/{change_id}")
async def get_change(change_id: str, principal: CurrentPrincipal, gov: Gov) -> PendingChangeRead:
    return await _read(gov, await gov.changes.get(principal, change_id))


@router.post("/pending-changes/{change_id}/approve")
async def approve(
    change_id: str, body: ApproveRequest, principal: CurrentPrincipal, gov: Gov
) -> PendingChangeRead:
    change = await gov.changes.approve(principal, change_id, password=body.password, totp=body.totp)
    return await _read(gov, change)


@router.post("/pending-changes/{change_id}/reject")
async def reject(
    change_id: str, body: RejectRequest, principal: CurrentPrincipal, gov: Gov
) -> PendingChangeRead:
    return await _read(gov, await gov.changes.reject(principal, change_id, body.reason))


@router.post("/pending-changes/{change_id}/cancel")
async def cancel(
    change_id: str, principal: CurrentPrincipal, gov: Gov, body: CancelRequest | None = None
) -> PendingChangeRead:
    return await _read(
        gov, await gov.changes.cancel(principal, change_id, body.reason if body else None)
    )


@router.patch("/pending-changes/{change_id}")
async def edit(
    change_id: str, body: EditRequest, principal: CurrentPrincipal, gov: Gov
) -> PendingChangeRead:
    return await _read(gov, await gov.changes.edit(principal, change_id, body.arguments))


@router.get("/projects/{project_id}/governance", tags=["governance settings"])
async def get_governance(
    project_id: str, principal: CurrentPrincipal, gov: Gov
) -> GovernanceSettingsRead:
    return GovernanceSettingsRead.of(await gov.settings.get(principal, project_id))


@router.put(
    "/projects/{project_id}/governance", tags=["governance settings"], responses=PENDING_RESPONSE
)
async def put_governance(
    project_id: str, body: GovernanceSettingsUpdate, principal: CurrentPrincipal, gov: Gov
) -> GovernanceSettingsRead:
    changes = body.model_dump(exclude_unset=True)
    return GovernanceSettingsRead.of(await gov.settings.put(principal, project_id, changes))
