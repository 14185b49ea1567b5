"""Pending changes: list, read, approve (with re-authentication), reject, cancel and edit.

Approval applies the whole change in the approval's own transaction: the registered applier
re-runs the original service method against that transaction with the guard bypassed, so
the change, its audit rows and the status update commit together or not at all.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from togglr.domain.accounts import Principal
from togglr.domain.changes import (
    CHANGE_APPROVED,
    CHANGE_DECIDED,
    MAX_REASON,
    STATUSES,
    Approval,
    ApprovalRequiredError,
    PendingChange,
    is_approver,
)
from togglr.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    TogglrError,
)
from togglr.domain.events import DomainEvent
from togglr.domain.ids import new_id
from togglr.eventbus import EventBus
from togglr.services import governance_settings
from togglr.services.accounts import PasswordAuthenticator, verify_password
from togglr.services.change_guard import (
    ApplyContext,
    BoundStorage,
    BufferedBus,
    EditingGuard,
    GovernanceGuard,
    change_json,
)
from togglr.services.common import Clock, Page, audit, offset_of
from togglr.services.ratelimit import RateLimiter

TotpVerifier = Callable[[str, str], Awaitable[bool]]
_ACTIONS = {"rejected": "reject", "cancelled": "cancel"}
MAX_REAUTH_FAILURES = 5
REAUTH_WINDOW_SEC = 15 * 60


class ReauthLimiter:
    """Counts failed re-authentications per user so approve cannot be used to guess passwords.

    The fallback when no shared rate limiter is installed (the identity capability provides one
    that every node shares); in memory, it limits per node.
    """

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def check(self, user_id: str) -> None:
        recent = self._recent(user_id)
        if len(recent) >= MAX_REAUTH_FAILURES:
            retry = int(REAUTH_WINDOW_SEC - (time.monotonic() - recent[0])) + 1
            raise RateLimitedError(
                "too many failed re-authentications; try again later", retry_after=retry
            )

    def fail(self, user_id: str) -> None:
        self._recent(user_id).append(time.monotonic())

    def _recent(self, user_id: str) -> deque[float]:
        queue = self._failures[user_id]
        while queue and time.monotonic() - queue[0] > REAUTH_WINDOW_SEC:
            queue.popleft()
        return queue


class ChangeService:
    def __init__(
        self,
        storage: Any,
        bus: EventBus,
        clock: Clock,
        guard: GovernanceGuard,
        *,
        password_authenticators: list[PasswordAuthenticator] | None = None,
        totp_verifier: Callable[[], TotpVerifier | None] = lambda: None,
        rate_limiter: Callable[[], RateLimiter | None] = lambda: None,
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._now = clock
        self._guard = guard
        self._authenticators = (
            password_authenticators if password_authenticators is not None else []
        )
        self._totp = totp_verifier
        self._shared_limiter = rate_limiter
        self._limiter = ReauthLimiter()

    # --- reads -----------------------------------------------------------------------------------
    async def list(
        self,
        principal: Principal,
        project_id: str | None,
        *,
        status: str | None = None,
        environment_key: str | None = None,
        feature_id: str | None = None,
        requested_by: str | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> Page[PendingChange]:
        """One project's changes, or (project_id None) those of every project the caller sees."""
        if status is not None and status not in STATUSES:
            raise InvalidInputError(f"status: one of {', '.join(STATUSES)}")
        if environment_key is not None and project_id is None:
            raise InvalidInputError("environment_key: filtering by environment needs a project")
        async with self._storage.unit_of_work() as uow:
            if project_id is not None:
                if not principal.can(project_id, "feature.view"):
                    raise NotFoundError("project", project_id)
                await uow.projects.get(project_id)
                projects: set[str] | None = {project_id}
            else:
                visible = principal.visible_projects()
                projects = (
                    None
                    if visible is None
                    else {p for p in visible if principal.can(p, "feature.view")}
                )
            env_id = None
            if environment_key is not None and project_id is not None:
                env_id = (await uow.environments.get_by_key(project_id, environment_key)).id
            items, total = await uow.changes.list(
                project_ids=projects,
                status=status,
                environment_id=env_id,
                feature_id=feature_id,
                requested_by=requested_by,
                offset=offset_of(page, per_page),
                limit=per_page,
            )
        return Page(items, total, page, per_page)

    async def get(self, principal: Principal, change_id: str) -> PendingChange:
        async with self._storage.unit_of_work() as uow:
            return await self._visible(uow, principal, change_id)

    async def required_approvals(self, project_id: str) -> int:
        async with self._storage.unit_of_work() as uow:
            core, _ = await governance_settings.load(uow, project_id)
        return core.required_approvals

    @staticmethod
    async def _visible(uow: Any, principal: Principal, change_id: str) -> PendingChange:
        change: PendingChange = await uow.changes.get(change_id)
        if not principal.can(change.project_id, "feature.view"):
            raise NotFoundError("pending change", change_id)
        return change

    # --- approve ---------------------------------------------------------------------------------
    async def approve(
        self,
        principal: Principal,
        change_id: str,
        *,
        password: str | None = None,
        totp: str | None = None,
    ) -> PendingChange:
        """Record one approval (confirmed by password or TOTP); apply once enough are in."""
        if (password is None) == (totp is None):
            raise InvalidInputError("give either password or totp to confirm it is you")
        if principal.user_id is None:
            raise PermissionDeniedError("approvals need a signed-in user")
        async with self._storage.unit_of_work() as uow:
            change = await self._visible(uow, principal, change_id)
            core, gov = await governance_settings.load(uow, change.project_id)
            self._check_approver(principal, change, governance_settings.approval_policy(core, gov))
        method = await self._reauthenticate(principal.user_id, password, totp)
        now = self._now()
        events = BufferedBus()
        async with self._storage.unit_of_work() as uow:
            change = await uow.changes.get(change_id)  # re-read: it may have moved on meanwhile
            core, gov = await governance_settings.load(uow, change.project_id)
            self._check_approver(principal, change, governance_settings.approval_policy(core, gov))
            approval = Approval(principal.user_id, principal.username, method, now)
            await uow.changes.add_approval(change.id, approval)
            count = len(change.approvals) + 1
            await audit(
                uow,
                principal,
                now,
                entity="pending_change",
                entity_id=change.id,
                action="approve",
                project_id=change.project_id,
                environment_id=change.environment_id,
                feature_id=change.feature_id,
                new={"approvals": count, "required": core.required_approvals, "method": method},
            )
            applied = count >= core.required_approvals
            if applied:
                await self._apply(uow, principal, change, events)
                await uow.changes.decide(
                    change.id,
                    "approved",
                    by=principal.username,
                    by_id=principal.user_id,
                    reason=None,
                    now=now,
                )
            found: PendingChange | None = await uow.changes.find(change.id)
            # An approved removal of its environment or project takes the change's row with it
            # (the audit log keeps the record): answer what the row would have said.
            result = found or replace(
                change,
                status="approved",
                approvals=(*change.approvals, approval),
                decided_at=now,
                decided_by=principal.username,
                decided_by_id=principal.user_id,
                updated_at=now,
            )
        await events.flush(self._bus)
        await self._publish(CHANGE_DECIDED if applied else CHANGE_APPROVED, result)
        return result

    def _check_approver(self, principal: Principal, change: PendingChange, policy: Any) -> None:
        if not is_approver(principal, change.project_id, policy):
            raise PermissionDeniedError(
                "permission denied: only the project's approvers (owners and managers, or the "
                "configured approver list) approve changes"
            )
        if not change.is_pending:
            raise ConflictError(f"the change is already {change.status}", code="not_pending")
        if change.requested_by_id is not None and change.requested_by_id == principal.user_id:
            raise PermissionDeniedError("you cannot approve your own change", code="self_approval")
        if change.approved_by(principal.user_id):
            raise ConflictError("you already approved this change", code="already_approved")

    async def _reauthenticate(self, user_id: str, password: str | None, totp: str | None) -> str:
        """Check a fresh password or TOTP code of the approver; returns the method used."""
        shared = self._shared_limiter()
        if shared is not None:
            await shared.check(shared.limits.reauth_user, user_id)
        else:
            self._limiter.check(user_id)
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(user_id)
        if totp is not None:
            verifier = self._totp()
            if verifier is None or not user.two_fa_enabled:
                raise InvalidInputError(
                    "totp: 2FA is not enabled for your account; confirm with your password"
                )
            # Outside our transaction: the verifier opens its own (and rate-limits by itself).
            ok, method = await verifier(user_id, totp), "totp"
        else:
            assert password is not None
            ok, method = (
                await asyncio.to_thread(verify_password, user.password_hash, password),
                "password",
            )
            if not ok and self._authenticators:  # directory users (LDAP) have no local hash
                async with self._storage.unit_of_work() as uow:
                    for authenticate in self._authenticators:
                        found = await authenticate(uow, user.username, password)
                        if found is not None and found.id == user_id:
                            ok = True
                            break
        if not ok or not user.is_active:
            if shared is not None:
                await shared.count(shared.limits.reauth_user, user_id)
            else:
                self._limiter.fail(user_id)
            raise PermissionDeniedError(
                "re-authentication failed: wrong password or code", code="reauth_failed"
            )
        return method

    async def _apply(
        self, uow: Any, approver: Principal, change: PendingChange, events: BufferedBus
    ) -> None:
        """Replay the change inside `uow`, as its requester, with the guard out of the way."""
        applier = self._guard.applier(change.operation)
        actor = Principal(
            user_id=change.requested_by_id,
            username=change.requested_by,
            # The request was authorised when it was made; the approval authorises applying it.
            is_superuser=True,
            roles={},
            actor="system" if change.requested_by_id is None else "user",
            request_id=approver.request_id,
        )
        context = ApplyContext(BoundStorage(uow), events, self._now, actor, None)
        try:
            await applier(context, dict(change.arguments))
        except TogglrError as exc:
            raise ConflictError(
                f"the change cannot be applied any more: {exc.message}; reject or cancel it",
                code="apply_failed",
            ) from exc
        await audit(
            uow,
            approver,
            self._now(),
            entity="pending_change",
            entity_id=change.id,
            action="apply",
            project_id=change.project_id,
            environment_id=change.environment_id,
            feature_id=change.feature_id,
            new=change_json(change),
        )

    # --- reject, cancel ---------------------------------------------------------------------------
    async def reject(self, principal: Principal, change_id: str, reason: str) -> PendingChange:
        reason = reason.strip()
        if not 1 <= len(reason) <= MAX_REASON:
            raise InvalidInputError(f"reason: 1-{MAX_REASON} characters saying why")
        async with self._storage.unit_of_work() as uow:
            change = await self._visible(uow, principal, change_id)
            core, gov = await governance_settings.load(uow, change.project_id)
            if not is_approver(
                principal, change.project_id, governance_settings.approval_policy(core, gov)
            ):
                raise PermissionDeniedError(
                    "permission denied: only the project's approvers reject changes"
                )
            result = await self._decide(uow, principal, change, "rejected", reason)
        await self._publish(CHANGE_DECIDED, result)
        return result

    async def cancel(
        self, principal: Principal, change_id: str, reason: str | None = None
    ) -> PendingChange:
        """The requester withdraws the change (managers may too, e.g. for a departed user)."""
        async with self._storage.unit_of_work() as uow:
            change = await self._visible(uow, principal, change_id)
            own = change.requested_by_id is not None and change.requested_by_id == principal.user_id
            if not own and not principal.can(change.project_id, "project.manage"):
                raise PermissionDeniedError(
                    "permission denied: only the requester or a project manager cancels"
                )
            result = await self._decide(
                uow, principal, change, "cancelled", (reason or "").strip()[:MAX_REASON] or None
            )
        await self._publish(CHANGE_DECIDED, result)
        return result

    async def _decide(
        self, uow: Any, principal: Principal, change: PendingChange, status: str, reason: str | None
    ) -> PendingChange:
        now = self._now()
        if not await uow.changes.decide(
            change.id,
            status,
            by=principal.username,
            by_id=principal.user_id,
            reason=reason,
            now=now,
        ):
            raise ConflictError(f"the change is already {change.status}", code="not_pending")
        await audit(
            uow,
            principal,
            now,
            entity="pending_change",
            entity_id=change.id,
            action=_ACTIONS[status],
            project_id=change.project_id,
            environment_id=change.environment_id,
            feature_id=change.feature_id,
            new={"status": status, "reason": reason},
        )
        result: PendingChange = await uow.changes.get(change.id)
        return result

    # --- edit -------------------------------------------------------------------------------------
    async def edit(
        self, principal: Principal, change_id: str, arguments: dict[str, Any]
    ) -> PendingChange:
        """Change what a pending change would do (requester only); clears its approvals.

        The new arguments are merged over the old ones and run through the same service method
        as the original request, so they are validated the same way.
        """
        async with self._storage.unit_of_work() as uow:
            change = await self._visible(uow, principal, change_id)
        if change.requested_by_id is None or change.requested_by_id != principal.user_id:
            raise PermissionDeniedError(
                "only the requester edits a pending change; others reject or cancel it"
            )
        if not change.is_pending:
            raise ConflictError(f"the change is already {change.status}", code="not_pending")
        merged = {**change.arguments, **arguments}
        editing = EditingGuard(self._guard, change, self._now)
        context = ApplyContext(self._storage, self._bus, self._now, principal, editing)
        try:
            await self._guard.applier(change.operation)(context, merged)
        except ApprovalRequiredError as done:
            return done.change
        raise InvalidInputError(
            "arguments: the edited change would change nothing; cancel it instead"
        )

    # --- housekeeping -----------------------------------------------------------------------------
    async def cancel_for_deleted_feature(self, feature_id: str) -> None:
        """Bus handler work: pending changes of a deleted feature can never apply; close them."""
        async with self._storage.unit_of_work() as uow:
            ids = await uow.changes.cancel_for_feature(
                feature_id, self._now(), "the feature was deleted"
            )
            changes = [await uow.changes.get(i) for i in ids]
        for change in changes:
            await self._publish(CHANGE_DECIDED, change)

    async def _publish(self, event_type: str, change: PendingChange) -> None:
        await self._bus.publish(
            DomainEvent(
                event_type,
                project_id=change.project_id,
                environment_id=change.environment_id,
                feature_id=change.feature_id,
                payload={"change_id": change.id, "status": change.status, "event_id": new_id()},
            )
        )
