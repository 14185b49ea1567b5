"""What every service whose changes may need approval shares: ask the guard, then hold the change."""

from __future__ import annotations

from typing import Any, NoReturn

from togglr.domain.accounts import Principal
from togglr.domain.changes import (
    ApprovalRequiredError,
    ChangeGuard,
    ChangeScope,
    EntityChange,
    GuardSettings,
    PendingChange,
    ProposedChange,
    diff_fields,
)


class Guarded:
    """Mixin: `guard` is set by the governance wiring; without it every change applies at once."""

    guard: ChangeGuard | None = None

    async def _propose(
        self, uow: Any, principal: Principal, proposal: ProposedChange
    ) -> PendingChange | None:
        """Ask the guard; None means apply now (not guarded, or no guard installed)."""
        return None if self.guard is None else await self.guard.intercept(uow, principal, proposal)

    async def _propose_one(
        self,
        uow: Any,
        principal: Principal,
        *,
        scope: ChangeScope,
        project_id: str,
        operation: str,
        arguments: dict[str, Any],
        entity: tuple[str, str, str],
        old: dict[str, Any],
        new: dict[str, Any] | None,
        summary: str,
        environment_id: str | None = None,
        guard_after: GuardSettings | None = None,
    ) -> PendingChange | None:
        """`_propose` for a change of one entity that is not a feature (`entity` is its kind,
        id and label): an update from `old` to `new`, or a removal when `new` is None."""
        kind, entity_id, label = entity
        if new is None:
            change = EntityChange(
                kind,
                entity_id,
                "delete",
                {k: {"old": v, "new": None} for k, v in old.items()},
                label,
            )
        else:
            change = EntityChange(kind, entity_id, "update", diff_fields(old, new), label)
        return await self._propose(
            uow,
            principal,
            ProposedChange(
                project_id=project_id,
                environment_id=environment_id,
                feature_id=None,
                operation=operation,
                arguments=arguments,
                entities=(change,),
                summary=summary,
                scope=scope,
                guard_after=guard_after,
            ),
        )

    async def _pending(self, change: PendingChange) -> NoReturn:
        """After the commit that stored `change`: announce it and answer 202 through the error path."""
        if self.guard is not None:
            await self.guard.announce(change)
        raise ApprovalRequiredError(change)
