"""Pending changes: a proposed change to guarded entities, its readable diff, approvals and locks.

A guarded change is not applied when it is requested. The service that owns the entity builds a
`ProposedChange` (the operation to re-run later, plus an old → new diff of every entity it
touches) and hands it to the `ChangeGuard`. The guard decides whether approval is needed, locks
the entities and stores a `PendingChange`; approval later re-runs the operation with the guard
bypassed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from togglr.domain.accounts import ROLES, Principal
from togglr.domain.errors import TogglrError

ChangeStatus = Literal["pending", "approved", "rejected", "cancelled"]
STATUSES: tuple[str, ...] = ("pending", "approved", "rejected", "cancelled")
ORIGINS: tuple[str, ...] = ("user", "auto-disable")

# Event types published on the bus (payloads carry `change_id`).
CHANGE_REQUESTED = "change.requested"
CHANGE_APPROVED = "change.approved"  # one approval recorded, more are needed
CHANGE_DECIDED = "change.decided"  # applied, rejected or cancelled

MAX_REASON = 500

# What a change touches, for the one rule that decides whether it needs approval (`needs_approval`):
# - feature: a feature's state in one environment, or (environment None) its feature-wide fields;
# - guard: the guard's own settings (project or environment approval, required approvals, approvers);
# - environment: removing an environment; project: removing or archiving a project.
ChangeScope = Literal["feature", "guard", "environment", "project"]


@dataclass(frozen=True, slots=True)
class EntityChange:
    """What one entity would go through: `changes` maps each field to {"old": ..., "new": ...}."""

    entity: str  # feature | feature_state | variant | rule | schedule | algorithm ...
    entity_id: str
    action: Literal["create", "update", "delete"]
    changes: dict[str, dict[str, Any]]
    label: str = ""  # what a reader calls it: "checkout in prod", "variant blue"

    def to_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "entity_id": self.entity_id,
            "action": self.action,
            "label": self.label,
            "changes": self.changes,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> EntityChange:
        return cls(
            entity=str(raw["entity"]),
            entity_id=str(raw["entity_id"]),
            action=raw["action"],
            changes=dict(raw.get("changes") or {}),
            label=str(raw.get("label") or ""),
        )


@dataclass(frozen=True, slots=True)
class ProposedChange:
    """A change a service is about to make, described so that it can be replayed on approval.

    `operation` names the registered applier and `arguments` are its JSON arguments (they mirror
    the original request). `environment_id` is None for feature-wide changes (rename, tags,
    delete). `exclusive` changes (deleting a feature) conflict with every lock on the feature.
    """

    project_id: str
    environment_id: str | None
    feature_id: str | None
    operation: str
    arguments: dict[str, Any]
    entities: tuple[EntityChange, ...]
    summary: str
    origin: str = "user"
    reason: str = ""
    exclusive: bool = False
    scope: ChangeScope = "feature"
    guard_after: GuardSettings | None = None  # scope "guard": the guard as it would be after

    @property
    def is_empty(self) -> bool:
        """True when nothing would change (then no approval is needed)."""
        return not any(e.changes or e.action != "update" for e in self.entities)

    def lock_keys(self) -> tuple[str, ...]:
        if self.scope != "feature":
            return (self._scope_lock(),)
        return lock_keys(self.feature_id, self.environment_id, exclusive=self.exclusive)

    def conflicts(self) -> tuple[tuple[str, ...], str | None]:
        if self.scope != "feature":
            return (self._scope_lock(),), None
        return conflict_keys(self.feature_id, self.environment_id, exclusive=self.exclusive)

    def _scope_lock(self) -> str:
        """One pending change at a time per guard, environment or project: a second one would be
        approved under settings the first may already have changed."""
        if self.scope == "environment":
            return f"environment:{self.environment_id}"
        return f"project:{self.project_id}:{self.scope}"


@dataclass(frozen=True, slots=True)
class Approval:
    user_id: str
    username: str
    method: str  # password | totp
    approved_at: datetime


@dataclass(frozen=True, slots=True)
class PendingChange:
    id: str
    project_id: str
    environment_id: str | None
    environment_key: str | None
    feature_id: str | None
    feature_key: str | None
    operation: str
    arguments: dict[str, Any]
    entities: tuple[EntityChange, ...]
    summary: str
    origin: str
    reason: str
    status: ChangeStatus
    requested_by: str
    requested_by_id: str | None
    request_id: str | None
    created_at: datetime
    updated_at: datetime
    approvals: tuple[Approval, ...] = ()
    decided_at: datetime | None = None
    decided_by: str | None = None
    decided_by_id: str | None = None
    decision_reason: str | None = None
    locks: tuple[str, ...] = field(default=())

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"

    def approved_by(self, user_id: str | None) -> bool:
        return user_id is not None and any(a.user_id == user_id for a in self.approvals)


def lock_keys(
    feature_id: str | None, environment_id: str | None, *, exclusive: bool = False
) -> tuple[str, ...]:
    """The lock a change takes: the feature in one environment, the feature-wide fields, or (for
    a delete) the whole feature."""
    if feature_id is None:
        return ()
    if exclusive:
        return (f"feature:{feature_id}:all",)
    if environment_id is None:
        return (f"feature:{feature_id}",)
    return (f"feature:{feature_id}:env:{environment_id}",)


def conflict_keys(
    feature_id: str | None, environment_id: str | None, *, exclusive: bool = False
) -> tuple[tuple[str, ...], str | None]:
    """Locks that block a change: (exact keys, key prefix). A delete is blocked by any lock on
    the feature; anything else by its own lock or a pending delete."""
    if feature_id is None:
        return (), None
    if exclusive:
        return (), f"feature:{feature_id}"
    own = lock_keys(feature_id, environment_id)
    return (*own, f"feature:{feature_id}:all"), None


# --- diffs ------------------------------------------------------------------------------------


def diff_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Field-by-field old → new of two flat records; unchanged fields are left out."""
    out: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys([*old, *new]):
        before, after = old.get(name), new.get(name)
        if before != after:
            out[name] = {"old": before, "new": after}
    return out


