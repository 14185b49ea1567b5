"""Segments and their usage by rules."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from togglr.web.auth import CurrentPrincipal, Svc
from togglr.web.errors import PENDING_RESPONSE
from togglr.web.schemas import (
    PageRead,
    SegmentCreate,
    SegmentRead,
    SegmentUpdate,
    SegmentUsageRead,
    SegmentUsagesRead,
)

router = APIRouter(tags=["segments"])


def _usages(rows: list) -> SegmentUsagesRead:  # type: ignore[type-arg]
    return SegmentUsagesRead(
        items=[SegmentUsageRead.model_validate(u, from_attributes=True) for u in rows]
    )


@router.get("/projects/{project_id}/segments")
async def list_segments(
    project_id: str,
    principal: CurrentPrincipal,
    svc: Svc,
    search: str | None = Query(None, max_length=100),
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
) -> PageRead[SegmentRead]:
    result = await svc.segments.list(
        principal, project_id, search=search, page=page, per_page=per_page
    )
    return PageRead[SegmentRead](
        items=[SegmentRead.of(s) for s in result.items],
        total=result.total,
        page=page,
        per_page=per_page,
    )


@router.post("/projects/{project_id}/segments", status_code=201)
async def create_segment(
    project_id: str, body: SegmentCreate, principal: CurrentPrincipal, svc: Svc
) -> SegmentRead:
    segment = await svc.segments.create(
        principal,
        project_id,
        name=body.name,
        description=body.description,
        condition=body.condition,
    )
    return SegmentRead.of(segment)


@router.get("/projects/{project_id}/segments-desynced")
async def desynced(project_id: str, principal: CurrentPrincipal, svc: Svc) -> SegmentUsagesRead:
    return _usages(await svc.segments.desynced(principal, project_id))


@router.get("/segments/{segment_id}")
async def get_segment(segment_id: str, principal: CurrentPrincipal, svc: Svc) -> SegmentRead:
    return SegmentRead.of(await svc.segments.get(principal, segment_id))


@router.patch("/segments/{segment_id}")
async def update_segment(
    segment_id: str, body: SegmentUpdate, principal: CurrentPrincipal, svc: Svc
) -> SegmentRead:
    segment = await svc.segments.update(
        principal,
        segment_id,
        name=body.name,
        description=body.description,
        condition=body.condition,
    )
    return SegmentRead.of(segment)


@router.delete("/segments/{segment_id}", status_code=204)
async def delete_segment(segment_id: str, principal: CurrentPrincipal, svc: Svc) -> Response:
    await svc.segments.delete(principal, segment_id)
    return Response(status_code=204)


@router.get("/segments/{segment_id}/usages")
async def usages(segment_id: str, principal: CurrentPrincipal, svc: Svc) -> SegmentUsagesRead:
    return _usages(await svc.segments.usages(principal, segment_id))


@router.post(
    "/segments/{segment_id}/rules/{rule_id}/sync", status_code=204, responses=PENDING_RESPONSE
)
async def sync_rule(
    segment_id: str, rule_id: str, principal: CurrentPrincipal, svc: Svc
) -> Response:
    await svc.segments.sync_rule(principal, segment_id, rule_id)
    return Response(status_code=204)
