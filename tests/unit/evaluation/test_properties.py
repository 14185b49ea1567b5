"""Property tests of the whole engine: random snapshots and random contexts never make it raise,
and every decision keeps the invariants of the wire format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from togglr.domain.targeting import (
    Condition,
    Expression,
    Group,
    GroupOperator,
    Operator,
    RuleAction,
)
from togglr.evaluation import FlagSnapshot, Reason, RuleSpec, VariantSpec, evaluate

NOW = datetime(2025, 6, 1, tzinfo=UTC)
ATTRIBUTES = ["plan", "age", "user.id", "user", "version", "signup", "tags", "a.b.c"]
NAMES = ["control", "treatment", "b", "ü"]
OFF_REASONS = {Reason.DISABLED, Reason.SCHEDULED_OFF, Reason.EXCLUDED, Reason.NOT_INCLUDED}

any_text = st.text(st.characters(exclude_categories=()), max_size=20)  # lone surrogates too
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**53 + 1, -(2**63), 10**400])
    | st.floats()
    | any_text
    | st.sampled_from(["1.2.3", "v2.0.0-rc.1", "2024-01-01T00:00:00Z", "now", "1e400", "NL"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "b", "c", *ATTRIBUTES]) | any_text, inner, max_size=4
        )
    ),
    max_leaves=10,
)
contexts = st.dictionaries(st.sampled_from(ATTRIBUTES) | any_text, json_values, max_size=6)

conditions = st.builds(
    Condition, st.sampled_from(ATTRIBUTES), st.sampled_from(list(Operator)), json_values
)
expressions: st.SearchStrategy[Expression] = st.recursive(
    conditions,
    lambda inner: st.builds(
        Group, st.sampled_from(list(GroupOperator)), st.lists(inner, max_size=4).map(tuple)
    ),
    max_leaves=6,
)
rules = st.builds(
    RuleSpec,
    id=st.text(max_size=4),
    action=st.sampled_from(list(RuleAction)),
    priority=st.integers(-5, 300),
    expression=expressions,
    variant=st.none() | st.sampled_from([*NAMES, "ghost"]),
)
variants = st.builds(
    VariantSpec,
    st.sampled_from(NAMES),
    st.floats(-50, 200) | st.floats() | st.integers(0, 100).map(float),
    json_values,
)
snapshots = st.builds(
    FlagSnapshot,
    feature_id=st.just("f"),
    feature_key=any_text,
    kind=st.sampled_from(["simple", "multivariant"]),
    rollout_key=st.none() | st.sampled_from(ATTRIBUTES),
    enabled=st.booleans(),
    default_value=any_text,
    variants=st.lists(variants, max_size=4).map(tuple),
    rules=st.lists(rules, max_size=5).map(tuple),
    algorithm=st.none() | st.just("thompson"),
)


class RandomHook:
    def __init__(self, result: Any, fails: bool) -> None:
        self.result = result
        self.fails = fails

    def choose(self, context: Mapping[str, Any], unit: float | None) -> Any:
        assert unit is None or 0 <= unit < 1
        if self.fails:
            raise ZeroDivisionError
        return self.result


hooks = st.none() | st.builds(RandomHook, json_values | st.sampled_from(NAMES), st.booleans())


@settings(max_examples=250, deadline=None)
@given(snapshot=snapshots, context=contexts, hook=hooks)
def test_evaluate_never_raises_and_keeps_the_wire_invariants(
    snapshot: FlagSnapshot, context: dict[str, Any], hook: RandomHook | None
) -> None:
    decision = evaluate(snapshot, context, NOW, hook=hook)

    if decision.reason in OFF_REASONS:
        assert not decision.enabled and decision.value == "" and decision.variant is None
    else:
        assert decision.enabled
    if decision.variant is not None:
        assert decision.value == decision.variant
        assert decision.variant in {v.name for v in snapshot.variants}
    elif decision.enabled and decision.reason is not Reason.ALGORITHM:
        assert decision.value == snapshot.default_value
    if decision.rule_id is not None:
        assert decision.rule_id in {r.id for r in snapshot.rules}
    if not snapshot.enabled:
        assert decision.reason is Reason.DISABLED

    # deterministic, and explain only adds the trace
    assert evaluate(snapshot, context, NOW, hook=hook) == decision
    explained = evaluate(snapshot, context, NOW, hook=hook, explain=True)
    assert explained.trace and replace(explained, trace=()) == decision


@settings(max_examples=60, deadline=None)
@given(snapshot=snapshots, context=contexts)
def test_an_exclude_match_always_wins(snapshot: FlagSnapshot, context: dict[str, Any]) -> None:
    always = Condition("anything", Operator.NOT_EXISTS, None)
    blocked = replace(
        snapshot,
        enabled=True,
        rules=(*snapshot.rules, RuleSpec("zz-block", RuleAction.EXCLUDE, 999, always)),
    )
    context = {k: v for k, v in context.items() if k != "anything"}
    decision = evaluate(blocked, context, NOW)
    assert decision.reason is Reason.EXCLUDED and not decision.enabled
