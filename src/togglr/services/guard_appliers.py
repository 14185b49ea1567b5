"""How approved changes to containers and to the guard itself are replayed: segment syncs,
environments, projects, project settings and governance settings. Each re-runs its service
method on the approval's transaction (or, when a change is edited, with the editing guard)."""

from __future__ import annotations

from typing import Any

from togglr.domain.errors import InvalidInputError
from togglr.services.change_appliers import _opt_str, _str
from togglr.services.change_guard import ApplyContext, GovernanceGuard
from togglr.services.governance_settings import GovernanceSettingsService
from togglr.services.projects import ProjectService
from togglr.services.segments import SegmentService


def _projects(ctx: ApplyContext) -> ProjectService:
    service = ProjectService(ctx.storage, ctx.bus, ctx.clock)
    service.guard = ctx.guard
    return service


def _opt_bool(args: dict[str, Any], name: str) -> bool | None:
    value = args.get(name)
    if value is not None and not isinstance(value, bool):
        raise InvalidInputError(f"arguments.{name}: a boolean or null")
    return value


def _changes(args: dict[str, Any]) -> dict[str, Any]:
    value = args.get("changes")
    if not isinstance(value, dict):
        raise InvalidInputError("arguments.changes: an object of settings")
    return value


async def _sync_rules(ctx: ApplyContext, args: dict[str, Any]) -> None:
    rule_ids = args.get("rule_ids")
    if not isinstance(rule_ids, list) or not all(isinstance(r, str) for r in rule_ids):
        raise InvalidInputError("arguments.rule_ids: a list of rule ids")
    service = SegmentService(ctx.storage, ctx.bus, ctx.clock)
    service.guard = ctx.guard
    await service.sync_rules(
        ctx.principal,
        _str(args, "segment_id"),
        _str(args, "feature_id"),
        _str(args, "env_key"),
        rule_ids,
        args.get("condition"),
    )


async def _update_environment(ctx: ApplyContext, args: dict[str, Any]) -> None:
    await _projects(ctx).update_environment(
        ctx.principal,
        _str(args, "project_id"),
        _str(args, "env_key"),
        name=_opt_str(args, "name"),
        requires_approval=_opt_bool(args, "requires_approval"),
    )


async def _delete_environment(ctx: ApplyContext, args: dict[str, Any]) -> None:
    await _projects(ctx).delete_environment(
        ctx.principal, _str(args, "project_id"), _str(args, "env_key")
    )


async def _update_project(ctx: ApplyContext, args: dict[str, Any]) -> None:
    await _projects(ctx).update(
        ctx.principal,
        _str(args, "project_id"),
        name=_opt_str(args, "name"),
        description=_opt_str(args, "description"),
        archived=_opt_bool(args, "archived"),
    )


async def _delete_project(ctx: ApplyContext, args: dict[str, Any]) -> None:
    await _projects(ctx).delete(ctx.principal, _str(args, "project_id"))


async def _project_settings(ctx: ApplyContext, args: dict[str, Any]) -> None:
    await _projects(ctx).put_settings(ctx.principal, _str(args, "project_id"), _changes(args))


async def _governance_settings(ctx: ApplyContext, args: dict[str, Any]) -> None:
    service = GovernanceSettingsService(ctx.storage, ctx.clock)
    service.guard = ctx.guard
    await service.put(ctx.principal, _str(args, "project_id"), _changes(args))


def register_guard_appliers(guard: GovernanceGuard) -> None:
    guard.register_applier("segment.sync_rules", _sync_rules)
    guard.register_applier("environment.update", _update_environment)
    guard.register_applier("environment.delete", _delete_environment)
    guard.register_applier("project.update", _update_project)
    guard.register_applier("project.delete", _delete_project)
    guard.register_applier("project.settings", _project_settings)
    guard.register_applier("governance.update", _governance_settings)
