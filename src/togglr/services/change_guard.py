"""The change guard: decides whether a change needs approval, holds entity locks, stores pending
changes, and replays approved ones through the appliers that capabilities register.

Services call `intercept()` inside their own transaction, just before they would write. It
raises ConflictError when a pending change holds the entities, returns a stored PendingChange when
the feature is guarded, and returns None to let the service apply the change itself. Approval
replays the change by calling the registered applier for its `operation`, which re-runs the same
service method with the guard bypassed, inside the approval's transaction (`BoundStorage`), and
with events held back until that transaction commits (`BufferedBus`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from togglr.domain.accounts import Principal
from togglr.domain.changes import (
    CHANGE_REQUESTED,
    ChangeGuard,
    GuardFacts,
    PendingChange,
    ProposedChange,
    needs_approval,
)
from togglr.domain.errors import ConflictError, InvalidInputError
from togglr.domain.events import DomainEvent
from togglr.domain.ids import new_id
from togglr.eventbus import EventBus, EventHandler
from togglr.services import governance_settings
from togglr.services.common import Clock, audit

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ApplyContext:
    """What an applier gets: storage and bus to build its service with, and who acts."""

    storage: Any
    bus: EventBus
    clock: Clock
    principal: Principal
    guard: ChangeGuard | None  # None when applying an approved change


Applier = Callable[[ApplyContext, dict[str, Any]], Awaitable[None]]


class BoundStorage:
    """A storage whose units of work all join one open transaction."""

    def __init__(self, uow: Any) -> None:
        self._uow = uow

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Any]:
        yield self._uow


class BufferedBus:
    """Collects events while a change is applied; `flush` publishes them after the commit."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def publish(self, event: DomainEvent) -> None:
        self.events.append(event)

    def subscribe(self, handler: EventHandler) -> None:
        raise RuntimeError("a buffered bus has no subscribers")

    async def flush(self, bus: EventBus) -> None:
        for event in self.events:
            await bus.publish(event)
        self.events.clear()


def change_json(change: PendingChange) -> dict[str, Any]:
    """Audit form of a pending change."""
    return {
        "operation": change.operation,
        "summary": change.summary,
        "arguments": change.arguments,
        "diff": [e.to_json() for e in change.entities],
        "origin": change.origin,
        "reason": change.reason,
    }


