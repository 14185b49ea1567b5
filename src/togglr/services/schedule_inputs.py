"""Schedules as clients send them, and a feature's schedules as seen at one instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from togglr.domain.errors import InvalidInputError
from togglr.domain.feature_schedules import Schedule
from togglr.domain.features import Feature, FeatureState
from togglr.domain.projects import Environment
from togglr.domain.schedules import ScheduleFields, validate_schedule
from togglr.evaluation.schedules import effective_state, is_window_active, next_transition
from togglr.evaluation.snapshot import ScheduleSpec


@dataclass(frozen=True, slots=True)
class ScheduleInput:
    """A schedule as a client sends it (times may be naive: then they are read in `timezone`)."""

    action: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    cron: str | None = None
    duration: str | int | None = None
    timezone: str | None = "UTC"

    def validate(self) -> ScheduleFields:
        return validate_schedule(
            action=self.action,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            cron=self.cron,
            duration=self.duration,
            timezone=self.timezone,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
            "cron": self.cron,
            "duration": self.duration,
            "timezone": self.timezone,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ScheduleInput:
        """Read stored pending-change arguments back."""

        def when(name: str) -> datetime | None:
            value = raw.get(name)
            if value is None:
                return None
            try:
                return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                raise InvalidInputError(f"{name}: an ISO 8601 date-time") from None

        duration = raw.get("duration")
        if duration is not None and (
            isinstance(duration, bool) or not isinstance(duration, str | int)
        ):
            raise InvalidInputError("duration: a string like '8h' or whole seconds")
        return cls(
            action=str(raw.get("action", "")),
            starts_at=when("starts_at"),
            ends_at=when("ends_at"),
            cron=raw.get("cron"),
            duration=duration,
            timezone=raw.get("timezone") or "UTC",
        )

    @classmethod
    def of(cls, s: Schedule) -> ScheduleInput:
        return cls(s.action, s.starts_at, s.ends_at, s.cron, s.duration_seconds, s.timezone)


@dataclass(frozen=True, slots=True)
class ScheduleView:
    """Where a feature stands in an environment: its schedules and what they do now."""

    feature: Feature
    environment: Environment
    state: FeatureState
    schedules: list[Schedule]
    now: datetime

    @property
    def specs(self) -> list[ScheduleSpec]:
        return [spec_of(s) for s in self.schedules]

    def is_active(self, schedule: Schedule) -> bool:
        return is_window_active(spec_of(schedule), self.now)

    @property
    def effective(self) -> bool:
        return effective_state(self.state.enabled, self.specs, self.now)

    @property
    def next(self) -> tuple[datetime, bool] | None:
        return next_transition(self.state.enabled, self.specs, self.now)


def spec_of(s: Schedule) -> ScheduleSpec:
    return ScheduleSpec(
        s.id, s.action, s.starts_at, s.ends_at, s.cron, s.duration_seconds, s.timezone
    )


def spec_of_fields(schedule_id: str, f: ScheduleFields) -> ScheduleSpec:
    """A validated, unsaved schedule as the engine reads it (what-if timelines)."""
    return ScheduleSpec(
        schedule_id, f.action, f.starts_at, f.ends_at, f.cron, f.duration_seconds, f.timezone
    )
