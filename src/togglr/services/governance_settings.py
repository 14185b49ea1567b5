"""Governance knobs of a project that the core settings do not hold: project-wide approval,
the approver list, the optional error-share threshold and the staleness age.

They live in the same key/value `project_settings` table under a `governance.` prefix, so a
project carries one settings store.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from togglr.domain.accounts import Principal
from togglr.domain.changes import ApprovalPolicy, GuardSettings, role_approves
from togglr.domain.errors import InvalidInputError, NotFoundError
from togglr.domain.health import Thresholds
from togglr.domain.projects import ProjectSettings
from togglr.services.common import Clock, audit, require
from togglr.services.guarded import Guarded

PREFIX = "governance."
MAX_APPROVERS = 50


@dataclass(frozen=True, slots=True)
class GovernanceSettings:
    requires_approval: bool = False  # every feature of the project is guarded
    approver_ids: tuple[str, ...] = ()  # empty: owners and managers approve
    auto_disable_error_share: float | None = None  # e.g. 0.2: 20 % of reported outcomes are errors
    auto_disable_min_volume: int = 100  # outcomes in the window before the share counts
    stale_after_days: int = 30


def core_settings(raw: dict[str, Any]) -> ProjectSettings:
    base = ProjectSettings()
    return ProjectSettings(
        **{f.name: raw.get(f.name, getattr(base, f.name)) for f in fields(ProjectSettings)}
    )


def governance_settings(raw: dict[str, Any]) -> GovernanceSettings:
    """Read the stored knobs; a missing or malformed value falls back to its default."""
    base = GovernanceSettings()

    def count(name: str) -> int:
        found = raw.get(PREFIX + name)
        if isinstance(found, int) and not isinstance(found, bool) and found >= 1:
            return found
        default: int = getattr(base, name)
        return default

    requires = raw.get(PREFIX + "requires_approval")
    approvers = raw.get(PREFIX + "approver_ids")
    share = raw.get(PREFIX + "auto_disable_error_share")
    share_ok = isinstance(share, int | float) and not isinstance(share, bool) and 0 < share <= 1
    share_value = float(share) if share_ok and share is not None else None
    return GovernanceSettings(
        requires_approval=requires if isinstance(requires, bool) else base.requires_approval,
        approver_ids=tuple(a for a in approvers if isinstance(a, str))
        if isinstance(approvers, list)
        else (),
        auto_disable_error_share=share_value,
        auto_disable_min_volume=count("auto_disable_min_volume"),
        stale_after_days=count("stale_after_days"),
    )


async def load(uow: Any, project_id: str) -> tuple[ProjectSettings, GovernanceSettings]:
    raw = await uow.settings.get_all(project_id)
    return core_settings(raw), governance_settings(raw)


def approval_policy(core: ProjectSettings, gov: GovernanceSettings) -> ApprovalPolicy:
    return ApprovalPolicy(
        gov.requires_approval, frozenset(gov.approver_ids), core.required_approvals
    )


async def guard_settings(uow: Any, project_id: str) -> GuardSettings:
    """The project's guard as it stands: project switch, environments, required approvals and
    approver list."""
    core, gov = await load(uow, project_id)
    envs = await uow.environments.list_for_project(project_id)
    return GuardSettings(
        requires_approval=gov.requires_approval,
        required_approvals=core.required_approvals,
        approver_ids=frozenset(gov.approver_ids),
        guarded_environments=frozenset(e.id for e in envs if e.requires_approval),
    )


def thresholds(core: ProjectSettings, gov: GovernanceSettings) -> Thresholds:
    return Thresholds(
        core.auto_disable_error_threshold,
        core.auto_disable_time_window_sec,
        gov.auto_disable_error_share,
        gov.auto_disable_min_volume,
    )


def _validate(changes: dict[str, Any]) -> None:
    share = changes.get("auto_disable_error_share")
    if share is not None and (
        isinstance(share, bool)
        or not isinstance(share, int | float)
        or not math.isfinite(share)
        or not 0 < share <= 1
    ):
        raise InvalidInputError(
            "auto_disable_error_share: a fraction in (0, 1], or null to turn it off"
        )
    for name in ("auto_disable_min_volume", "stale_after_days"):
        value = changes.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise InvalidInputError(f"{name}: must be a positive integer")
    approvers = changes.get("approver_ids")
    if approvers is not None and len(approvers) > MAX_APPROVERS:
        raise InvalidInputError(f"approver_ids: at most {MAX_APPROVERS} users")


async def check_approvers(uow: Any, project_id: str, approver_ids: Any) -> tuple[str, ...]:
    """Approvers must be able to approve: superusers, or members whose role approves changes."""
    ids = tuple(dict.fromkeys(approver_ids))
    roles = {m.user_id: m.role_key for m in await uow.memberships.list_for_project(project_id)}
    for user_id in ids:
        user = await uow.users.find(user_id)
        if user is None or (user_id not in roles and not user.is_superuser):
            raise InvalidInputError(f"approver_ids: {user_id} is not a member of this project")
        if not user.is_superuser and not role_approves(roles[user_id]):
            raise InvalidInputError(
                f"approver_ids: {user.username} is a {roles[user_id]}, whose role cannot approve "
                "changes; approvers must be owners or managers"
            )
    return ids


class GovernanceSettingsService(Guarded):
    def __init__(self, storage: Any, clock: Clock) -> None:
        self._storage = storage
        self._now = clock

    async def get(self, principal: Principal, project_id: str) -> GovernanceSettings:
        if not principal.can(project_id, "project.view"):
            raise NotFoundError("project", project_id)
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            return (await load(uow, project_id))[1]

    async def put(
        self, principal: Principal, project_id: str, changes: dict[str, Any]
    ) -> GovernanceSettings:
        """Change some knobs. Weakening the guard (project approval off, another approver list)
        is a pending change, approved under the settings in force before it."""
        require(principal, project_id, "project.manage")
        # null means "leave as is", except for the share, where it turns the threshold off
        changes = {
            k: v for k, v in changes.items() if v is not None or k == "auto_disable_error_share"
        }
        _validate(changes)
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            old = (await load(uow, project_id))[1]
            if "approver_ids" in changes:
                ids = await check_approvers(uow, project_id, changes["approver_ids"])
                changes = {**changes, "approver_ids": ids}
            new = replace(old, **changes)
            before = await guard_settings(uow, project_id)
            pending = await self._propose_one(
                uow,
                principal,
                scope="guard",
                project_id=project_id,
                operation="governance.update",
                arguments={"project_id": project_id, "changes": _json_changes(changes)},
                entity=("project_settings", project_id, "governance settings"),
                old=_json(old),
                new=_json(new),
                summary="change the governance settings",
                guard_after=replace(
                    before,
                    requires_approval=new.requires_approval,
                    approver_ids=frozenset(new.approver_ids),
                ),
            )
            if pending is None:
                now = self._now()
                stored = asdict(new)
                stored["approver_ids"] = list(new.approver_ids)
                await uow.settings.put(project_id, {PREFIX + k: v for k, v in stored.items()}, now)
                await audit(
                    uow,
                    principal,
                    now,
                    entity="project_settings",
                    entity_id=project_id,
                    action="update",
                    project_id=project_id,
                    old={"governance": _json(old)},
                    new={"governance": _json(new)},
                )
        if pending is not None:
            await self._pending(pending)
        return new


def _json_changes(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}


def _json(s: GovernanceSettings) -> dict[str, Any]:
    out = asdict(s)
    out["approver_ids"] = list(s.approver_ids)
    return out
