"""The storage port: one small repository protocol per aggregate, a unit of work, and the storage.

Services depend on these protocols only; `storage.sql` implements them for SQLite and PostgreSQL.
Capabilities that add their own repositories attach them to the unit of work as extra attributes.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from togglr.domain.accounts import Membership, User
from togglr.domain.audit import AuditEntry
from togglr.domain.features import Feature, FeatureState, Rule
from togglr.domain.feedback import FeedbackEvent
from togglr.domain.projects import Environment, Project
from togglr.domain.segments import Segment
from togglr.domain.tags import Category, Tag


class ProjectRepository(Protocol):
    async def add(self, project: Project) -> None: ...

    async def update(self, project: Project) -> None: ...

    async def delete(self, project_id: str) -> None: ...

    async def find(self, project_id: str) -> Project | None: ...

    async def get(self, project_id: str) -> Project: ...

    async def list(
        self,
        *,
        ids: set[str] | None,
        search: str | None,
        include_archived: bool,
        offset: int,
        limit: int,
    ) -> tuple[list[Project], int]: ...


class EnvironmentRepository(Protocol):
    async def add(self, env: Environment) -> None: ...

    async def update(self, env: Environment) -> None: ...

    async def delete(self, env_id: str) -> None: ...

    async def list_for_project(self, project_id: str) -> list[Environment]: ...

    async def list_all(self) -> list[Environment]: ...

    async def find_by_key(self, project_id: str, key: str) -> Environment | None: ...

    async def get_by_key(self, project_id: str, key: str) -> Environment: ...

    async def find(self, env_id: str) -> Environment | None: ...


class SettingsRepository(Protocol):
    async def get_all(self, project_id: str) -> dict[str, Any]: ...

    async def put(self, project_id: str, values: dict[str, Any], now: datetime) -> None: ...


class FeatureRepository(Protocol):
    async def add(self, feature: Feature) -> None: ...

    async def update(self, feature: Feature) -> None: ...

    async def delete(self, feature_id: str) -> None: ...

    async def set_tags(self, feature_id: str, tag_ids: list[str]) -> None: ...

    async def find(self, feature_id: str) -> Feature | None: ...

    async def get(self, feature_id: str) -> Feature: ...

    async def find_by_key(self, project_id: str, key: str) -> Feature | None: ...

    async def list(
        self,
        project_id: str | None,
        *,
        search: str | None = None,
        kind: str | None = None,
        tag: str | None = None,
        offset: int = 0,
        limit: int = 1_000_000,
    ) -> tuple[list[Feature], int]: ...


class FeatureStateRepository(Protocol):
    async def create(self, feature_id: str, environment_id: str, now: datetime) -> None: ...

    async def list(
        self, *, feature_ids: list[str] | None = None, environment_id: str | None = None
    ) -> list[FeatureState]: ...

    async def get(self, feature_id: str, environment_id: str) -> FeatureState: ...

    async def set_enabled(
        self, feature_id: str, environment_id: str, enabled: bool, now: datetime
    ) -> None: ...

    async def replace(self, state: FeatureState, now: datetime) -> None:
        """Write the whole environment state; rule ids are kept, variants matched by name."""
        ...

    async def rules_for_segment(self, segment_id: str) -> list[tuple[str, str, Rule]]:
        """(feature_id, environment_id, rule) for every rule built from the segment."""
        ...

    async def update_rule_condition(
        self, rule_id: str, condition: dict[str, Any], is_customized: bool
    ) -> None: ...

    async def touch_evaluated(self, seen: dict[tuple[str, str], datetime]) -> None: ...


class SegmentRepository(Protocol):
    async def add(self, segment: Segment) -> None: ...

    async def update(self, segment: Segment) -> None: ...

    async def delete(self, segment_id: str) -> None: ...

    async def get(self, segment_id: str) -> Segment: ...

    async def list(
        self, project_id: str, *, search: str | None, offset: int, limit: int
    ) -> tuple[list[Segment], int]: ...


class TagRepository(Protocol):
    async def add(self, tag: Tag) -> None: ...

    async def update(self, tag: Tag) -> None: ...

    async def delete(self, tag_id: str) -> None: ...

    async def get(self, tag_id: str) -> Tag: ...

    async def list(self, project_id: str) -> list[Tag]: ...


class CategoryRepository(Protocol):
    async def add(self, category: Category) -> None: ...

    async def update(self, category: Category) -> None: ...

    async def delete(self, category_id: str) -> None: ...

    async def get(self, category_id: str) -> Category: ...

    async def list(self) -> list[Category]: ...

    async def list_attributes(self) -> list[tuple[str, str]]: ...

    async def add_attribute(self, name: str, description: str) -> None: ...

    async def delete_attribute(self, name: str) -> None: ...

    async def count_attributes(self) -> int: ...


class UserRepository(Protocol):
    async def add(self, user: User) -> None: ...

    async def update(self, user: User, now: datetime) -> None: ...

    async def delete(self, user_id: str) -> None: ...

    async def find(self, user_id: str) -> User | None: ...

    async def get(self, user_id: str) -> User: ...

    async def find_by_login(self, login: str) -> User | None:
        """By username, then by e-mail (case-insensitive)."""
        ...

    async def count(self) -> int: ...

    async def list(
        self, *, search: str | None, offset: int, limit: int
    ) -> tuple[list[User], int]: ...


class MembershipRepository(Protocol):
    async def add(self, membership: Membership) -> None: ...

    async def update_role(self, membership_id: str, role_key: str) -> None: ...

    async def delete(self, membership_id: str) -> None: ...

    async def get(self, membership_id: str) -> Membership: ...

    async def list_for_project(self, project_id: str) -> list[Membership]: ...

    async def roles_of(self, user_id: str) -> dict[str, str]: ...


class RefreshTokenRepository(Protocol):
    async def add(
        self,
        jti: str,
        user_id: str,
        family_id: str,
        now: datetime,
        expires_at: datetime,
        user_agent: str,
        ip: str,
    ) -> None: ...

    async def find(self, jti: str) -> Any: ...

    async def mark_used(self, jti: str, now: datetime) -> bool:
        """Atomically claim a token for rotation; False if someone already used it."""
        ...

    async def revoke_family(self, family_id: str, now: datetime) -> None: ...

    async def revoke_user(self, user_id: str, now: datetime) -> None: ...

    async def list_active_families(self, user_id: str, now: datetime) -> list[Any]: ...


class AuditRepository(Protocol):
    async def add(self, entry: AuditEntry) -> None: ...

    async def list(
        self,
        project_id: str,
        *,
        feature_id: str | None = None,
        environment_id: str | None = None,
        user_id: str | None = None,
        actor: str | None = None,
        entity: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[AuditEntry], int]: ...


class EventRepository(Protocol):
    async def add_feedback(self, rows: list[FeedbackEvent]) -> list[bool]:
        """Insert events; an event whose dedup_key was seen before is skipped. Returns inserted flags."""
        ...

    async def add_error_report(
        self,
        *,
        project_id: str,
        environment_id: str,
        feature_id: str,
        error_type: str,
        error_message: str,
        context: dict[str, Any] | None,
        created_at: datetime,
    ) -> None: ...

    async def count_errors(self, feature_id: str, environment_id: str, since: datetime) -> int: ...

    async def last_error_at(self, feature_id: str, environment_id: str) -> datetime | None: ...

    async def count_feedback(self, feature_id: str, environment_id: str) -> int: ...


class UnitOfWork(Protocol):
    """One transaction: commits when the `async with` block exits normally, rolls back otherwise."""

    projects: ProjectRepository
    environments: EnvironmentRepository
    settings: SettingsRepository
    features: FeatureRepository
    states: FeatureStateRepository
    segments: SegmentRepository
    tags: TagRepository
    categories: CategoryRepository
    users: UserRepository
    memberships: MembershipRepository
    refresh_tokens: RefreshTokenRepository
    audit: AuditRepository
    events: EventRepository

    def __getattr__(self, name: str) -> Any: ...  # capability repositories


class Storage(Protocol):
    url: str

    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]: ...

    async def migrate(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> bool: ...
