"""Algorithms catalogue, the algorithm attached to a feature in an environment, and its results."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from togglr.services.experiment_capability import Experiments
from togglr.web.auth import CurrentPrincipal
from togglr.web.schemas import DateTime
from togglr.web.schemas_experiments import (
    AlgorithmRead,
    AlgorithmsRead,
    AlgorithmWrite,
    AttachmentRead,
    HistoryItemRead,
    HistoryRead,
    ResultsRead,
)
from togglr.web.schemas_governance import PendingChangeRead


def experiments(request: Request) -> Experiments:
    found: Experiments = request.app.state.services.extra["experiments"]
    return found


Exp = Annotated[Experiments, Depends(experiments)]
router = APIRouter(tags=["experiments"])
BASE = "/features/{feature_id}/environments/{env_key}/algorithm"
GUARDED: dict[int | str, dict[str, Any]] = {
    202: {"model": PendingChangeRead, "description": "Stored as a pending change (guarded feature)"}
}


@router.get("/algorithms")
async def list_algorithms(_: CurrentPrincipal, exp: Exp) -> AlgorithmsRead:
    return AlgorithmsRead(items=[AlgorithmRead.of(s) for s in exp.service.catalogue()])


@router.get(BASE)
async def get_algorithm(
    feature_id: str, env_key: str, principal: CurrentPrincipal, exp: Exp
) -> AttachmentRead:
    target, attachment = await exp.service.get(principal, feature_id, env_key)
    return AttachmentRead.of(attachment, target.environment.key)


@router.put(BASE, responses=GUARDED)
async def put_algorithm(
    feature_id: str, env_key: str, body: AlgorithmWrite, principal: CurrentPrincipal, exp: Exp
) -> AttachmentRead:
    attachment = await exp.service.put(
        principal,
        feature_id,
        env_key,
        algorithm=body.algorithm,
        enabled=body.enabled,
        settings=body.settings,
    )
    return AttachmentRead.of(attachment, env_key)


@router.delete(BASE, status_code=204, responses=GUARDED)
async def delete_algorithm(
    feature_id: str, env_key: str, principal: CurrentPrincipal, exp: Exp
) -> Response:
    await exp.service.delete(principal, feature_id, env_key)
    return Response(status_code=204)


@router.get(BASE + "/history")
async def algorithm_history(
    feature_id: str, env_key: str, principal: CurrentPrincipal, exp: Exp
) -> HistoryRead:
    target, items = await exp.results.history(principal, feature_id, env_key)
    key = target.environment.key
    return HistoryRead(
        items=[
            HistoryItemRead(**AttachmentRead.of(a, key).model_dump(), summary=s) for a, s in items
        ]
    )


@router.get(BASE + "/results")
async def algorithm_results(
    feature_id: str,
    env_key: str,
    principal: CurrentPrincipal,
    exp: Exp,
    attachment_id: str | None = Query(None, max_length=36, description="An older attachment's id"),
    bucket: str = Query("minute", pattern="^(minute|hour|day)$"),
    since: DateTime | None = Query(
        None, description="Series start (default: a window before until)"
    ),
    until: DateTime | None = Query(None, description="Series end (default: now)"),
) -> ResultsRead:
    results = await exp.results.results(
        principal,
        feature_id,
        env_key,
        attachment_id=attachment_id,
        bucket=bucket,
        since=since,
        until=until,
    )
    return ResultsRead.of(results)
