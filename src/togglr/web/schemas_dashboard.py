"""Response models of the project dashboard and the stale-feature list."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from togglr.services.dashboard import (
    CategoryHealth,
    EnvironmentHealth,
    HealthCounts,
    Overview,
    StaleFeature,
)
from togglr.web.schemas import AuditRead
from togglr.web.schemas_governance import PendingChangeRead


class HealthCountsRead(BaseModel):
    health: Literal["green", "yellow", "red"]
    total: int
    enabled: int
    disabled: int
    healthy: int
    degraded: int
    failing: int
    scheduled: int
    guarded: int
    auto_disable_managed: int
    pending: int
    auto_disabled_recently: int

    @classmethod
    def of(cls, c: HealthCounts) -> HealthCountsRead:
        return cls(health=c.health, **{k: getattr(c, k) for k in cls.model_fields if k != "health"})  # type: ignore[arg-type]


class EnvironmentHealthRead(HealthCountsRead):
    environment_id: str
    environment_key: str

    @classmethod
    def of_env(cls, e: EnvironmentHealth) -> EnvironmentHealthRead:
        return cls(
            environment_id=e.environment_id,
            environment_key=e.environment_key,
            **HealthCountsRead.of(e.counts).model_dump(),
        )


class CategoryHealthRead(HealthCountsRead):
    category_id: str | None
    slug: str
    name: str

    @classmethod
    def of_category(cls, c: CategoryHealth) -> CategoryHealthRead:
        return cls(
            category_id=c.category_id,
            slug=c.slug,
            name=c.name,
            **HealthCountsRead.of(c.counts).model_dump(),
        )


class RiskyFeatureRead(BaseModel):
    feature_id: str
    feature_key: str
    name: str
    score: int
    reasons: list[str]
    environments: dict[str, str]


class ActivityRead(BaseModel):
    request_id: str | None
    at: datetime
    actor: str
    username: str
    count: int
    entries: list[AuditRead]


class UpcomingRead(BaseModel):
    feature_id: str
    feature_key: str
    environment_key: str
    at: datetime
    enabled: bool


class PendingSummaryRead(BaseModel):
    total: int
    items: list[PendingChangeRead]


class DashboardRead(BaseModel):
    project_id: str
    generated_at: datetime
    environments: list[EnvironmentHealthRead]
    categories: list[CategoryHealthRead]
    pending_approvals: PendingSummaryRead
    risky_features: list[RiskyFeatureRead]
    recent_activity: list[ActivityRead]
    upcoming_transitions: list[UpcomingRead]
    stale_features: int
    stale_after_days: int

    @classmethod
    def of(cls, o: Overview, required: int) -> DashboardRead:
        return cls(
            project_id=o.project_id,
            generated_at=o.generated_at,
            environments=[EnvironmentHealthRead.of_env(e) for e in o.environments],
            categories=[CategoryHealthRead.of_category(c) for c in o.categories],
            pending_approvals=PendingSummaryRead(
                total=o.pending_total, items=[PendingChangeRead.of(c, required) for c in o.pending]
            ),
            risky_features=[
                RiskyFeatureRead(
                    feature_id=r.feature_id,
                    feature_key=r.feature_key,
                    name=r.name,
                    score=r.score,
                    reasons=r.reasons,
                    environments=r.environments,
                )
                for r in o.risky
            ],
            recent_activity=[
                ActivityRead(
                    request_id=a.request_id,
                    at=a.at,
                    actor=a.actor,
                    username=a.username,
                    count=len(a.entries),
                    entries=[AuditRead.of(e) for e in a.entries],
                )
                for a in o.activity
            ],
            upcoming_transitions=[
                UpcomingRead(
                    feature_id=u.feature_id,
                    feature_key=u.feature_key,
                    environment_key=u.environment_key,
                    at=u.at,
                    enabled=u.enabled,
                )
                for u in o.upcoming
            ],
            stale_features=o.stale_total,
            stale_after_days=o.stale_after_days,
        )


class StaleEnvironmentRead(BaseModel):
    environment_key: str
    state: Literal["fully_on", "fully_off"]
    last_changed_at: datetime
    last_evaluated_at: datetime | None


class StaleFeatureRead(BaseModel):
    feature_id: str
    feature_key: str
    name: str
    kind: str
    tags: list[str]
    last_changed_at: datetime
    last_evaluated_at: datetime | None
    idle_days: int
    environments: list[StaleEnvironmentRead]

    @classmethod
    def of(cls, s: StaleFeature) -> StaleFeatureRead:
        return cls(
            feature_id=s.feature.id,
            feature_key=s.feature.key,
            name=s.feature.name,
            kind=s.feature.kind,
            tags=list(s.feature.tags),
            last_changed_at=s.last_changed_at,
            last_evaluated_at=s.last_evaluated_at,
            idle_days=s.idle_days,
            environments=[
                StaleEnvironmentRead(
                    environment_key=e.environment_key,
                    state=e.mode,  # type: ignore[arg-type]
                    last_changed_at=e.last_changed_at,
                    last_evaluated_at=e.last_evaluated_at,
                )
                for e in s.environments
            ],
        )


class StalePage(BaseModel):
    items: list[StaleFeatureRead]
    total: int
    page: int
    per_page: int
    stale_after_days: int
