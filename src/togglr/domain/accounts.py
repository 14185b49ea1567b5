"""Users, roles and the permission table of project RBAC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from togglr.domain.errors import PermissionDeniedError

PERMISSIONS: tuple[str, ...] = (
    "project.view",
    "project.manage",
    "project.create",
    "feature.view",
    "feature.toggle",
    "feature.manage",
    "audit.view",
    "membership.manage",
    "segment.manage",
    "schedule.manage",
    "tag.manage",
    "experiment.manage",
    "change.approve",
)

_VIEW = ("project.view", "feature.view", "audit.view")
_EDIT = (
    *_VIEW,
    "feature.toggle",
    "feature.manage",
    "segment.manage",
    "schedule.manage",
    "tag.manage",
    "experiment.manage",
)

# role key -> (name, permissions). `project.create` is a global grant: an owner of any project
# may create new projects (and becomes their owner); superusers always may.
ROLES: dict[str, tuple[str, frozenset[str]]] = {
    "owner": (
        "Owner",
        frozenset(
            {*_EDIT, "project.manage", "membership.manage", "change.approve", "project.create"}
        ),
    ),
    "manager": ("Manager", frozenset({*_EDIT, "project.manage", "change.approve"})),
    "member": ("Member", frozenset({*_VIEW, "feature.toggle"})),
    "viewer": ("Viewer", frozenset({"project.view", "feature.view"})),
}


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    email: str
    is_superuser: bool
    is_active: bool
    is_tmp_password: bool
    is_external: bool
    created_at: datetime
    last_login: datetime | None = None
    password_hash: str = ""
    two_fa_enabled: bool = False


@dataclass(frozen=True, slots=True)
class Role:
    id: str
    key: str
    name: str
    permissions: frozenset[str]


@dataclass(frozen=True, slots=True)
class Membership:
    id: str
    project_id: str
    user_id: str
    role_key: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a user with their roles per project, or the system / an SDK."""

    user_id: str | None
    username: str
    is_superuser: bool
    roles: dict[str, str]  # project_id -> role key
    actor: str = "user"  # user | sdk | system
    request_id: str | None = None
    token_project_id: str | None = None  # set for project-scoped API tokens
    # The user still has a temporary password: only reading themselves and changing it is allowed.
    password_change_required: bool = False
    session_id: str | None = None  # the sign-in session (refresh-token family) of an access token

    def role_in(self, project_id: str) -> str | None:
        if self.token_project_id is not None and project_id != self.token_project_id:
            return None
        return self.roles.get(project_id)

    def can(self, project_id: str, permission: str) -> bool:
        if self.is_superuser and self.token_project_id is None:
            return True
        role = self.role_in(project_id)
        return role is not None and permission in ROLES[role][1]

    def can_create_projects(self) -> bool:
        if self.token_project_id is not None:
            return False
        return self.is_superuser or any(
            "project.create" in ROLES[r][1] for r in self.roles.values()
        )

    def visible_projects(self) -> set[str] | None:
        """None means every project (superuser)."""
        if self.is_superuser and self.token_project_id is None:
            return None
        return {p for p in self.roles if self.role_in(p) is not None}


def signed_in_user_id(principal: Principal, what: str) -> str:
    """The caller's own user id, for managing their credentials; API tokens may not (a leaked
    token must not be able to lock its owner out or make itself permanent)."""
    if principal.user_id is None or principal.token_project_id is not None:
        raise PermissionDeniedError(
            f"{what} are managed by their user, signed in; not by an API token"
        )
    return principal.user_id


SYSTEM = Principal(user_id=None, username="system", is_superuser=True, roles={}, actor="system")
