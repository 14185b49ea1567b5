"""Schedules of a feature per environment, its timeline, and what-if timelines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response

from togglr.services.schedule_inputs import ScheduleInput, ScheduleView
from togglr.web.admin.governance_deps import Gov
from togglr.web.auth import CurrentPrincipal
from togglr.web.schemas import DateTime
from togglr.web.schemas_governance import (
    EnvironmentScheduleRead,
    EnvironmentSchedulesRead,
    PendingChangeRead,
    ScheduleRead,
    SchedulesRead,
    ScheduleUpdate,
    ScheduleWrite,
    TimelineRead,
    TransitionRead,
    WhatIfRequest,
)

router = APIRouter(tags=["schedules"])
GUARDED: dict[int | str, dict[str, Any]] = {
    202: {"model": PendingChangeRead, "description": "Stored as a pending change"}
}
BASE = "/features/{feature_id}/environments/{env_key}"


def _input(body: ScheduleWrite) -> ScheduleInput:
    return ScheduleInput(
        body.action, body.starts_at, body.ends_at, body.cron, body.duration, body.timezone
    )


def _timeline(
    view: ScheduleView,
    start: datetime,
    end: datetime,
    enabled: bool,
    events: list[tuple[datetime, bool]],
) -> TimelineRead:
    return TimelineRead.model_validate(
        {
            "feature_id": view.feature.id,
            "environment_key": view.environment.key,
            "from": start,
            "to": end,
            "enabled": enabled,
            "events": [TransitionRead(at=at, enabled=on) for at, on in events],
        }
    )


@router.get(BASE + "/schedules")
async def list_schedules(
    feature_id: str, env_key: str, principal: CurrentPrincipal, gov: Gov
) -> SchedulesRead:
    view = await gov.schedules.view(principal, feature_id, env_key)
    nxt = view.next
    return SchedulesRead(
        items=[ScheduleRead.of(s, env_key, view.is_active(s)) for s in view.schedules],
        enabled=view.state.enabled,
        effective_enabled=view.effective,
        next_transition=TransitionRead(at=nxt[0], enabled=nxt[1]) if nxt else None,
    )


@router.post(BASE + "/schedules", status_code=201, responses=GUARDED)
async def create_schedule(
    feature_id: str, env_key: str, body: ScheduleWrite, principal: CurrentPrincipal, gov: Gov
) -> ScheduleRead:
    schedule = await gov.schedules.create(principal, feature_id, env_key, _input(body))
    view, found = await gov.schedules.get(principal, feature_id, env_key, schedule.id)
    return ScheduleRead.of(found, env_key, view.is_active(found))


@router.get(BASE + "/schedules/{schedule_id}")
async def get_schedule(
    feature_id: str, env_key: str, schedule_id: str, principal: CurrentPrincipal, gov: Gov
) -> ScheduleRead:
    view, schedule = await gov.schedules.get(principal, feature_id, env_key, schedule_id)
    return ScheduleRead.of(schedule, env_key, view.is_active(schedule))


@router.patch(BASE + "/schedules/{schedule_id}", responses=GUARDED)
async def update_schedule(
    feature_id: str,
    env_key: str,
    schedule_id: str,
    body: ScheduleUpdate,
    principal: CurrentPrincipal,
    gov: Gov,
) -> ScheduleRead:
    await gov.schedules.update(
        principal, feature_id, env_key, schedule_id, body.model_dump(exclude_unset=True)
    )
    view, schedule = await gov.schedules.get(principal, feature_id, env_key, schedule_id)
    return ScheduleRead.of(schedule, env_key, view.is_active(schedule))


@router.delete(BASE + "/schedules/{schedule_id}", status_code=204, responses=GUARDED)
async def delete_schedule(
    feature_id: str, env_key: str, schedule_id: str, principal: CurrentPrincipal, gov: Gov
) -> Response:
    await gov.schedules.delete(principal, feature_id, env_key, schedule_id)
    return Response(status_code=204)


@router.get(BASE + "/timeline")
async def get_timeline(
    feature_id: str,
    env_key: str,
    principal: CurrentPrincipal,
    gov: Gov,
    start: DateTime | None = Query(None, alias="from", description="Default: now"),
    end: DateTime | None = Query(
        None, alias="to", description="Default: from + 7 days; at most 366 days"
    ),
) -> TimelineRead:
    view, lo, hi, events = await gov.schedules.timeline(principal, feature_id, env_key, start, end)
    return _timeline(view, lo, hi, view.state.enabled, events)


@router.post(BASE + "/timeline/what-if")
async def what_if(
    feature_id: str, env_key: str, body: WhatIfRequest, principal: CurrentPrincipal, gov: Gov
) -> TimelineRead:
    view, lo, hi, events = await gov.schedules.what_if(
        principal,
        feature_id,
        env_key,
        [_input(s) for s in body.schedules],
        start=body.start,
        end=body.end,
        enabled=body.enabled,
        keep_existing=body.keep_existing,
    )
    return _timeline(
        view, lo, hi, view.state.enabled if body.enabled is None else body.enabled, events
    )


@router.get("/projects/{project_id}/environments/{env_key}/schedules")
async def environment_schedules(
    project_id: str, env_key: str, principal: CurrentPrincipal, gov: Gov
) -> EnvironmentSchedulesRead:
    env, features, schedules = await gov.schedules.list_for_environment(
        principal, project_id, env_key
    )
    items = [
        EnvironmentScheduleRead(
            **ScheduleRead.of(s, env.key, active).model_dump(),
            feature_key=features[s.feature_id].key,
        )
        for s, active in schedules
        if s.feature_id in features
    ]
    return EnvironmentSchedulesRead(items=items)
