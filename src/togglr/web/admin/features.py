"""Features, their per-environment state, toggling, and the explain endpoint."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from togglr.domain.features import Variant
from togglr.evaluation import split_attribute
from togglr.services.features import RuleInput
from togglr.web.auth import CurrentPrincipal, Svc
from togglr.web.errors import PENDING_RESPONSE
from togglr.web.schemas import (
    ExplainRead,
    ExplainRequest,
    FeatureCreate,
    FeatureDetailRead,
    FeatureListItem,
    FeatureRead,
    FeatureUpdate,
    PageRead,
    SplitRead,
    StateRead,
    StateWrite,
    ToggleRequest,
    TraceStepRead,
)

router = APIRouter(tags=["features"])


@router.get("/projects/{project_id}/features")
async def list_features(
    project_id: str,
    principal: CurrentPrincipal,
    svc: Svc,
    environment_key: str | None = Query(None, max_length=20),
    search: str | None = Query(None, max_length=100),
    kind: str | None = Query(None, pattern="^(simple|multivariant)$"),
    tag: str | None = Query(None, max_length=100),
    enabled: bool | None = None,
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
) -> PageRead[FeatureListItem]:
    result = await svc.features.list(
        principal,
        project_id,
        environment_key=environment_key,
        search=search,
        kind=kind,
        tag=tag,
        enabled=enabled,
        page=page,
        per_page=per_page,
    )
    items = [
        FeatureListItem(**FeatureRead.of(f).model_dump(), state=StateRead.of(s) if s else None)
        for f, s in result.items
    ]
    return PageRead[FeatureListItem](items=items, total=result.total, page=page, per_page=per_page)


@router.post("/projects/{project_id}/features", status_code=201)
async def create_feature(
    project_id: str, body: FeatureCreate, principal: CurrentPrincipal, svc: Svc
) -> FeatureRead:
    feature = await svc.features.create(
        principal,
        project_id,
        key=body.key,
        name=body.name,
        kind=body.kind,
        rollout_key=body.rollout_key,
        description=body.description,
        tags=body.tags,
        category_id=body.category_id,
    )
    return FeatureRead.of(feature)


@router.get("/features/{feature_id}")
async def get_feature(feature_id: str, principal: CurrentPrincipal, svc: Svc) -> FeatureDetailRead:
    feature, states = await svc.features.get(principal, feature_id)
    return FeatureDetailRead(
        **FeatureRead.of(feature).model_dump(), environments=[StateRead.of(s) for s in states]
    )


@router.patch("/features/{feature_id}", responses=PENDING_RESPONSE)
async def update_feature(
    feature_id: str, body: FeatureUpdate, principal: CurrentPrincipal, svc: Svc
) -> FeatureRead:
    feature = await svc.features.update(
        principal,
        feature_id,
        name=body.name,
        description=body.description,
        rollout_key=body.rollout_key,
        clear_rollout_key=body.rollout_key == "",
        tags=body.tags,
        category_id=body.category_id,
    )
    return FeatureRead.of(feature)


@router.delete("/features/{feature_id}", status_code=204, responses=PENDING_RESPONSE)
async def delete_feature(feature_id: str, principal: CurrentPrincipal, svc: Svc) -> Response:
    await svc.features.delete(principal, feature_id)
    return Response(status_code=204)


@router.get("/features/{feature_id}/environments/{env_key}")
async def get_state(
    feature_id: str, env_key: str, principal: CurrentPrincipal, svc: Svc
) -> StateRead:
    _, state = await svc.features.get_state(principal, feature_id, env_key)
    return StateRead.of(state)


@router.put("/features/{feature_id}/environments/{env_key}", responses=PENDING_RESPONSE)
async def put_state(
    feature_id: str, env_key: str, body: StateWrite, principal: CurrentPrincipal, svc: Svc
) -> StateRead:
    _, state = await svc.features.put_state(
        principal,
        feature_id,
        env_key,
        enabled=body.enabled,
        default_value=body.default_value,
        variants=[Variant(v.name, v.rollout_percent, v.value) for v in body.variants],
        rules=[
            RuleInput(r.action, r.priority, r.condition, r.variant, r.segment_id, r.id)
            for r in body.rules
        ],
        comment=body.comment,
    )
    return StateRead.of(state)


@router.put("/features/{feature_id}/environments/{env_key}/toggle", responses=PENDING_RESPONSE)
async def toggle(
    feature_id: str, env_key: str, body: ToggleRequest, principal: CurrentPrincipal, svc: Svc
) -> StateRead:
    _, state = await svc.features.toggle(principal, feature_id, env_key, body.enabled)
    return StateRead.of(state)


@router.post("/projects/{project_id}/environments/{env_key}/evaluate/{feature_key}")
async def explain(
    project_id: str,
    env_key: str,
    feature_key: str,
    body: ExplainRequest,
    principal: CurrentPrincipal,
    svc: Svc,
) -> ExplainRead:
    flag, decision = svc.evaluation.explain(
        principal, project_id, env_key, feature_key, body.context
    )
    split = None
    if flag.kind == "multivariant":
        attribute = split_attribute(flag, body.context)
        split = SplitRead(
            attribute=attribute, missing=attribute is None, configured=flag.rollout_key
        )
    return ExplainRead(
        feature_key=flag.feature_key,
        environment_key=env_key,
        enabled=decision.enabled,
        value=decision.value,
        variant=decision.variant,
        variant_value=decision.variant_value,
        reason=decision.reason.value,
        rule_id=decision.rule_id,
        trace=[
            TraceStepRead(step=s.step, outcome=s.outcome, rule_id=s.rule_id, detail=s.detail)
            for s in decision.trace
        ],
        split=split,
    )
