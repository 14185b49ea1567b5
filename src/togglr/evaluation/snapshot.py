"""Evaluation-only, immutable projections of a feature in one environment, and the decision type.

The snapshot holds exactly what `evaluate()` needs and nothing it must fetch. Services build it
from storage; the engine never sees a repository.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from togglr.domain.errors import InvalidInputError
from togglr.domain.targeting import (
    Expression,
    RuleAction,
    expression_to_json,
    parse_datetime,
    parse_expression,
)

FeatureKind = Literal["simple", "multivariant"]


class Reason(StrEnum):
    """Why the engine decided what it did. Values are stable and part of the wire format."""

    DISABLED = "DISABLED"  # master switch off
    SCHEDULED_OFF = "SCHEDULED_OFF"  # a schedule holds the feature off right now
    EXCLUDED = "EXCLUDED"  # an exclude rule matched
    NOT_INCLUDED = "NOT_INCLUDED"  # include rules exist and none matched
    TARGETING_MATCH = "TARGETING_MATCH"  # an assign rule (or include gate) picked the result
    ALGORITHM = "ALGORITHM"  # the attached adaptive algorithm chose
    SPLIT = "SPLIT"  # percentage bucketing chose a variant
    DEFAULT = "DEFAULT"  # the environment's default value


@dataclass(frozen=True, slots=True)
class VariantSpec:
    name: str
    rollout_percent: float
    value: Any = None  # optional typed value: str | int | float | bool | dict | list


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: str
    action: RuleAction
    priority: int
    expression: Expression
    variant: str | None = None  # variant name for `assign`
    segment_id: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """A one-shot window (starts_at/ends_at) or a recurring cron window (cron + duration)."""

    id: str
    action: Literal["enable", "disable"]
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    cron: str | None = None
    duration_seconds: int | None = None
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class FlagSnapshot:
    feature_id: str
    feature_key: str
    kind: FeatureKind
    rollout_key: str | None
    enabled: bool
    default_value: str
    variants: tuple[VariantSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()  # any order; the engine sorts by (action, priority)
    schedules: tuple[ScheduleSpec, ...] = ()
    algorithm: str | None = None  # slug of an attached *enabled* algorithm, if any
    version: int = 0
    # The engine's compiled form of this snapshot (sorted rules, compiled predicates, prebuilt
    # decisions), filled on first evaluation; not part of equality, repr or the JSON form.
    _compiled: Any = field(default=None, init=False, repr=False, compare=False)


class AlgorithmHook(Protocol):
    """Live algorithm state bound for one feature/environment, queried by the engine."""

    def choose(self, context: Mapping[str, Any], unit: float | None) -> str | float | None:
        """Return a variant name (bandits), a number (optimizers) or None to fall through.

        `unit` is the user's stable position in [0, 1) when the rollout key is present, so
        a hook can map users onto its allocation weights stickily; None means draw freely.
        """
        ...


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One step of the explain trace: what was checked and what came out."""

    step: str
    outcome: str
    rule_id: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    enabled: bool
    value: str  # wire value for /sdk/v1: variant name, default value, or "" when off
    reason: Reason
    variant: str | None = None
    variant_value: Any = None  # the variant's typed value, when it has one
    rule_id: str | None = None
    trace: tuple[TraceStep, ...] = field(default_factory=tuple)


# --- JSON form ---------------------------------------------------------------------------------
# The language-neutral shape used by spec/evaluation/*.json and by anything that ships snapshots
# (services, local-evaluation SDKs). Documented in spec/evaluation/README.md.

_SNAPSHOT_KEYS = frozenset(
    {
        "feature_id",
        "feature_key",
        "kind",
        "rollout_key",
        "enabled",
        "default_value",
        "variants",
        "rules",
        "schedules",
        "algorithm",
        "version",
    }
)
_VARIANT_KEYS = frozenset({"name", "rollout_percent", "value"})
_RULE_KEYS = frozenset({"id", "action", "priority", "expression", "variant", "segment_id"})
_SCHEDULE_KEYS = frozenset(
    {"id", "action", "starts_at", "ends_at", "cron", "duration_seconds", "timezone"}
)


