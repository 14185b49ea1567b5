"""The governance services as one bundle (`services.extra["governance"]`), built by the wiring."""

from __future__ import annotations

from dataclasses import dataclass

from togglr.services.autodisable import AutoDisabler
from togglr.services.change_guard import GovernanceGuard
from togglr.services.changes import ChangeService
from togglr.services.dashboard import DashboardService
from togglr.services.governance_settings import GovernanceSettingsService
from togglr.services.health import HealthService
from togglr.services.notification_dispatch import NotificationDispatcher
from togglr.services.notifications import NotificationService
from togglr.services.outbox import OutboxWorker
from togglr.services.scheduler import ScheduleRunner
from togglr.services.schedules import ScheduleService


@dataclass(frozen=True, slots=True)
class Governance:
    guard: GovernanceGuard
    changes: ChangeService
    settings: GovernanceSettingsService
    schedules: ScheduleService
    runner: ScheduleRunner
    health: HealthService
    autodisabler: AutoDisabler
    notifications: NotificationService
    outbox: OutboxWorker
    dispatcher: NotificationDispatcher
    dashboard: DashboardService
