"""How approved feature changes are replayed: each operation re-runs its FeatureService method.

The service is built on the context's storage and bus, so on approval it joins the approval's
transaction and its events wait for the commit; when a change is edited, the context carries the
editing guard instead, so the same call updates the pending change.
"""

from __future__ import annotations

from typing import Any

from togglr.domain.errors import InvalidInputError
from togglr.domain.features import Variant
from togglr.services.change_guard import ApplyContext, GovernanceGuard
from togglr.services.features import FeatureService, RuleInput


def _service(ctx: ApplyContext) -> FeatureService:
    service = FeatureService(ctx.storage, ctx.bus, ctx.clock)
    service.guard = ctx.guard
    return service


def _str(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str):
        raise InvalidInputError(f"arguments.{name}: required string")
    return value


def _bool(args: dict[str, Any], name: str) -> bool:
    value = args.get(name)
    if not isinstance(value, bool):
        raise InvalidInputError(f"arguments.{name}: required boolean")
    return value


def _opt_str(args: dict[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInputError(f"arguments.{name}: a string or null")
    return value


def _list(args: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = args.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidInputError(f"arguments.{name}: a list of objects")
    return value


async def _toggle(ctx: ApplyContext, args: dict[str, Any]) -> None:
    await _service(ctx).toggle(
        ctx.principal, _str(args, "feature_id"), _str(args, "env_key"), _bool(args, "enabled")
    )


async def _put_state(ctx: ApplyContext, args: dict[str, Any]) -> None:
    try:
        variants = [
            Variant(v["name"], float(v["rollout_percent"]), v.get("value"))
            for v in _list(args, "variants")
        ]
        rules = [
            RuleInput(
                r["action"],
                int(r.get("priority", 0)),
                r.get("condition"),
                r.get("variant"),
                r.get("segment_id"),
                r.get("id"),
            )
            for r in _list(args, "rules")
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"arguments: malformed variants or rules ({exc})") from None
    default = args.get("default_value", "")
    await _service(ctx).put_state(
        ctx.principal,
        _str(args, "feature_id"),
        _str(args, "env_key"),
        enabled=_bool(args, "enabled"),
        default_value=default if isinstance(default, str) else str(default),
        variants=variants,
        rules=rules,
    )


async def _update(ctx: ApplyContext, args: dict[str, Any]) -> None:
    tags = args.get("tags")
    if tags is not None and (
        not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)
    ):
        raise InvalidInputError("arguments.tags: a list of tag slugs")
    await _service(ctx).update(
        ctx.principal,
        _str(args, "feature_id"),
        name=_opt_str(args, "name"),
        description=_opt_str(args, "description"),
        rollout_key=_opt_str(args, "rollout_key"),
        clear_rollout_key=bool(args.get("clear_rollout_key")),
        tags=tags,
        category_id=_opt_str(args, "category_id"),
    )


async def _delete(ctx: ApplyContext, args: dict[str, Any]) -> None:
    await _service(ctx).delete(ctx.principal, _str(args, "feature_id"))


def register_feature_appliers(guard: GovernanceGuard) -> None:
    guard.register_applier("feature.toggle", _toggle)
    guard.register_applier("feature.put_state", _put_state)
    guard.register_applier("feature.update", _update)
    guard.register_applier("feature.delete", _delete)