class GovernanceGuard:
    """The ChangeGuard of Togglr (see module doc); `services.extra["change_guard"]` holds it."""

    def __init__(self, storage: Any, bus: EventBus, clock: Clock) -> None:
        self._storage = storage
        self._bus = bus
        self._now = clock
        self._appliers: dict[str, Applier] = {}

    # --- appliers ----------------------------------------------------------------------------
    def register_applier(self, operation: str, applier: Applier) -> None:
        """Tell the guard how to replay `operation` once it is approved."""
        self._appliers[operation] = applier

    def applier(self, operation: str) -> Applier:
        found = self._appliers.get(operation)
        if found is None:
            raise ConflictError(
                f"no capability can apply {operation!r} changes on this server", code="apply_failed"
            )
        return found

    # --- the ChangeGuard protocol --------------------------------------------------------------
    async def intercept(
        self, uow: Any, principal: Principal, proposal: ProposedChange
    ) -> PendingChange | None:
        await self.check_locks(uow, proposal)
        if proposal.is_empty or not await self.is_guarded(uow, proposal):
            return None
        return await self.store(uow, principal, proposal)

    async def announce(self, change: PendingChange) -> None:
        await self._bus.publish(
            DomainEvent(
                CHANGE_REQUESTED,
                project_id=change.project_id,
                environment_id=change.environment_id,
                feature_id=change.feature_id,
                payload={"change_id": change.id, "event_id": new_id()},
            )
        )

    # --- the rules -------------------------------------------------------------------------------
    async def check_locks(
        self, uow: Any, proposal: ProposedChange, *, ignore: str | None = None
    ) -> None:
        keys, prefix = proposal.conflicts()
        holders = {
            k: v for k, v in (await uow.changes.lock_holders(keys, prefix)).items() if v != ignore
        }
        if holders:
            holder = sorted(holders.values())[0]
            raise ConflictError(
                f"this feature is locked by pending change {holder}; "
                "approve, reject or cancel it first",
                code="locked",
                pending_change_id=holder,
            )

    async def is_guarded(self, uow: Any, proposal: ProposedChange) -> bool:
        """Whether the change needs approval: the facts are read here, the rule is
        `domain.changes.needs_approval`, and nothing else decides it."""
        tags: tuple[str, ...] = ()
        if proposal.feature_id is not None:
            feature = await uow.features.find(proposal.feature_id)
            tags = feature.tags if feature is not None else ()
        _, tagged = await uow.features.list(proposal.project_id, tag="guarded", offset=0, limit=1)
        facts = GuardFacts(
            settings=await governance_settings.guard_settings(uow, proposal.project_id),
            feature_tags=tags,
            has_tagged_features=tagged > 0,
        )
        return needs_approval(proposal, facts)

    async def store(
        self, uow: Any, principal: Principal, proposal: ProposedChange
    ) -> PendingChange:
        """Save a pending change and take its locks (callers checked the locks first)."""
        now = self._now()
        feature = await uow.features.find(proposal.feature_id) if proposal.feature_id else None
        env = (
            await uow.environments.find(proposal.environment_id)
            if proposal.environment_id
            else None
        )
        change = PendingChange(
            id=new_id(),
            project_id=proposal.project_id,
            environment_id=proposal.environment_id,
            environment_key=env.key if env else None,
            feature_id=proposal.feature_id,
            feature_key=feature.key if feature else None,
            operation=proposal.operation,
            arguments=proposal.arguments,
            entities=proposal.entities,
            summary=proposal.summary,
            origin=proposal.origin,
            reason=proposal.reason,
            status="pending",
            requested_by=principal.username,
            requested_by_id=principal.user_id,
            request_id=principal.request_id,
            created_at=now,
            updated_at=now,
            locks=proposal.lock_keys(),
        )
        await uow.changes.add(change)
        await audit(
            uow,
            principal,
            now,
            entity="pending_change",
            entity_id=change.id,
            action="create",
            project_id=change.project_id,
            environment_id=change.environment_id,
            feature_id=change.feature_id,
            new=change_json(change),
        )
        return change


class EditingGuard:
    """Used when a pending change is edited: the re-run operation updates that change in place."""

    def __init__(self, guard: GovernanceGuard, change: PendingChange, clock: Clock) -> None:
        self._guard = guard
        self._change = change
        self._now = clock

    async def intercept(
        self, uow: Any, principal: Principal, proposal: ProposedChange
    ) -> PendingChange | None:
        old = self._change
        same_target = (proposal.operation, proposal.feature_id, proposal.environment_id) == (
            old.operation,
            old.feature_id,
            old.environment_id,
        )
        if not same_target:
            raise InvalidInputError(
                "arguments: an edit cannot move a change to another feature, environment "
                "or operation"
            )
        if proposal.is_empty:
            raise InvalidInputError(
                "arguments: the edited change would change nothing; cancel it instead"
            )
        await self._guard.check_locks(uow, proposal, ignore=old.id)
        current: PendingChange = await uow.changes.get(old.id)
        if not current.is_pending:
            raise ConflictError(f"the change is already {current.status}", code="not_pending")
        now = self._now()
        await uow.changes.update_proposal(
            old.id, proposal.arguments, proposal.entities, proposal.summary, now
        )
        edited = replace(
            current,
            arguments=proposal.arguments,
            entities=proposal.entities,
            summary=proposal.summary,
            updated_at=now,
            approvals=(),
        )
        await audit(
            uow,
            principal,
            now,
            entity="pending_change",
            entity_id=old.id,
            action="edit",
            project_id=old.project_id,
            environment_id=old.environment_id,
            feature_id=old.feature_id,
            old=change_json(current),
            new=change_json(edited),
        )
        return edited

    async def announce(self, change: PendingChange) -> None:
        await self._guard.announce(change)
