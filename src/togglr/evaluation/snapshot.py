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

from togglr.domain.targeting import Expression, RuleAction

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
