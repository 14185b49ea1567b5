"""Request and response models of schedules, pending changes, governance settings and health.

Notifications and the dashboard have their own modules (schemas_notifications, schemas_dashboard)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from togglr.domain.changes import PendingChange
from togglr.domain.feature_schedules import Schedule
from togglr.domain.schedules import format_duration
from togglr.services.governance_settings import GovernanceSettings
from togglr.services.health import FeatureHealth
from togglr.web.schemas import DateTime, Request

# --- schedules ------------------------------------------------------------------------------------


class ScheduleWrite(Request):
    action: Literal["enable", "disable"]
    starts_at: DateTime | None = Field(
        None, description="One-shot start (no offset: read in `timezone`)"
    )
    ends_at: DateTime | None = Field(None, description="One-shot end, exclusive")
    cron: str | None = Field(
        None, max_length=255, description="Recurring: 5-field cron, e.g. '0 9 * * MON-FRI'"
    )
    duration: str | int | None = Field(
        None, description="Recurring: how long each window lasts: '8h', '1h30m' or seconds"
    )
    timezone: str = Field(
        "UTC", max_length=50, description="IANA zone the cron (and naive times) are read in"
    )


class ScheduleUpdate(Request):
    action: Literal["enable", "disable"] | None = None
    starts_at: DateTime | None = None
    ends_at: DateTime | None = None
    cron: str | None = Field(None, max_length=255)
    duration: str | int | None = None
    timezone: str | None = Field(None, max_length=50)


class ScheduleRead(BaseModel):
    id: str
    feature_id: str
    environment_id: str
    environment_key: str
    action: str
    kind: Literal["one_shot", "recurring"]
    starts_at: datetime | None
    ends_at: datetime | None
    cron: str | None
    duration: str | None
    duration_seconds: int | None
    timezone: str
    active_now: bool
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, s: Schedule, env_key: str, active: bool) -> ScheduleRead:
        return cls(
            id=s.id,
            feature_id=s.feature_id,
            environment_id=s.environment_id,
            environment_key=env_key,
            action=s.action,
            kind="recurring" if s.cron is not None else "one_shot",
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            cron=s.cron,
            duration=format_duration(s.duration_seconds) if s.duration_seconds else None,
            duration_seconds=s.duration_seconds,
            timezone=s.timezone,
            active_now=active,
            created_by=s.created_by,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


class TransitionRead(BaseModel):
    at: datetime
    enabled: bool


class SchedulesRead(BaseModel):
    items: list[ScheduleRead]
    enabled: bool = Field(description="The master switch")
    effective_enabled: bool = Field(description="Master switch and schedules combined, now")
    next_transition: TransitionRead | None


class EnvironmentScheduleRead(ScheduleRead):
    feature_key: str


class EnvironmentSchedulesRead(BaseModel):
    items: list[EnvironmentScheduleRead]


class TimelineRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    feature_id: str
    environment_key: str
    start: datetime = Field(alias="from", serialization_alias="from")
    end: datetime = Field(alias="to", serialization_alias="to")
    enabled: bool = Field(description="The master switch used")
    events: list[TransitionRead] = Field(
        description="State at `from`, then every change before `to`"
    )


class WhatIfRequest(Request):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schedules: list[ScheduleWrite] = Field(default_factory=list, max_length=50)
    start: DateTime | None = Field(None, alias="from")
    end: DateTime | None = Field(None, alias="to")
    enabled: StrictBool | None = Field(
        None, description="Master switch to assume (default: the current one)"
    )
    keep_existing: StrictBool = Field(
        False, description="Add the proposed schedules to the stored ones instead of replacing them"
    )


# --- pending changes ------------------------------------------------------------------------------


class EntityChangeRead(BaseModel):
    entity: str
    entity_id: str
    action: str
    label: str
    changes: dict[str, dict[str, Any]]


class ApprovalRead(BaseModel):
    user_id: str
    username: str
    method: str
    approved_at: datetime


class PendingChangeRead(BaseModel):
    id: str
    project_id: str
    environment_id: str | None
    environment_key: str | None
    feature_id: str | None
    feature_key: str | None
    operation: str
    summary: str
    arguments: dict[str, Any]
    diff: list[EntityChangeRead]
    status: str
    origin: str
    reason: str
    requested_by: str
    requested_by_id: str | None
    created_at: datetime
    updated_at: datetime
    approvals: list[ApprovalRead]
    required_approvals: int
    decided_at: datetime | None
    decided_by: str | None
    decided_by_id: str | None
    decision_reason: str | None

    @classmethod
    def of(cls, c: PendingChange, required: int) -> PendingChangeRead:
        return cls(
            id=c.id,
            project_id=c.project_id,
            environment_id=c.environment_id,
            environment_key=c.environment_key,
            feature_id=c.feature_id,
            feature_key=c.feature_key,
            operation=c.operation,
            summary=c.summary,
            arguments=c.arguments,
            diff=[EntityChangeRead(**e.to_json()) for e in c.entities],
            status=c.status,
            origin=c.origin,
            reason=c.reason,
            requested_by=c.requested_by,
            requested_by_id=c.requested_by_id,
            created_at=c.created_at,
            updated_at=c.updated_at,
            approvals=[
                ApprovalRead(
                    user_id=a.user_id,
                    username=a.username,
                    method=a.method,
                    approved_at=a.approved_at,
                )
                for a in c.approvals
            ],
            required_approvals=required,
            decided_at=c.decided_at,
            decided_by=c.decided_by,
            decided_by_id=c.decided_by_id,
            decision_reason=c.decision_reason,
        )


class PendingChangePage(BaseModel):
    items: list[PendingChangeRead]
    total: int
    page: int
    per_page: int


class ApproveRequest(Request):
    password: str | None = Field(
        None, min_length=1, max_length=256, description="Your password, to confirm it is you"
    )
    totp: str | None = Field(
        None, min_length=1, max_length=64, description="A current 2FA code (when 2FA is on)"
    )


class RejectRequest(Request):
    reason: str = Field(min_length=1, max_length=500)


class CancelRequest(Request):
    reason: str | None = Field(None, max_length=500)


class EditRequest(Request):
    arguments: dict[str, Any] = Field(
        description="Merged over the change's arguments (the original request's fields)"
    )


# --- governance settings, health ------------------------------------------------------------------


class GovernanceSettingsRead(BaseModel):
    requires_approval: bool
    approver_ids: list[str]
    auto_disable_error_share: float | None
    auto_disable_min_volume: int
    stale_after_days: int

    @classmethod
    def of(cls, s: GovernanceSettings) -> GovernanceSettingsRead:
        return cls(
            requires_approval=s.requires_approval,
            approver_ids=list(s.approver_ids),
            auto_disable_error_share=s.auto_disable_error_share,
            auto_disable_min_volume=s.auto_disable_min_volume,
            stale_after_days=s.stale_after_days,
        )


class GovernanceSettingsUpdate(Request):
    requires_approval: StrictBool | None = Field(
        None, description="Guard every feature of the project"
    )
    approver_ids: list[str] | None = Field(
        None, max_length=50, description="Only these users approve (empty: owners and managers)"
    )
    auto_disable_error_share: float | None = Field(
        None, gt=0, le=1, description="Also disable at this error share of reported outcomes"
    )
    auto_disable_min_volume: int | None = Field(None, ge=1, le=10_000_000)
    stale_after_days: int | None = Field(None, ge=1, le=3650)


class FeatureHealthRead(BaseModel):
    feature_id: str
    feature_key: str
    environment_key: str
    status: Literal["healthy", "degraded", "failing", "disabled"]
    enabled: bool
    auto_disable_eligible: bool
    auto_disabled: bool
    auto_disabled_at: datetime | None
    auto_disable_reason: str | None
    pending_change_id: str | None
    errors_in_window: int
    window_sec: int
    threshold: int
    error_rate: float = Field(description="Errors per second, averaged over the window")
    error_share: float | None = Field(
        description="Errors / reported outcomes in the window (share threshold on)"
    )
    last_error_at: datetime | None

    @classmethod
    def of(cls, h: FeatureHealth) -> FeatureHealthRead:
        return cls(**{k: getattr(h, k) for k in cls.model_fields})
