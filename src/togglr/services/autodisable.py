"""Auto-disable: a feature tagged `auto-disable` whose SDKs report too many errors switches off.

Runs after every stored error report (a FeedbackService error listener). When the project's
threshold is reached (N errors in W seconds, or optionally an error share of reported outcomes),
the feature is switched off in that environment as the `system` actor, or, when approval is
required, a pending change to switch it off is opened (never two at once). Either way an
auto-disable record, an audit entry with the reason and a notification event follow.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from togglr.domain.accounts import Principal
from togglr.domain.changes import EntityChange, PendingChange, ProposedChange
from togglr.domain.errors import ConflictError
from togglr.domain.events import DomainEvent
from togglr.domain.health import AutoDisableRecord, ErrorStats, breach
from togglr.domain.ids import new_id
from togglr.domain.tags import AUTO_DISABLE
from togglr.evaluation.snapshot import FlagSnapshot
from togglr.eventbus import EventBus
from togglr.services import governance_settings
from togglr.services.change_guard import BoundStorage, BufferedBus, GovernanceGuard
from togglr.services.common import Clock, audit
from togglr.services.features import FeatureService
from togglr.services.snapshots import EnvironmentSnapshot

log = logging.getLogger(__name__)

FEATURE_AUTO_DISABLED = "feature.auto_disabled"  # bus event; payload says why
# Who the audit log names: a system actor, distinguishable from other background work.
AUTO_DISABLE_ACTOR = Principal(
    user_id=None, username="auto-disable", is_superuser=True, roles={}, actor="system"
)


@dataclass(frozen=True, slots=True)
class _Outcome:
    payload: dict[str, Any]
    events: BufferedBus
    change: PendingChange | None


class AutoDisabler:
    def __init__(self, storage: Any, bus: EventBus, clock: Clock, guard: GovernanceGuard) -> None:
        self._storage = storage
        self._bus = bus
        self._now = clock
        self._guard = guard
        # One check at a time per feature and environment on this node, so a burst of reports
        # produces one disable (across nodes, the state re-read and the change lock catch it).
        self._locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)

    async def on_error(self, env: EnvironmentSnapshot, flag: FlagSnapshot) -> None:
        """FeedbackService error listener; never fails the SDK request."""
        if AUTO_DISABLE not in env.tags.get(flag.feature_id, ()) or not flag.enabled:
            return
        try:
            async with self._locks[(flag.feature_id, env.environment_id)]:
                outcome = await self._check(env, flag)
            if outcome is not None:
                await outcome.events.flush(self._bus)
                if outcome.change is not None:
                    await self._guard.announce(outcome.change)
                await self._bus.publish(
                    DomainEvent(
                        FEATURE_AUTO_DISABLED,
                        project_id=env.project_id,
                        environment_id=env.environment_id,
                        feature_id=flag.feature_id,
                        payload=outcome.payload,
                    )
                )
        except Exception:
            log.exception(
                "auto-disable check failed for %s in %s", flag.feature_key, env.environment_key
            )

    async def _check(self, env: EnvironmentSnapshot, flag: FlagSnapshot) -> _Outcome | None:
        now = self._now()
        # One request id for every audit row of this decision, so they read as one event.
        actor = replace(AUTO_DISABLE_ACTOR, request_id=f"auto-disable-{new_id()}")
        async with self._storage.unit_of_work() as uow:
            core, gov = await governance_settings.load(uow, env.project_id)
            if not core.auto_disable_enabled:
                return None
            limits = governance_settings.thresholds(core, gov)
            since = now - timedelta(seconds=limits.window_sec)
            errors = await uow.events.count_errors(flag.feature_id, env.environment_id, since)
            outcomes = 0
            if limits.error_share is not None:
                outcomes = errors + await uow.health.outcomes_since(
                    flag.feature_id, env.environment_id, since
                )
            reason = breach(ErrorStats(errors, outcomes), limits)
            if reason is None:
                return None
            state = await uow.states.get(flag.feature_id, env.environment_id)
            if not state.enabled:
                return None
            feature = await uow.features.get(flag.feature_id)
            proposal = _switch_off(env, flag, feature.key, reason)
            payload = {
                "reason": reason,
                "errors": errors,
                "window_sec": limits.window_sec,
                "threshold": limits.error_count,
                "event_id": new_id(),
                "pending_change_id": None,
            }
            events = BufferedBus()
            change = None
            # The guard decides whether the feature is guarded (one rule for every change).
            if core.auto_disable_requires_approval or await self._guard.is_guarded(uow, proposal):
                change = await self._request(uow, actor, proposal)
                if change is None:
                    return None
                payload["pending_change_id"] = change.id
            else:
                service = FeatureService(BoundStorage(uow), events, self._now)
                await service.toggle(actor, flag.feature_id, env.environment_key, False)
            await uow.health.add_auto_disable(
                AutoDisableRecord(
                    id=new_id(),
                    project_id=env.project_id,
                    environment_id=env.environment_id,
                    feature_id=flag.feature_id,
                    outcome="pending" if change else "disabled",
                    pending_change_id=change.id if change else None,
                    reason=reason,
                    errors=errors,
                    created_at=self._now(),
                )
            )
            await audit(
                uow,
                actor,
                self._now(),
                entity="feature_state",
                entity_id=f"{flag.feature_id}:{env.environment_key}",
                action="auto_disable_requested" if change else "auto_disable",
                project_id=env.project_id,
                environment_id=env.environment_id,
                feature_id=flag.feature_id,
                old={"enabled": True},
                new={
                    "enabled": bool(change),
                    **{k: v for k, v in payload.items() if k != "event_id"},
                },
            )
        return _Outcome(payload, events, change)

    async def _request(
        self, uow: Any, actor: Principal, proposal: ProposedChange
    ) -> PendingChange | None:
        """Open the pending change that switches the feature off, unless one is already open."""
        open_ones, _ = await uow.changes.list(
            project_ids={proposal.project_id},
            status="pending",
            feature_id=proposal.feature_id,
            environment_id=proposal.environment_id,
            origin="auto-disable",
            limit=1,
        )
        if open_ones:
            return None
        try:
            await self._guard.check_locks(uow, proposal)
        except ConflictError:
            # Another change to this feature is waiting; it must be decided first (logged, not lost:
            # the next error report retries).
            log.warning("auto-disable of %s waits for a pending change", proposal.summary)
            return None
        return await self._guard.store(uow, actor, proposal)


def _switch_off(
    env: EnvironmentSnapshot, flag: FlagSnapshot, feature_key: str, reason: str
) -> ProposedChange:
    """The change auto-disable makes: the feature off in the environment."""
    return ProposedChange(
        project_id=env.project_id,
        environment_id=env.environment_id,
        feature_id=flag.feature_id,
        operation="feature.toggle",
        arguments={
            "feature_id": flag.feature_id,
            "env_key": env.environment_key,
            "enabled": False,
        },
        entities=(
            EntityChange(
                "feature_state",
                f"{flag.feature_id}:{env.environment_id}",
                "update",
                {"enabled": {"old": True, "new": False}},
                f"{feature_key} in {env.environment_key}",
            ),
        ),
        summary=f"turn {feature_key} off in {env.environment_key} (automatic: {reason})",
        origin="auto-disable",
        reason=reason,
    )
