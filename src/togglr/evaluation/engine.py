"""`evaluate()`: one feature, one context, one instant → a Decision. Pure and total.

Order of checks (docs/evaluation.md has the full story):
master switch → schedules → exclude rules → assign rules → include gate → algorithm hook →
percentage split → default value.

A snapshot is compiled on first use (rules sorted and grouped, conditions turned into
predicates, every constant Decision prebuilt) and the result is kept on the snapshot, so the hot
path only runs predicates and returns shared, immutable decisions.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeAlias

from togglr.domain.targeting import RuleAction
from togglr.evaluation.conditions import Getter, Predicate, compile_expression, make_getter
from togglr.evaluation.rollout import (
    BUCKETS,
    format_number,
    position,
    split_attributes,
    split_layout,
)
from togglr.evaluation.snapshot import (
    AlgorithmHook,
    Decision,
    FlagSnapshot,
    Reason,
    RuleSpec,
    ScheduleSpec,
    TraceStep,
    VariantSpec,
)

_Rule: TypeAlias = tuple[str, Predicate, Decision]  # rule id, predicate, decision when it matches
_Layout: TypeAlias = tuple[tuple[int, VariantSpec], ...]
_Trace: TypeAlias = list[TraceStep] | None
_ScheduleState: TypeAlias = Callable[[Sequence[ScheduleSpec], datetime], bool | None]


class _Outcomes:
    """The enabled decisions reachable after the gates, for one way through them.

    One set serves users when the feature has no include rule; each include rule has its own
    set, because its id is reported and a default result then reads TARGETING_MATCH.
    """

    __slots__ = ("algorithm", "default", "rule_id", "split")

    def __init__(self, snapshot: FlagSnapshot, layout: _Layout, rule_id: str | None) -> None:
        self.rule_id = rule_id
        self.split = tuple(
            Decision(True, v.name, Reason.SPLIT, v.name, v.value, rule_id) for _, v in layout
        )
        self.algorithm = {
            v.name: Decision(True, v.name, Reason.ALGORITHM, v.name, v.value, rule_id)
            for v in snapshot.variants
        }
        reason = Reason.DEFAULT if rule_id is None else Reason.TARGETING_MATCH
        self.default = Decision(True, snapshot.default_value, reason, rule_id=rule_id)


class _Plan:
    """The compiled form of one FlagSnapshot."""

    __slots__ = (
        "algorithm",
        "assigns",
        "disabled",
        "enabled",
        "excludes",
        "feature_key",
        "includes",
        "layout",
        "not_included",
        "open",
        "rollout",
        "scheduled_off",
        "split_by",
    )

    def __init__(self, snapshot: FlagSnapshot) -> None:
        key = snapshot.feature_key
        self.feature_key = key
        self.enabled = snapshot.enabled
        self.algorithm = bool(snapshot.algorithm)
        self.disabled = Decision(False, "", Reason.DISABLED)
        self.scheduled_off = Decision(False, "", Reason.SCHEDULED_OFF)
        self.not_included = Decision(False, "", Reason.NOT_INCLUDED)
        self.split_by = split_attributes(snapshot.rollout_key)
        self.rollout: Getter = _first_present(self.split_by)
        self.layout: _Layout = ()
        if snapshot.kind == "multivariant":
            self.layout = split_layout(snapshot.variants)

        variants = {v.name: v for v in snapshot.variants}
        # priority ascending, ties broken by id, so the order never depends on input order
        ordered = sorted(snapshot.rules, key=lambda r: (r.priority, r.id))
        self.excludes: tuple[_Rule, ...] = tuple(
            (
                r.id,
                compile_expression(r.expression, key),
                Decision(False, "", Reason.EXCLUDED, rule_id=r.id),
            )
            for r in ordered
            if r.action is RuleAction.EXCLUDE
        )
        self.assigns: tuple[_Rule, ...] = tuple(
            (r.id, compile_expression(r.expression, key), _assigned(snapshot, variants, r))
            for r in ordered
            if r.action is RuleAction.ASSIGN
        )
        self.includes: tuple[tuple[str, Predicate, _Outcomes], ...] = tuple(
            (r.id, compile_expression(r.expression, key), _Outcomes(snapshot, self.layout, r.id))
            for r in ordered
            if r.action is RuleAction.INCLUDE
        )
        self.open = _Outcomes(snapshot, self.layout, None)

    def __reduce__(self) -> tuple[Callable[[], None], tuple[()]]:
        # Pickling or deep-copying a snapshot drops the compiled form; it is rebuilt on demand.
        return _nothing, ()


def _nothing() -> None:
    return None


def _first_present(attributes: tuple[str, ...]) -> Getter:
    """One getter reading the first of the attributes that is present (not absent, not null)."""
    if len(attributes) == 1:
        return make_getter(attributes[0])
    # plain keys are read inline: this runs on every evaluation of a flag without rollout_key
    steps = tuple((a, make_getter(a) if "." in a else None) for a in attributes)

    def get(context: Mapping[str, Any]) -> Any:
        for name, nested in steps:
            value = context.get(name) if nested is None else nested(context)
            if value is not None:
                return value
        return None

    return get


def split_attribute(snapshot: FlagSnapshot, context: Mapping[str, Any]) -> str | None:
    """The attribute the split reads for this context, or None when the context has none."""
    return _split_attribute(_plan(snapshot).split_by, context)


def _split_attribute(split_by: tuple[str, ...], context: Mapping[str, Any]) -> str | None:
    # Explain only: the hot path reads the value through the plan's one compiled getter.
    for attribute in split_by:
        try:
            if make_getter(attribute)(context) is not None:
                return attribute
        except Exception:  # unreadable counts as absent, as in the split itself
            continue
    return None


def _assigned(snapshot: FlagSnapshot, variants: dict[str, VariantSpec], rule: RuleSpec) -> Decision:
    variant = variants.get(rule.variant) if rule.variant is not None else None
    if variant is None:  # the rule names no existing variant: serve the default value
        return Decision(True, snapshot.default_value, Reason.TARGETING_MATCH, rule_id=rule.id)
    return Decision(
        True, variant.name, Reason.TARGETING_MATCH, variant.name, variant.value, rule.id
    )


def prepare(snapshot: FlagSnapshot) -> None:
    """Compile the snapshot now rather than on its first evaluation (e.g. when it is built)."""
    _plan(snapshot)


def _plan(snapshot: FlagSnapshot) -> _Plan:
    plan: _Plan | None = snapshot._compiled
    if plan is None:
        plan = _Plan(snapshot)
        # the snapshot is frozen; the cache slot is deliberately outside equality and repr
        object.__setattr__(snapshot, "_compiled", plan)
    return plan


def evaluate(
    snapshot: FlagSnapshot,
    context: Mapping[str, Any],
    now: datetime,
    *,
    hook: AlgorithmHook | None = None,
    rng: random.Random | None = None,
    explain: bool = False,
) -> Decision:
    """Decide the feature for one context at `now`. Never raises for any context.

    `hook` is the attached algorithm's live state (consulted only when `snapshot.algorithm` is
    set). `rng` is accepted for callers that thread randomness through; the engine itself is
    deterministic and draws nothing. `explain=True` fills `Decision.trace`.
    """
    plan = snapshot._compiled
    if plan is None:
        plan = _plan(snapshot)
    if not explain:
        return _decide(plan, snapshot, context, now, hook, None)
    trace: list[TraceStep] = []
    decision = _decide(plan, snapshot, context, now, hook, trace)
    return replace(decision, trace=tuple(trace))


def _decide(
    plan: _Plan,
    snapshot: FlagSnapshot,
    context: Mapping[str, Any],
    now: datetime,
    hook: AlgorithmHook | None,
    trace: _Trace,
) -> Decision:
    if not plan.enabled:
        if trace is not None:
            trace.append(TraceStep("switch", "off"))
        return plan.disabled
    if trace is not None:
        trace.append(TraceStep("switch", "on"))
    if snapshot.schedules and _held_off(snapshot.schedules, now, trace):
        return plan.scheduled_off
    decision = _first_match(plan.excludes, context, "exclude", trace)
    if decision is None:
        decision = _first_match(plan.assigns, context, "assign", trace)
    if decision is not None:
        return decision
    outcomes = plan.open
    if plan.includes:
        gate = _gate(plan.includes, context, trace)
        if gate is None:
            return plan.not_included
        outcomes = gate
    return _choose(plan, outcomes, context, hook, trace)


def _first_match(
    rules: tuple[_Rule, ...], context: Mapping[str, Any], step: str, trace: _Trace
) -> Decision | None:
    for rule_id, matches, decision in rules:
        hit = matches(context)
        if trace is not None:
            trace.append(TraceStep(step, "matched" if hit else "no match", rule_id))
        if hit:
            return decision
    return None


def _gate(
    includes: tuple[tuple[str, Predicate, _Outcomes], ...],
    context: Mapping[str, Any],
    trace: _Trace,
) -> _Outcomes | None:
    for rule_id, matches, outcomes in includes:
        hit = matches(context)
        if trace is not None:
            trace.append(TraceStep("include", "matched" if hit else "no match", rule_id))
        if hit:
            return outcomes
    if trace is not None:
        trace.append(TraceStep("include", "not included", detail="no include rule matched"))
    return None


def _choose(
    plan: _Plan,
    outcomes: _Outcomes,
    context: Mapping[str, Any],
    hook: AlgorithmHook | None,
    trace: _Trace,
) -> Decision:
    asks = hook is not None and plan.algorithm
    place = _place(plan, context) if plan.layout or asks else None
    if hook is not None and plan.algorithm:
        decision = _ask(hook, context, None if place is None else place[1], outcomes, trace)
        if decision is not None:
            return decision
    if plan.layout:
        if place is None:
            if trace is not None:
                trace.append(TraceStep("split", "skipped", detail=_absent(plan.split_by)))
        else:
            slot = place[0]
            for (upper, variant), decision in zip(plan.layout, outcomes.split, strict=True):
                if slot < upper:
                    if trace is not None:
                        by = _split_attribute(plan.split_by, context)
                        detail = f"by {by}: bucket {slot} < {upper} of {BUCKETS}"
                        trace.append(TraceStep("split", f"variant {variant.name}", detail=detail))
                    return decision
            if trace is not None:
                by = _split_attribute(plan.split_by, context)
                detail = f"by {by}: bucket {slot} is past the summed percents"
                trace.append(TraceStep("split", "no variant", detail=detail))
    if trace is not None:
        trace.append(TraceStep("default", "default value", outcomes.rule_id))
    return outcomes.default


def _absent(split_by: tuple[str, ...]) -> str:
    if len(split_by) == 1:
        return f"the context has no {split_by[0]}, so the split cannot place it"
    return f"the context has none of {', '.join(split_by)}, so the split cannot place it"


def _place(plan: _Plan, context: Mapping[str, Any]) -> tuple[int, float] | None:
    """The (bucket, unit) of the rollout attribute, or None when it is absent or unreadable."""
    try:
        value = plan.rollout(context)
        return None if value is None else position(plan.feature_key, value)
    except Exception:  # an unreadable rollout value behaves like an absent one
        return None


def _ask(
    hook: AlgorithmHook,
    context: Mapping[str, Any],
    unit: float | None,
    outcomes: _Outcomes,
    trace: _Trace,
) -> Decision | None:
    """The algorithm's decision, or None to fall through to the split."""
    try:
        choice = hook.choose(context, unit)
    except Exception as exc:  # a failing algorithm falls back to the rollout, like a None
        if trace is not None:
            trace.append(TraceStep("algorithm", "failed", detail=type(exc).__name__))
        return None
    decision: Decision | None = None
    if isinstance(choice, str):
        decision = outcomes.algorithm.get(choice)
    elif isinstance(choice, int | float) and not isinstance(choice, bool):
        text = _decimal(choice)
        if text is not None:
            decision = Decision(
                True, text, Reason.ALGORITHM, variant_value=choice, rule_id=outcomes.rule_id
            )
    if trace is not None:
        outcome = "no choice" if decision is None else f"chose {decision.value}"
        trace.append(TraceStep("algorithm", outcome, detail=f"unit {unit}; returned {choice!r}"))
    return decision


def _decimal(number: int | float) -> str | None:
    if isinstance(number, float) and not math.isfinite(number):
        return None
    try:
        return format_number(number)
    except ValueError:  # an integer too long to print
        return None


def _held_off(schedules: Sequence[ScheduleSpec], now: datetime, trace: _Trace) -> bool:
    state = _schedule_state(schedules, now)
    if trace is not None:
        outcome = "no effect" if state is None else ("off" if state is False else "on")
        trace.append(TraceStep("schedule", outcome))
    return state is False


def _schedule_state(schedules: Sequence[ScheduleSpec], now: datetime) -> bool | None:
    # Imported lazily: the schedules module is written separately and only needed here.
    from togglr.evaluation import schedules as module

    state_of: _ScheduleState | None = getattr(module, "schedule_state", None)
    if state_of is None:
        return None
    try:
        return state_of(schedules, now)
    except Exception:  # an unreadable schedule leaves the master switch in charge
        return None
