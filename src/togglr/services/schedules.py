"""Schedules of a feature in an environment: CRUD (guarded like any change), timeline and what-if.

The evaluation engine applies schedules at `now` from the snapshot (`contribute` feeds them in),
so a window takes effect the instant it opens; the scheduler only records transitions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from togglr.domain.accounts import Principal
from togglr.domain.changes import (
    ChangeGuard,
    EntityChange,
    ProposedChange,
    diff_fields,
)
from togglr.domain.errors import InvalidInputError, NotFoundError
from togglr.domain.events import FEATURE_CHANGED, DomainEvent
from togglr.domain.feature_schedules import MAX_SCHEDULES_PER_ENVIRONMENT, Schedule
from togglr.domain.features import Feature, FeatureState
from togglr.domain.ids import new_id
from togglr.domain.projects import Environment
from togglr.domain.schedules import (
    ScheduleFields,
    ensure_no_overlap,
    find_overlap,
)
from togglr.evaluation.schedules import is_window_active, timeline
from togglr.evaluation.snapshot import ScheduleSpec
from togglr.eventbus import EventBus
from togglr.services.common import Clock, audit, require
from togglr.services.guarded import Guarded
from togglr.services.schedule_inputs import ScheduleInput, ScheduleView, spec_of, spec_of_fields

MAX_TIMELINE_RANGE = timedelta(days=366)
DEFAULT_TIMELINE_RANGE = timedelta(days=7)
MAX_WHAT_IF = 50
FIELDS = ("action", "starts_at", "ends_at", "cron", "duration", "timezone")


class ScheduleService(Guarded):
    def __init__(self, storage: Any, bus: EventBus, clock: Clock) -> None:
        self._storage = storage
        self._bus = bus
        self._now = clock
        self.guard: ChangeGuard | None = None  # set by governance wiring

    # --- reads ---------------------------------------------------------------------------------
    async def _target(
        self, uow: Any, principal: Principal, feature_id: str, env_key: str, permission: str
    ) -> tuple[Feature, Environment, FeatureState]:
        feature: Feature = await uow.features.get(feature_id)
        if not principal.can(feature.project_id, "feature.view"):
            raise NotFoundError("feature", feature_id)
        require(principal, feature.project_id, permission)
        env: Environment = await uow.environments.get_by_key(feature.project_id, env_key)
        return feature, env, await uow.states.get(feature_id, env.id)

    async def view(self, principal: Principal, feature_id: str, env_key: str) -> ScheduleView:
        async with self._storage.unit_of_work() as uow:
            feature, env, state = await self._target(
                uow, principal, feature_id, env_key, "feature.view"
            )
            schedules = await uow.schedules.list(feature_ids=[feature_id], environment_id=env.id)
        return ScheduleView(feature, env, state, schedules, self._now())

    async def get(
        self, principal: Principal, feature_id: str, env_key: str, schedule_id: str
    ) -> tuple[ScheduleView, Schedule]:
        view = await self.view(principal, feature_id, env_key)
        for s in view.schedules:
            if s.id == schedule_id:
                return view, s
        raise NotFoundError("schedule", schedule_id)

    async def list_for_environment(
        self, principal: Principal, project_id: str, env_key: str
    ) -> tuple[Environment, dict[str, Feature], list[tuple[Schedule, bool]]]:
        """Every schedule of an environment, with whether its window is open now."""
        if not principal.can(project_id, "feature.view"):
            raise NotFoundError("project", project_id)
        async with self._storage.unit_of_work() as uow:
            env = await uow.environments.get_by_key(project_id, env_key)
            schedules = await uow.schedules.list(environment_id=env.id)
            features, _ = await uow.features.list(project_id)
        now = self._now()
        return (
            env,
            {f.id: f for f in features},
            [(s, is_window_active(spec_of(s), now)) for s in schedules],
        )

    # --- writes --------------------------------------------------------------------------------
    async def create(
        self,
        principal: Principal,
        feature_id: str,
        env_key: str,
        data: ScheduleInput,
        *,
        schedule_id: str | None = None,
    ) -> Schedule:
        fields = data.validate()
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            feature, env, _ = await self._target(
                uow, principal, feature_id, env_key, "schedule.manage"
            )
            existing = await uow.schedules.list(feature_ids=[feature_id], environment_id=env.id)
            if len(existing) >= MAX_SCHEDULES_PER_ENVIRONMENT:
                raise InvalidInputError(
                    f"at most {MAX_SCHEDULES_PER_ENVIRONMENT} schedules per feature and environment"
                )
            self._check(fields, existing, now, exclude=None)
            schedule = Schedule(
                id=schedule_id or new_id(),
                project_id=feature.project_id,
                feature_id=feature_id,
                environment_id=env.id,
                action=fields.action,
                starts_at=fields.starts_at,
                ends_at=fields.ends_at,
                cron=fields.cron,
                duration_seconds=fields.duration_seconds,
                timezone=fields.timezone,
                created_by=principal.username,
                created_at=now,
                updated_at=now,
            )
            created = {k: {"old": None, "new": v} for k, v in schedule.to_json().items()}
            pending = await self._propose(
                uow,
                principal,
                _schedule_change(feature, env, "create", schedule.id, created, data.to_json()),
            )
            if pending is None:
                await uow.schedules.add(schedule)
                await audit(
                    uow,
                    principal,
                    now,
                    entity="schedule",
                    entity_id=schedule.id,
                    action="create",
                    project_id=feature.project_id,
                    environment_id=env.id,
                    feature_id=feature_id,
                    new=schedule.to_json(),
                )
        if pending is not None:
            await self._pending(pending)
        await self._changed(feature, env)
        return schedule

    async def update(
        self,
        principal: Principal,
        feature_id: str,
        env_key: str,
        schedule_id: str,
        changes: dict[str, Any],
    ) -> Schedule:
        """Replace the given fields (a JSON merge) and validate the result as a whole."""
        unknown = set(changes) - set(FIELDS)
        if unknown:
            raise InvalidInputError(f"unknown field(s): {', '.join(sorted(unknown))}")
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            feature, env, _ = await self._target(
                uow, principal, feature_id, env_key, "schedule.manage"
            )
            existing: list[Schedule] = await uow.schedules.list(
                feature_ids=[feature_id], environment_id=env.id
            )
            old = next((s for s in existing if s.id == schedule_id), None)
            if old is None:
                raise NotFoundError("schedule", schedule_id)
            merged = replace(ScheduleInput.of(old), **changes)
            fields = merged.validate()
            self._check(fields, existing, now, exclude=schedule_id)
            new = replace(
                old,
                action=fields.action,
                starts_at=fields.starts_at,
                ends_at=fields.ends_at,
                cron=fields.cron,
                duration_seconds=fields.duration_seconds,
                timezone=fields.timezone,
                updated_at=now,
            )
            pending = await self._propose(
                uow,
                principal,
                _schedule_change(
                    feature,
                    env,
                    "update",
                    schedule_id,
                    diff_fields(old.to_json(), new.to_json()),
                    {"changes": _jsonable(changes)},
                ),
            )
            if pending is None:
                await uow.schedules.update(new)
                await audit(
                    uow,
                    principal,
                    now,
                    entity="schedule",
                    entity_id=schedule_id,
                    action="update",
                    project_id=feature.project_id,
                    environment_id=env.id,
                    feature_id=feature_id,
                    old=old.to_json(),
                    new=new.to_json(),
                )
        if pending is not None:
            await self._pending(pending)
        await self._changed(feature, env)
        return new

    async def delete(
        self, principal: Principal, feature_id: str, env_key: str, schedule_id: str
    ) -> None:
        async with self._storage.unit_of_work() as uow:
            feature, env, _ = await self._target(
                uow, principal, feature_id, env_key, "schedule.manage"
            )
            old = await uow.schedules.find(schedule_id)
            if old is None or old.feature_id != feature_id or old.environment_id != env.id:
                raise NotFoundError("schedule", schedule_id)
            gone = {k: {"old": v, "new": None} for k, v in old.to_json().items()}
            pending = await self._propose(
                uow,
                principal,
                _schedule_change(feature, env, "delete", schedule_id, gone, {}),
            )
            if pending is None:
                await uow.schedules.delete(schedule_id)
                await audit(
                    uow,
                    principal,
                    self._now(),
                    entity="schedule",
                    entity_id=schedule_id,
                    action="delete",
                    project_id=feature.project_id,
                    environment_id=env.id,
                    feature_id=feature_id,
                    old=old.to_json(),
                )
        if pending is not None:
            await self._pending(pending)
        await self._changed(feature, env)

    @staticmethod
    def _check(
        fields: ScheduleFields, existing: list[Schedule], now: datetime, *, exclude: str | None
    ) -> None:
        if fields.cron is None and fields.ends_at is not None and fields.ends_at <= now:
            raise InvalidInputError(
                f"ends_at ({fields.ends_at.isoformat()}) is in the past; "
                "the window would never apply",
                field="ends_at",
            )
        ensure_no_overlap(existing, fields, exclude_id=exclude)

    async def _changed(self, feature: Feature, env: Environment) -> None:
        # The snapshot of this feature is rebuilt with its new schedules; the scheduler replans.
        await self._bus.publish(
            DomainEvent(
                FEATURE_CHANGED,
                project_id=feature.project_id,
                environment_id=env.id,
                feature_id=feature.id,
                payload={"schedules": True},
            )
        )

    # --- timeline -------------------------------------------------------------------------------
    def _range(self, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
        now = self._now()
        start = _aware(start) if start else now
        end = _aware(end) if end else start + DEFAULT_TIMELINE_RANGE
        if end <= start:
            raise InvalidInputError("to: must be after from", field="to")
        if end - start > MAX_TIMELINE_RANGE:
            raise InvalidInputError(
                f"to: the range may span at most {MAX_TIMELINE_RANGE.days} days", field="to"
            )
        return start, end

    async def timeline(
        self,
        principal: Principal,
        feature_id: str,
        env_key: str,
        start: datetime | None,
        end: datetime | None,
    ) -> tuple[ScheduleView, datetime, datetime, list[tuple[datetime, bool]]]:
        view = await self.view(principal, feature_id, env_key)
        lo, hi = self._range(start, end)
        return view, lo, hi, timeline(view.state.enabled, view.specs, lo, hi)

    async def what_if(
        self,
        principal: Principal,
        feature_id: str,
        env_key: str,
        proposed: list[ScheduleInput],
        *,
        start: datetime | None,
        end: datetime | None,
        enabled: bool | None = None,
        keep_existing: bool = False,
    ) -> tuple[ScheduleView, datetime, datetime, list[tuple[datetime, bool]]]:
        """The timeline with `proposed` schedules instead of (or beside) the stored ones."""
        if len(proposed) > MAX_WHAT_IF:
            raise InvalidInputError(f"schedules: at most {MAX_WHAT_IF}")
        view = await self.view(principal, feature_id, env_key)
        lo, hi = self._range(start, end)
        specs: list[ScheduleSpec] = view.specs if keep_existing else []
        for index, item in enumerate(proposed):
            try:
                fields = item.validate()
            except InvalidInputError as exc:
                raise InvalidInputError(f"schedules[{index}]: {exc.message}") from None
            spec = spec_of_fields(f"proposed-{index}", fields)
            other = find_overlap(specs, spec)
            if other is not None:
                raise InvalidInputError(
                    f"schedules[{index}]: this one-shot window overlaps {other.id}"
                )
            specs.append(spec)
        master = view.state.enabled if enabled is None else enabled
        return view, lo, hi, timeline(master, specs, lo, hi)

    # --- snapshots -------------------------------------------------------------------------------
    async def contribute(
        self, uow: Any, environment_id: str, feature_ids: list[str]
    ) -> dict[str, dict[str, Any]]:
        """SnapshotStore contributor: the schedules of these features in this environment."""
        if not feature_ids:
            return {}
        grouped: dict[str, list[ScheduleSpec]] = defaultdict(list)
        for s in await uow.schedules.list(feature_ids=feature_ids, environment_id=environment_id):
            grouped[s.feature_id].append(spec_of(s))
        return {fid: {"schedules": tuple(specs)} for fid, specs in grouped.items()}


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _jsonable(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in changes.items()}


_VERB = {
    "create": "add a schedule to",
    "update": "change a schedule of",
    "delete": "remove a schedule of",
}


def _schedule_change(
    feature: Any,
    env: Any,
    action: str,
    schedule_id: str,
    changes: dict[str, Any],
    arguments: dict[str, Any],
) -> ProposedChange:
    """A change to one schedule of `feature` in `env`, as the guard holds it for approval."""
    where = f"{feature.key} in {env.key}"
    return ProposedChange(
        project_id=feature.project_id,
        environment_id=env.id,
        feature_id=feature.id,
        operation=f"schedule.{action}",
        arguments={
            "feature_id": feature.id,
            "env_key": env.key,
            "schedule_id": schedule_id,
            **arguments,
        },
        entities=(EntityChange("schedule", schedule_id, action, changes, f"schedule of {where}"),),
        summary=f"{_VERB[action]} {where}",
    )
