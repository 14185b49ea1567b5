"""Features, their per-environment state, variants and rules, and the rules that keep them valid."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from togglr.domain.errors import InvalidInputError
from togglr.domain.targeting import RegexCheck, RuleAction, parse_expression

FeatureKind = Literal["simple", "multivariant"]
FEATURE_KINDS: tuple[str, ...] = ("simple", "multivariant")
MAX_VARIANTS = 50
MAX_RULES = 100
MAX_PRIORITY = 10_000
MAX_DEFAULT_VALUE = 1024


@dataclass(frozen=True, slots=True)
class Feature:
    id: str
    project_id: str
    key: str
    name: str
    description: str
    kind: FeatureKind
    rollout_key: str | None
    created_at: datetime
    updated_at: datetime
    tags: tuple[str, ...] = ()  # tag slugs
    category_id: str | None = None


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    rollout_percent: float
    value: Any = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    action: RuleAction
    priority: int
    condition: dict[str, Any]
    variant: str | None = None
    segment_id: str | None = None
    is_customized: bool = False


@dataclass(frozen=True, slots=True)
class FeatureState:
    """What a feature does in one environment."""

    feature_id: str
    environment_id: str
    environment_key: str
    enabled: bool
    default_value: str
    variants: tuple[Variant, ...] = ()
    rules: tuple[Rule, ...] = ()
    updated_at: datetime | None = None
    last_evaluated_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def validate_variants(kind: str, variants: tuple[Variant, ...]) -> None:
    """Variant names are unique, percents are in [0, 100] and sum to at most 100."""
    if len(variants) > MAX_VARIANTS:
        raise InvalidInputError(f"variants: at most {MAX_VARIANTS} allowed")
    if kind == "simple" and variants:
        raise InvalidInputError("variants: a simple feature has no variants; use kind multivariant")
    seen: set[str] = set()
    total = 0.0
    for i, variant in enumerate(variants):
        if not variant.name or len(variant.name) > 128:
            raise InvalidInputError(f"variants[{i}].name: 1-128 characters")
        if variant.name in seen:
            raise InvalidInputError(f"variants[{i}].name: duplicate variant {variant.name!r}")
        seen.add(variant.name)
        pct = variant.rollout_percent
        if not math.isfinite(pct) or not 0 <= pct <= 100:
            raise InvalidInputError(f"variants[{i}].rollout_percent: must be between 0 and 100")
        total += pct
    if total > 100.0 + 1e-9:
        raise InvalidInputError(f"variants: rollout percents sum to {total:g}, more than 100")


def validate_rules(
    rules: tuple[Rule, ...], variant_names: set[str], *, regex_error: RegexCheck
) -> None:
    """Actions match variants, priorities are unique per action, and conditions parse.

    `regex_error` is the evaluation engine's verdict on regex patterns (see parse_expression).
    """
    if len(rules) > MAX_RULES:
        raise InvalidInputError(f"rules: at most {MAX_RULES} allowed")
    priorities: set[tuple[str, int]] = set()
    for i, rule in enumerate(rules):
        if not 0 <= rule.priority <= MAX_PRIORITY:
            raise InvalidInputError(f"rules[{i}].priority: must be between 0 and {MAX_PRIORITY}")
        slot = (rule.action.value, rule.priority)
        if slot in priorities:
            raise InvalidInputError(
                f"rules[{i}].priority: another {rule.action.value} rule already has priority {rule.priority}"
            )
        priorities.add(slot)
        if rule.action is RuleAction.ASSIGN:
            if not rule.variant:
                raise InvalidInputError(f"rules[{i}].variant: an assign rule must name a variant")
            if rule.variant not in variant_names:
                raise InvalidInputError(f"rules[{i}].variant: unknown variant {rule.variant!r}")
        elif rule.variant:
            raise InvalidInputError(f"rules[{i}].variant: only assign rules name a variant")
        parse_expression(rule.condition, path=f"rules[{i}].condition", regex_error=regex_error)


def validate_state(
    kind: str,
    default_value: str,
    variants: tuple[Variant, ...],
    rules: tuple[Rule, ...],
    *,
    regex_error: RegexCheck,
) -> None:
    """Check a whole environment state before it is stored."""
    if len(default_value) > MAX_DEFAULT_VALUE:
        raise InvalidInputError(f"default_value: at most {MAX_DEFAULT_VALUE} characters")
    validate_variants(kind, variants)
    validate_rules(rules, {v.name for v in variants}, regex_error=regex_error)
