"""Wiring of governance: schedules, pending changes and approvals, auto-disable and health,
notifications, dashboard. Called once from `bootstrap.build_runtime()`.

Registered for other capabilities:
- `extra["change_guard"]`: the ChangeGuard (intercept/announce/register_applier) for any service
  whose changes must respect guarded features (the experiments capability uses it for algorithms);
- `extra["governance"]`: the governance services, for the web routers;
- `extra["sdk_health"]`: the body of `GET /sdk/v1/features/{key}/health`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from togglr.delivery.http import HttpxTransport, system_resolve
from togglr.delivery.smtp import SmtpMailer, SmtpSettings
from togglr.domain.egress import ALLOW_SETTING, EgressPolicy
from togglr.domain.events import FEATURE_DELETED, DomainEvent
from togglr.services.autodisable import AutoDisabler
from togglr.services.change_appliers import register_feature_appliers
from togglr.services.change_guard import GovernanceGuard
from togglr.services.changes import ChangeService
from togglr.services.channel_delivery import ChannelDelivery
from togglr.services.common import utc_now
from togglr.services.dashboard import DashboardService
from togglr.services.governance import Governance
from togglr.services.governance_settings import GovernanceSettingsService
from togglr.services.guard_appliers import register_guard_appliers
from togglr.services.health import HealthService
from togglr.services.notification_dispatch import NotificationDispatcher
from togglr.services.notifications import NotificationService
from togglr.services.outbox import OutboxWorker
from togglr.services.schedule_appliers import register_schedule_appliers
from togglr.services.scheduler import ScheduleRunner
from togglr.services.schedules import ScheduleService
from togglr.web.admin.governance import routers

if TYPE_CHECKING:
    from togglr.bootstrap import Runtime

log = logging.getLogger(__name__)


def _mailer(settings: Any) -> SmtpMailer | None:
    if not settings.mailer_host:
        return None
    return SmtpMailer(
        SmtpSettings(
            host=settings.mailer_host,
            port=settings.mailer_port,
            user=settings.mailer_user,
            password=settings.mailer_password,
            sender=settings.mailer_from,
            tls=settings.mailer_tls,
            verify_tls=settings.mailer_verify_tls,
        )
    )


def install(runtime: Runtime) -> Governance:
    services = runtime.services
    storage, bus = services.storage, services.bus
    clock = utc_now

    guard = GovernanceGuard(storage, bus, clock)
    register_feature_appliers(guard)
    register_schedule_appliers(guard)
    register_guard_appliers(guard)
    # Every service whose writes can change what a guarded feature serves, or the guard itself,
    # asks the guard (the experiments capability wires its algorithm service the same way).
    services.features.guard = guard
    services.segments.guard = guard
    services.projects.guard = guard
    gov_settings = GovernanceSettingsService(storage, clock)
    gov_settings.guard = guard

    schedules = ScheduleService(storage, bus, clock)
    schedules.guard = guard
    services.snapshots.add_contributor(schedules.contribute)

    egress = EgressPolicy(system_resolve, allow_private=runtime.settings.webhook_allow_private)
    if egress.allow_private:
        log.warning(
            "%s=true: notification channels may send requests to loopback, private and "
            "link-local addresses, so anyone who manages a project can make this server reach "
            "internal services. Turn it off unless your receivers run on your own network.",
            ALLOW_SETTING,
        )
    transport = HttpxTransport(egress)
    outbox = OutboxWorker(
        storage, clock, ChannelDelivery(transport, _mailer(runtime.settings), clock)
    )
    changes = ChangeService(
        storage,
        bus,
        clock,
        guard,
        password_authenticators=services.accounts.password_authenticators,
        totp_verifier=lambda: services.extra.get("verify_totp"),
        rate_limiter=lambda: services.extra.get("rate_limiter"),
    )
    governance = Governance(
        guard=guard,
        changes=changes,
        settings=gov_settings,
        schedules=schedules,
        runner=ScheduleRunner(
            storage,
            bus,
            clock,
            services.snapshots,
            max_backfill=runtime.settings.schedule_backfill,
        ),
        health=HealthService(storage, clock),
        autodisabler=AutoDisabler(storage, bus, clock, guard),
        notifications=NotificationService(storage, clock, outbox, egress),
        outbox=outbox,
        dispatcher=NotificationDispatcher(storage, clock, outbox.wake),
        dashboard=DashboardService(storage, clock),
    )
    services.feedback.add_error_listener(governance.autodisabler.on_error)
    bus.subscribe(governance.runner.handle)
    bus.subscribe(governance.dispatcher.handle)

    async def on_feature_deleted(event: DomainEvent) -> None:
        if event.type == FEATURE_DELETED and event.feature_id:
            await changes.cancel_for_deleted_feature(event.feature_id)

    bus.subscribe(on_feature_deleted)

    services.extra["governance"] = governance
    services.extra["change_guard"] = guard
    services.extra["sdk_health"] = governance.health.sdk_health
    services.extra.setdefault("routers", []).extend(routers())

    async def start() -> None:
        runtime.tasks.append(
            asyncio.create_task(governance.runner.run(), name="togglr-schedule-runner")
        )
        runtime.tasks.append(asyncio.create_task(outbox.run(), name="togglr-notification-outbox"))

    async def stop() -> None:
        with contextlib.suppress(Exception):
            await transport.close()

    runtime.on_startup.append(start)
    runtime.on_shutdown.append(stop)
    return governance
