"""Feature health per environment, for the management API and the SDK health endpoint.

The rules (domain/health.py) turn error counts into `healthy | degraded | failing | disabled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from togglr.domain.accounts import Principal
from togglr.domain.errors import NotFoundError
from togglr.domain.features import Feature, FeatureState
from togglr.domain.health import (
    ErrorStats,
    HealthStatus,
    Thresholds,
    error_rate,
    error_share,
    health_status,
)
from togglr.domain.projects import Environment
from togglr.domain.tags import AUTO_DISABLE
from togglr.evaluation.snapshot import FlagSnapshot
from togglr.services import governance_settings
from togglr.services.common import Clock
from togglr.services.feedback import with_last_error_at
from togglr.services.snapshots import EnvironmentSnapshot


@dataclass(frozen=True, slots=True)
class FeatureHealth:
    feature_id: str
    feature_key: str
    environment_key: str
    status: HealthStatus
    enabled: bool
    auto_disable_eligible: bool  # tagged auto-disable and the project's auto-disable is on
    auto_disabled: bool  # off, and the last change of its state was an automatic disable
    auto_disabled_at: datetime | None
    auto_disable_reason: str | None
    pending_change_id: str | None  # an automatic disable waiting for approval
    errors_in_window: int
    window_sec: int
    threshold: int
    error_rate: float  # errors per second over the window
    error_share: float | None  # errors / reported outcomes, when the share threshold is on
    last_error_at: datetime | None

    def sdk_json(self) -> dict[str, Any]:
        """The SDK wire shape (`GET /sdk/v1/features/{key}/health`), plus `status`."""
        return with_last_error_at(
            {
                "feature_key": self.feature_key,
                "environment_key": self.environment_key,
                "enabled": self.enabled,
                "auto_disabled": self.auto_disabled,
                "error_rate": self.error_rate,
                "errors_in_window": self.errors_in_window,
                "window_sec": self.window_sec,
                "threshold": self.threshold,
                "status": self.status,
            },
            self.last_error_at,
        )


async def measure(
    uow: Any,
    feature: Feature,
    env: Environment,
    state: FeatureState,
    thresholds: Thresholds,
    now: datetime,
    *,
    eligible: bool,
) -> FeatureHealth:
    """Health of one feature in one environment, inside an open unit of work."""
    since = now - timedelta(seconds=thresholds.window_sec)
    errors = await uow.events.count_errors(feature.id, env.id, since)
    outcomes = 0
    if thresholds.error_share is not None:
        outcomes = errors + await uow.health.outcomes_since(feature.id, env.id, since)
    stats = ErrorStats(errors, outcomes)
    last = await uow.health.last_auto_disable(feature.id, env.id)
    auto_off = (
        last is not None
        and last.outcome == "disabled"
        and not state.enabled
        and (state.updated_at is None or last.created_at >= state.updated_at)
    )
    pending = last.pending_change_id if last is not None and last.outcome == "pending" else None
    if pending is not None:
        change = await uow.changes.find(pending)
        pending = pending if change is not None and change.is_pending else None
    return FeatureHealth(
        feature_id=feature.id,
        feature_key=feature.key,
        environment_key=env.key,
        status=health_status(state.enabled, stats, thresholds),
        enabled=state.enabled,
        auto_disable_eligible=eligible,
        auto_disabled=auto_off,
        auto_disabled_at=last.created_at if auto_off and last else None,
        auto_disable_reason=last.reason if auto_off and last else None,
        pending_change_id=pending,
        errors_in_window=errors,
        window_sec=thresholds.window_sec,
        threshold=thresholds.error_count,
        error_rate=error_rate(errors, thresholds.window_sec),
        error_share=error_share(stats) if thresholds.error_share is not None else None,
        last_error_at=await uow.events.last_error_at(feature.id, env.id),
    )


class HealthService:
    def __init__(self, storage: Any, clock: Clock) -> None:
        self._storage = storage
        self._now = clock

    async def _measure(self, uow: Any, feature: Feature, env: Environment) -> FeatureHealth:
        core, gov = await governance_settings.load(uow, feature.project_id)
        state = await uow.states.get(feature.id, env.id)
        eligible = AUTO_DISABLE in feature.tags and core.auto_disable_enabled
        return await measure(
            uow,
            feature,
            env,
            state,
            governance_settings.thresholds(core, gov),
            self._now(),
            eligible=eligible,
        )

    async def feature_health(
        self, principal: Principal, feature_id: str, env_key: str
    ) -> FeatureHealth:
        async with self._storage.unit_of_work() as uow:
            feature = await uow.features.get(feature_id)
            if not principal.can(feature.project_id, "feature.view"):
                raise NotFoundError("feature", feature_id)
            env = await uow.environments.get_by_key(feature.project_id, env_key)
            return await self._measure(uow, feature, env)

    async def sdk_health(self, env: EnvironmentSnapshot, flag: FlagSnapshot) -> dict[str, Any]:
        """`extra["sdk_health"]`: the SDK endpoint's body, computed from storage."""
        async with self._storage.unit_of_work() as uow:
            feature = await uow.features.get(flag.feature_id)
            environment = await uow.environments.find(env.environment_id)
            if environment is None:
                raise NotFoundError("environment", env.environment_key)
            return (await self._measure(uow, feature, environment)).sdk_json()
