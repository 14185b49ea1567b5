"""How approved schedule changes are replayed: each operation re-runs its ScheduleService method."""

from __future__ import annotations

from typing import Any

from togglr.domain.errors import InvalidInputError
from togglr.services.change_guard import ApplyContext, GovernanceGuard
from togglr.services.schedule_inputs import ScheduleInput
from togglr.services.schedules import ScheduleService


def _service(ctx: ApplyContext) -> ScheduleService:
    service = ScheduleService(ctx.storage, ctx.bus, ctx.clock)
    service.guard = ctx.guard
    return service


def _arg(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str):
        raise InvalidInputError(f"arguments.{name}: required string")
    return value


async def _apply_create(ctx: ApplyContext, args: dict[str, Any]) -> None:
    await _service(ctx).create(
        ctx.principal,
        _arg(args, "feature_id"),
        _arg(args, "env_key"),
        ScheduleInput.from_json(args),
        schedule_id=_arg(args, "schedule_id"),
    )


async def _apply_update(ctx: ApplyContext, args: dict[str, Any]) -> None:
    raw = args.get("changes")
    if not isinstance(raw, dict):
        raise InvalidInputError("arguments.changes: an object of schedule fields")
    parsed = ScheduleInput.from_json({"action": "enable", **raw})
    changes = {k: getattr(parsed, k) for k in raw}
    await _service(ctx).update(
        ctx.principal,
        _arg(args, "feature_id"),
        _arg(args, "env_key"),
        _arg(args, "schedule_id"),
        changes,
    )


async def _apply_delete(ctx: ApplyContext, args: dict[str, Any]) -> None:
    await _service(ctx).delete(
        ctx.principal, _arg(args, "feature_id"), _arg(args, "env_key"), _arg(args, "schedule_id")
    )


def register_schedule_appliers(guard: GovernanceGuard) -> None:
    guard.register_applier("schedule.create", _apply_create)
    guard.register_applier("schedule.update", _apply_update)
    guard.register_applier("schedule.delete", _apply_delete)
