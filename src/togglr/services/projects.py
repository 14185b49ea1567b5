"""Projects, environments with their SDK keys, and project settings."""

from __future__ import annotations

import re
from dataclasses import asdict, fields, replace
from typing import Any

from togglr.domain.accounts import Membership, Principal
from togglr.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from togglr.domain.events import (
    ENVIRONMENT_CHANGED,
    ENVIRONMENT_DELETED,
    PROJECT_CHANGED,
    PROJECT_DELETED,
    DomainEvent,
)
from togglr.domain.ids import ENV_KEY_PATTERN, new_id, new_sdk_key
from togglr.domain.projects import DEFAULT_ENVIRONMENTS, Environment, Project, ProjectSettings
from togglr.domain.tags import SAFETY_TAGS, Tag
from togglr.eventbus import EventBus
from togglr.services import governance_settings
from togglr.services.common import Clock, Page, audit, offset_of, require
from togglr.services.guarded import Guarded


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 128:
        raise InvalidInputError("name: 1-128 characters")
    return name


def _project_json(project: Project) -> dict[str, Any]:
    return {
        "name": project.name,
        "description": project.description,
        "archived": project.archived_at is not None,
    }


class ProjectService(Guarded):
    """Projects and environments. Removing or archiving a project, removing an environment, and
    weakening approval settings are guarded: they go through the guard (`Guarded`), which makes
    them pending changes when the project holds guarded features."""

    def __init__(self, storage: Any, bus: EventBus, clock: Clock) -> None:
        self._storage = storage
        self._bus = bus
        self._now = clock

    async def create(self, principal: Principal, *, name: str, description: str = "") -> Project:
        if not principal.can_create_projects():
            raise PermissionDeniedError("permission denied: project.create is required")
        now = self._now()
        project = Project(new_id(), _check_name(name), description.strip()[:1000], now, now)
        async with self._storage.unit_of_work() as uow:
            await uow.projects.add(project)
            for key, env_name in DEFAULT_ENVIRONMENTS:
                await uow.environments.add(
                    Environment(new_id(), project.id, key, env_name, new_sdk_key(), now)
                )
            for slug, tag_name, color, text in SAFETY_TAGS:
                await uow.tags.add(Tag(new_id(), project.id, slug, tag_name, color, text, None))
            await uow.settings.put(project.id, asdict(ProjectSettings()), now)
            if principal.user_id is not None:
                await uow.memberships.add(
                    Membership(new_id(), project.id, principal.user_id, "owner", now)
                )
            await audit(
                uow,
                principal,
                now,
                entity="project",
                entity_id=project.id,
                action="create",
                project_id=project.id,
                new={"name": project.name, "description": project.description},
            )
        await self._bus.publish(DomainEvent(PROJECT_CHANGED, project_id=project.id))
        return project

    async def list(
        self,
        principal: Principal,
        *,
        search: str | None,
        include_archived: bool,
        page: int,
        per_page: int,
    ) -> Page[Project]:
        async with self._storage.unit_of_work() as uow:
            items, total = await uow.projects.list(
                ids=principal.visible_projects(),
                search=search,
                include_archived=include_archived,
                offset=offset_of(page, per_page),
                limit=per_page,
            )
        return Page(items, total, page, per_page)

    async def get(self, principal: Principal, project_id: str) -> Project:
        if not principal.can(project_id, "project.view"):
            raise NotFoundError("project", project_id)
        async with self._storage.unit_of_work() as uow:
            return await uow.projects.get(project_id)

    async def update(
        self,
        principal: Principal,
        project_id: str,
        *,
        name: str | None,
        description: str | None,
        archived: bool | None = None,
    ) -> Project:
        require(principal, project_id, "project.manage")
        async with self._storage.unit_of_work() as uow:
            old = await uow.projects.get(project_id)
            now = self._now()
            archived_at = old.archived_at
            if archived is not None:
                archived_at = (old.archived_at or now) if archived else None
            new = replace(
                old,
                name=old.name if name is None else _check_name(name),
                description=old.description if description is None else description.strip()[:1000],
                archived_at=archived_at,
                updated_at=now,
            )
            pending = None
            # Archiving stops serving every flag of the project, unarchiving serves them again;
            # a name or description serves nothing, so it needs no approval.
            if (old.archived_at is None) != (new.archived_at is None):
                pending = await self._propose_one(
                    uow,
                    principal,
                    scope="project",
                    project_id=project_id,
                    operation="project.update",
                    arguments={
                        "project_id": project_id,
                        "name": name,
                        "description": description,
                        "archived": archived,
                    },
                    entity=("project", project_id, old.name),
                    old=_project_json(old),
                    new=_project_json(new),
                    summary=f"{'archive' if archived else 'unarchive'} project {old.name}",
                )
            if pending is None:
                await uow.projects.update(new)
                await audit(
                    uow,
                    principal,
                    now,
                    entity="project",
                    entity_id=project_id,
                    action="update",
                    project_id=project_id,
                    old=_project_json(old),
                    new=_project_json(new),
                )
        if pending is not None:
            await self._pending(pending)
        await self._bus.publish(DomainEvent(PROJECT_CHANGED, project_id=project_id))
        return new

    async def delete(self, principal: Principal, project_id: str) -> None:
        require(principal, project_id, "project.manage")
        async with self._storage.unit_of_work() as uow:
            project = await uow.projects.get(project_id)
            pending = await self._propose_one(
                uow,
                principal,
                scope="project",
                project_id=project_id,
                operation="project.delete",
                arguments={"project_id": project_id},
                entity=("project", project_id, project.name),
                old=_project_json(project),
                new=None,
                summary=f"delete project {project.name}",
            )
            if pending is None:
                await uow.projects.delete(project_id)
                await audit(
                    uow,
                    principal,
                    self._now(),
                    entity="project",
                    entity_id=project_id,
                    action="delete",
                    project_id=None,
                    old={"name": project.name},
                )
        if pending is not None:
            await self._pending(pending)
        await self._bus.publish(DomainEvent(PROJECT_DELETED, project_id=project_id))

    # --- environments ---------------------------------------------------------------------
    async def list_environments(self, principal: Principal, project_id: str) -> list[Environment]:
        if not principal.can(project_id, "project.view"):
            raise NotFoundError("project", project_id)
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            return list(await uow.environments.list_for_project(project_id))

    async def get_environment(
        self, principal: Principal, project_id: str, env_key: str
    ) -> Environment:
        if not principal.can(project_id, "project.view"):
            raise NotFoundError("project", project_id)
        async with self._storage.unit_of_work() as uow:
            return await uow.environments.get_by_key(project_id, env_key)

    async def create_environment(
        self,
        principal: Principal,
        project_id: str,
        *,
        key: str,
        name: str,
        requires_approval: bool = False,
    ) -> Environment:
        require(principal, project_id, "project.manage")
        if not ENV_KEY_PATTERN.match(key):
            raise InvalidInputError(
                "key: 1-20 lower-case letters, digits, '-' or '_', starting with a letter or digit"
            )
        now = self._now()
        env = Environment(
            new_id(),
            project_id,
            key,
            name.strip()[:50] or key,
            new_sdk_key(),
            now,
            requires_approval,
        )
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            await uow.environments.add(env)
            features, _ = await uow.features.list(project_id)
            for feature in features:
                await uow.states.create(feature.id, env.id, now)
            await audit(
                uow,
                principal,
                now,
                entity="environment",
                entity_id=env.id,
                action="create",
                project_id=project_id,
                environment_id=env.id,
                new={"key": key, "name": env.name},
            )
        await self._bus.publish(
            DomainEvent(ENVIRONMENT_CHANGED, project_id=project_id, environment_id=env.id)
        )
        return env

    async def update_environment(
        self,
        principal: Principal,
        project_id: str,
        env_key: str,
        *,
        name: str | None,
        requires_approval: bool | None,
    ) -> Environment:
        require(principal, project_id, "project.manage")
        async with self._storage.unit_of_work() as uow:
            old = await uow.environments.get_by_key(project_id, env_key)
            new = replace(
                old,
                name=old.name if name is None else (name.strip()[:50] or old.name),
                requires_approval=old.requires_approval
                if requires_approval is None
                else requires_approval,
            )
            before = await governance_settings.guard_settings(uow, project_id)
            guarded = set(before.guarded_environments) - {old.id}
            pending = await self._propose_one(
                uow,
                principal,
                scope="guard",
                project_id=project_id,
                environment_id=old.id,
                operation="environment.update",
                arguments={
                    "project_id": project_id,
                    "env_key": env_key,
                    "name": name,
                    "requires_approval": requires_approval,
                },
                entity=("environment", old.id, old.key),
                old=_env_json(old),
                new=_env_json(new),
                summary=f"change environment {old.key}",
                guard_after=replace(
                    before,
                    guarded_environments=frozenset(
                        guarded | ({old.id} if new.requires_approval else set())
                    ),
                ),
            )
            if pending is None:
                await uow.environments.update(new)
                await audit(
                    uow,
                    principal,
                    self._now(),
                    entity="environment",
                    entity_id=old.id,
                    action="update",
                    project_id=project_id,
                    environment_id=old.id,
                    old={"name": old.name, "requires_approval": old.requires_approval},
                    new={"name": new.name, "requires_approval": new.requires_approval},
                )
        if pending is not None:
            await self._pending(pending)
        await self._bus.publish(
            DomainEvent(ENVIRONMENT_CHANGED, project_id=project_id, environment_id=old.id)
        )
        return new

    async def rotate_key(self, principal: Principal, project_id: str, env_key: str) -> Environment:
        require(principal, project_id, "project.manage")
        async with self._storage.unit_of_work() as uow:
            old = await uow.environments.get_by_key(project_id, env_key)
            new = replace(old, api_key=new_sdk_key())
            await uow.environments.update(new)
            await audit(
                uow,
                principal,
                self._now(),
                entity="environment",
                entity_id=old.id,
                action="rotate_key",
                project_id=project_id,
                environment_id=old.id,
            )
        # The old key stops working as soon as every node has this event.
        await self._bus.publish(
            DomainEvent(ENVIRONMENT_CHANGED, project_id=project_id, environment_id=old.id)
        )
        return new

    async def delete_environment(self, principal: Principal, project_id: str, env_key: str) -> None:
        require(principal, project_id, "project.manage")
        async with self._storage.unit_of_work() as uow:
            env = await uow.environments.get_by_key(project_id, env_key)
            if len(await uow.environments.list_for_project(project_id)) <= 1:
                raise ConflictError(
                    "a project keeps at least one environment", code="last_environment"
                )
            pending = await self._propose_one(
                uow,
                principal,
                scope="environment",
                project_id=project_id,
                environment_id=env.id,
                operation="environment.delete",
                arguments={"project_id": project_id, "env_key": env_key},
                entity=("environment", env.id, env.key),
                old=_env_json(env),
                new=None,
                summary=f"delete environment {env.key}",
            )
            if pending is None:
                await uow.environments.delete(env.id)
                await audit(
                    uow,
                    principal,
                    self._now(),
                    entity="environment",
                    entity_id=env.id,
                    action="delete",
                    project_id=project_id,
                    environment_id=env.id,
                    old={"key": env.key, "name": env.name},
                )
        if pending is not None:
            await self._pending(pending)
        await self._bus.publish(
            DomainEvent(ENVIRONMENT_DELETED, project_id=project_id, environment_id=env.id)
        )

    # --- settings -------------------------------------------------------------------------
    async def get_settings(self, principal: Principal, project_id: str) -> ProjectSettings:
        if not principal.can(project_id, "project.view"):
            raise NotFoundError("project", project_id)
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            return self.settings_from(await uow.settings.get_all(project_id))

    async def get_settings_internal(self, project_id: str) -> ProjectSettings:
        """Settings for background and SDK paths, without a permission check."""
        async with self._storage.unit_of_work() as uow:
            return self.settings_from(await uow.settings.get_all(project_id))

    @staticmethod
    def settings_from(raw: dict[str, Any]) -> ProjectSettings:
        base = ProjectSettings()
        values = {f.name: raw.get(f.name, getattr(base, f.name)) for f in fields(ProjectSettings)}
        return ProjectSettings(**values)

    async def put_settings(
        self, principal: Principal, project_id: str, changes: dict[str, Any]
    ) -> ProjectSettings:
        require(principal, project_id, "project.manage")
        for name, value in changes.items():
            if name.endswith(("_sec", "_threshold", "_approvals", "_days")) and (
                not isinstance(value, int) or isinstance(value, bool) or value < 1
            ):
                raise InvalidInputError(f"{name}: must be a positive integer")
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            old = self.settings_from(await uow.settings.get_all(project_id))
            new = replace(old, **changes)
            before = await governance_settings.guard_settings(uow, project_id)
            pending = await self._propose_one(
                uow,
                principal,
                scope="guard",
                project_id=project_id,
                operation="project.settings",
                arguments={"project_id": project_id, "changes": changes},
                entity=("project_settings", project_id, "project settings"),
                old=asdict(old),
                new=asdict(new),
                summary="change the project settings",
                guard_after=replace(before, required_approvals=new.required_approvals),
            )
            now = self._now()
            if pending is None:
                await uow.settings.put(project_id, asdict(new), now)
                await audit(
                    uow,
                    principal,
                    now,
                    entity="project_settings",
                    entity_id=project_id,
                    action="update",
                    project_id=project_id,
                    old=asdict(old),
                    new=asdict(new),
                )
        if pending is not None:
            await self._pending(pending)
        await self._bus.publish(DomainEvent(PROJECT_CHANGED, project_id=project_id))
        return new


def _env_json(env: Environment) -> dict[str, Any]:
    return {"key": env.key, "name": env.name, "requires_approval": env.requires_approval}


_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def check_color(color: str) -> str:
    if not _COLOR.match(color):
        raise InvalidInputError("color: expected #RRGGBB")
    return color
