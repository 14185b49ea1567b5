"""A stored schedule of one feature in one environment (validation lives in domain/schedules.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from togglr.domain.schedules import ScheduleAction, format_duration

MAX_SCHEDULES_PER_ENVIRONMENT = 50
SCHEDULE_TRANSITIONED = "schedule.transitioned"  # bus event: the effective state flipped


@dataclass(frozen=True, slots=True)
class Schedule:
    id: str
    project_id: str
    feature_id: str
    environment_id: str
    action: ScheduleAction
    starts_at: datetime | None
    ends_at: datetime | None
    cron: str | None
    duration_seconds: int | None
    timezone: str
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def kind(self) -> str:
        return "recurring" if self.cron is not None else "one_shot"

    def to_json(self) -> dict[str, Any]:
        """Audit- and diff-friendly form."""
        return {
            "action": self.action,
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
            "cron": self.cron,
            "duration": format_duration(self.duration_seconds) if self.duration_seconds else None,
            "timezone": self.timezone,
        }
