"""How approved algorithm changes are replayed: each operation re-runs its ExperimentService method.

The service is built on the context's storage and bus, so on approval it joins the approval's
transaction and its `algorithm.changed` event waits for the commit; when a pending change is
edited, the context carries the editing guard, so the same call updates that change instead.
"""

from __future__ import annotations

from typing import Any

from togglr.domain.errors import InvalidInputError
from togglr.services.change_guard import ApplyContext, GovernanceGuard
from togglr.services.experiments import ExperimentService


def _service(ctx: ApplyContext) -> ExperimentService:
    service = ExperimentService(ctx.storage, ctx.bus, ctx.clock)
    service.guard = ctx.guard
    return service


def _str(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str):
        raise InvalidInputError(f"arguments.{name}: required string")
    return value


async def _put(ctx: ApplyContext, args: dict[str, Any]) -> None:
    enabled = args.get("enabled")
    settings = args.get("settings")
    if not isinstance(enabled, bool):
        raise InvalidInputError("arguments.enabled: required boolean")
    if settings is not None and not isinstance(settings, dict):
        raise InvalidInputError("arguments.settings: an object of numbers")
    await _service(ctx).put(
        ctx.principal,
        _str(args, "feature_id"),
        _str(args, "env_key"),
        algorithm=_str(args, "algorithm"),
        enabled=enabled,
        settings=settings,
    )


async def _delete(ctx: ApplyContext, args: dict[str, Any]) -> None:
    await _service(ctx).delete(ctx.principal, _str(args, "feature_id"), _str(args, "env_key"))


def register_algorithm_appliers(guard: GovernanceGuard) -> None:
    guard.register_applier("algorithm.put", _put)
    guard.register_applier("algorithm.delete", _delete)
