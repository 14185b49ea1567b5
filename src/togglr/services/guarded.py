"""What every service whose changes may need approval shares: ask the guard, then hold the change."""

from __future__ import annotations

from typing import Any, NoReturn

from togglr.domain.accounts import Principal
from togglr.domain.changes import ApprovalRequiredError, ChangeGuard, PendingChange, ProposedChange


class Guarded:
    """Mixin: `guard` is set by the governance wiring; without it every change applies at once."""

    guard: ChangeGuard | None = None

    async def _propose(
        self, uow: Any, principal: Principal, proposal: ProposedChange
    ) -> PendingChange | None:
        """Ask the guard; None means apply now (not guarded, or no guard installed)."""
        return None if self.guard is None else await self.guard.intercept(uow, principal, proposal)

    async def _pending(self, change: PendingChange) -> NoReturn:
        """After the commit that stored `change`: announce it and answer 202 through the error path."""
        if self.guard is not None:
            await self.guard.announce(change)
        raise ApprovalRequiredError(change)
