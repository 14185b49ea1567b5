"""Feature health, the project dashboard and stale features."""

from __future__ import annotations

from fastapi import APIRouter, Query

from togglr.web.admin.governance_deps import Gov
from togglr.web.auth import CurrentPrincipal
from togglr.web.schemas_dashboard import DashboardRead, StaleFeatureRead, StalePage
from togglr.web.schemas_governance import FeatureHealthRead

router = APIRouter(tags=["dashboard"])


@router.get("/features/{feature_id}/environments/{env_key}/health")
async def feature_health(
    feature_id: str, env_key: str, principal: CurrentPrincipal, gov: Gov
) -> FeatureHealthRead:
    return FeatureHealthRead.of(await gov.health.feature_health(principal, feature_id, env_key))


@router.get("/projects/{project_id}/dashboard")
async def dashboard(
    project_id: str,
    principal: CurrentPrincipal,
    gov: Gov,
    environment_key: str | None = Query(None, max_length=20),
    limit: int = Query(10, ge=1, le=100, description="Rows per list"),
) -> DashboardRead:
    overview = await gov.dashboard.overview(
        principal, project_id, environment_key=environment_key, limit=limit
    )
    return DashboardRead.of(overview, await gov.changes.required_approvals(project_id))


@router.get("/projects/{project_id}/stale-features")
async def stale_features(
    project_id: str,
    principal: CurrentPrincipal,
    gov: Gov,
    days: int | None = Query(
        None, ge=1, le=3650, description="Default: the project's stale_after_days"
    ),
    environment_key: str | None = Query(
        None, max_length=20, description="Judge only this environment"
    ),
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
) -> StalePage:
    result, age = await gov.dashboard.stale_features(
        principal,
        project_id,
        days=days,
        environment_key=environment_key,
        page=page,
        per_page=per_page,
    )
    return StalePage(
        items=[StaleFeatureRead.of(s) for s in result.items],
        total=result.total,
        page=page,
        per_page=per_page,
        stale_after_days=age,
    )