def _object(raw: object, path: str, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{path}: expected an object")
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise InvalidInputError(f"{path}: unknown field(s) {', '.join(unknown)}")
    return raw


def _required_text(raw: dict[str, Any], key: str, path: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise InvalidInputError(f"{path}.{key}: expected a string")
    return value


def _optional_text(raw: dict[str, Any], key: str, path: str) -> str | None:
    return None if raw.get(key) is None else _required_text(raw, key, path)


def _integer(raw: dict[str, Any], key: str, path: str, default: int | None = None) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{path}.{key}: expected an integer")
    return value


def _when(raw: dict[str, Any], key: str, path: str) -> datetime | None:
    text = _optional_text(raw, key, path)
    if text is None:
        return None
    moment = parse_datetime(text)
    if moment is None:
        raise InvalidInputError(f"{path}.{key}: expected an ISO 8601 date-time")
    return moment


def _variant_from_json(raw: object, path: str) -> VariantSpec:
    data = _object(raw, path, _VARIANT_KEYS)
    percent = data.get("rollout_percent")
    if isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 <= percent <= 100:
        raise InvalidInputError(f"{path}.rollout_percent: expected a number from 0 to 100")
    return VariantSpec(_required_text(data, "name", path), float(percent), data.get("value"))


def _rule_from_json(raw: object, path: str) -> RuleSpec:
    data = _object(raw, path, _RULE_KEYS)
    try:
        action = RuleAction(str(data.get("action")))
    except ValueError:
        raise InvalidInputError(f"{path}.action: must be one of assign, include, exclude") from None
    variant = _optional_text(data, "variant", path)
    if (variant is None) is (action is RuleAction.ASSIGN):
        raise InvalidInputError(f"{path}.variant: required for assign, not allowed otherwise")
    return RuleSpec(
        id=_required_text(data, "id", path),
        action=action,
        priority=_integer(data, "priority", path),
        expression=parse_expression(data.get("expression"), path=f"{path}.expression"),
        variant=variant,
        segment_id=_optional_text(data, "segment_id", path),
    )


def _schedule_from_json(raw: object, path: str) -> ScheduleSpec:
    data = _object(raw, path, _SCHEDULE_KEYS)
    action = data.get("action")
    if action not in ("enable", "disable"):
        raise InvalidInputError(f"{path}.action: must be enable or disable")
    duration = data.get("duration_seconds")
    return ScheduleSpec(
        id=_required_text(data, "id", path),
        action=action,
        starts_at=_when(data, "starts_at", path),
        ends_at=_when(data, "ends_at", path),
        cron=_optional_text(data, "cron", path),
        duration_seconds=None if duration is None else _integer(data, "duration_seconds", path),
        timezone=_optional_text(data, "timezone", path) or "UTC",
    )


def _items(raw: dict[str, Any], key: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise InvalidInputError(f"snapshot.{key}: expected a list")
    return value


def snapshot_from_json(raw: object) -> FlagSnapshot:
    """Build a FlagSnapshot from its JSON form; raise InvalidInputError on a bad document."""
    data = _object(raw, "snapshot", _SNAPSHOT_KEYS)
    key = _required_text(data, "feature_key", "snapshot")
    kind = data.get("kind")
    if kind not in ("simple", "multivariant"):
        raise InvalidInputError("snapshot.kind: must be simple or multivariant")
    enabled = data.get("enabled")
    if not isinstance(enabled, bool):
        raise InvalidInputError("snapshot.enabled: expected a boolean")
    return FlagSnapshot(
        feature_id=_optional_text(data, "feature_id", "snapshot") or key,
        feature_key=key,
        kind=kind,
        rollout_key=_optional_text(data, "rollout_key", "snapshot"),
        enabled=enabled,
        default_value=_required_text(data, "default_value", "snapshot"),
        variants=tuple(
            _variant_from_json(item, f"snapshot.variants[{i}]")
            for i, item in enumerate(_items(data, "variants"))
        ),
        rules=tuple(
            _rule_from_json(item, f"snapshot.rules[{i}]")
            for i, item in enumerate(_items(data, "rules"))
        ),
        schedules=tuple(
            _schedule_from_json(item, f"snapshot.schedules[{i}]")
            for i, item in enumerate(_items(data, "schedules"))
        ),
        algorithm=_optional_text(data, "algorithm", "snapshot"),
        version=_integer(data, "version", "snapshot", default=0),
    )


def snapshot_to_json(snapshot: FlagSnapshot) -> dict[str, Any]:
    """The JSON form of a snapshot; `snapshot_from_json` reads it back to an equal snapshot."""
    return {
        "feature_id": snapshot.feature_id,
        "feature_key": snapshot.feature_key,
        "kind": snapshot.kind,
        "rollout_key": snapshot.rollout_key,
        "enabled": snapshot.enabled,
        "default_value": snapshot.default_value,
        "variants": [
            {"name": v.name, "rollout_percent": v.rollout_percent, "value": v.value}
            for v in snapshot.variants
        ],
        "rules": [
            {
                "id": r.id,
                "action": r.action.value,
                "priority": r.priority,
                "expression": expression_to_json(r.expression),
                "variant": r.variant,
                "segment_id": r.segment_id,
            }
            for r in snapshot.rules
        ],
        "schedules": [
            {
                "id": s.id,
                "action": s.action,
                "starts_at": None if s.starts_at is None else s.starts_at.isoformat(),
                "ends_at": None if s.ends_at is None else s.ends_at.isoformat(),
                "cron": s.cron,
                "duration_seconds": s.duration_seconds,
                "timezone": s.timezone,
            }
            for s in snapshot.schedules
        ],
        "algorithm": snapshot.algorithm,
        "version": snapshot.version,
    }