def diff_items(
    entity: str,
    old: Mapping[str, Mapping[str, Any]],
    new: Mapping[str, Mapping[str, Any]],
    *,
    label: str = "",
) -> list[EntityChange]:
    """Create / update / delete entries of two keyed collections (variants by name, rules by id)."""
    changes: list[EntityChange] = []
    for key, after in new.items():
        before = old.get(key)
        if before is None:
            created = {k: {"old": None, "new": v} for k, v in after.items()}
            changes.append(EntityChange(entity, key, "create", created, label=f"{label}{key}"))
        else:
            fields = diff_fields(before, after)
            if fields:
                changes.append(EntityChange(entity, key, "update", fields, label=f"{label}{key}"))
    for key, before in old.items():
        if key not in new:
            deleted = {k: {"old": v, "new": None} for k, v in before.items()}
            changes.append(EntityChange(entity, key, "delete", deleted, label=f"{label}{key}"))
    return changes


# --- who may approve ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    """Project governance: which changes need approval, and who may give it.

    `approver_ids` empty means "the project's owners and managers" (permission change.approve);
    when set, only those users (and superusers) approve. `required_approvals` comes from the
    project settings.
    """

    requires_approval: bool = False  # every feature of the project is guarded
    approver_ids: frozenset[str] = frozenset()
    required_approvals: int = 1


def is_approver(principal: Principal, project_id: str, policy: ApprovalPolicy) -> bool:
    """Whether the principal may approve or reject changes in the project: a role that approves
    (checked now, so a listed approver who was demoted no longer approves), and when an approver
    list is set, being on it."""
    if principal.user_id is None:
        return False
    if principal.is_superuser and principal.token_project_id is None:
        return True
    if policy.approver_ids and principal.user_id not in policy.approver_ids:
        return False
    return principal.can(project_id, "change.approve")


def role_approves(role_key: str | None) -> bool:
    """Whether a project role may approve changes (approver lists hold only such users)."""
    return role_key in ROLES and "change.approve" in ROLES[role_key][1]


def is_guarded(
    tags: Iterable[str], *, environment_requires_approval: bool, policy: ApprovalPolicy
) -> bool:
    """A feature is guarded by its `guarded` tag, or by its environment's or project's setting."""
    return "guarded" in tags or environment_requires_approval or policy.requires_approval


@dataclass(frozen=True, slots=True)
class GuardSettings:
    """Everything that decides what needs approval and who gives it, for one project."""

    requires_approval: bool  # the project's switch
    required_approvals: int
    approver_ids: frozenset[str]
    guarded_environments: frozenset[str]  # ids of environments with requires_approval

    @property
    def policy(self) -> ApprovalPolicy:
        return ApprovalPolicy(self.requires_approval, self.approver_ids, self.required_approvals)


def weakens(before: GuardSettings, after: GuardSettings) -> bool:
    """Whether `after` lets through something `before` held back, or changes who approves.

    Switching approval on (project or environment) and raising the required approvals tighten
    the guard; any other change to these settings weakens it. A changed approver list counts as
    weakening whichever way it goes: it decides who approves, so it is approved by those who do.
    """
    return (
        (before.requires_approval and not after.requires_approval)
        or bool(before.guarded_environments - after.guarded_environments)
        or after.required_approvals < before.required_approvals
        or after.approver_ids != before.approver_ids
    )


@dataclass(frozen=True, slots=True)
class GuardFacts:
    """What the guard reads before deciding about one proposed change."""

    settings: GuardSettings
    feature_tags: tuple[str, ...]  # of the proposal's feature, if any
    has_tagged_features: bool  # some feature of the project carries the `guarded` tag

    @property
    def project_has_guard(self) -> bool:
        """Whether anything in the project is guarded at all."""
        s = self.settings
        return s.requires_approval or bool(s.guarded_environments) or self.has_tagged_features


def needs_approval(proposal: ProposedChange, facts: GuardFacts) -> bool:
    """THE rule: whether a proposed change touches something guarded. Every write path that can
    change what a guarded feature serves, or the guard itself, asks it (through the guard)."""
    settings = facts.settings
    if proposal.scope == "feature":
        if proposal.environment_id is not None:
            env_requires = proposal.environment_id in settings.guarded_environments
        else:  # feature-wide: it affects every environment
            env_requires = bool(settings.guarded_environments)
        return is_guarded(
            facts.feature_tags, environment_requires_approval=env_requires, policy=settings.policy
        )
    if proposal.scope == "guard":
        after = proposal.guard_after
        return after is not None and facts.project_has_guard and weakens(settings, after)
    if proposal.scope == "environment":  # removing it: it holds every feature's state there
        return (
            proposal.environment_id in settings.guarded_environments
            or settings.requires_approval
            or facts.has_tagged_features
        )
    return facts.project_has_guard  # removing or archiving the project


# --- the guard port -------------------------------------------------------------------------------


class ChangeGuard(Protocol):
    """What services consult before applying a change; governance provides the implementation."""

    async def intercept(
        self, uow: Any, principal: Principal, proposal: ProposedChange
    ) -> PendingChange | None:
        """Inside the caller's transaction: raise ConflictError if the entities are locked; store
        and return a PendingChange when approval is needed; return None to apply at once."""
        ...

    async def announce(self, change: PendingChange) -> None:
        """After the caller's commit: tell the world (events, notifications) about the change."""
        ...


class ApprovalRequiredError(TogglrError):
    """Not a failure: the change was stored as a pending change. The web layer answers 202."""

    code = "approval_required"

    def __init__(self, change: PendingChange) -> None:
        super().__init__(
            f"this change needs approval; pending change {change.id} was created",
            pending_change_id=change.id,
        )
        self.change = change
