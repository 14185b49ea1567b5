"""The engine's order of checks, the hook, schedules, explain traces and the compiled cache.

Most behaviour is pinned by spec/evaluation/*.json; these tests cover what JSON cannot say.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from togglr.domain.targeting import RuleAction, parse_expression
from togglr.evaluation import (
    Decision,
    FlagSnapshot,
    Reason,
    RuleSpec,
    ScheduleSpec,
    VariantSpec,
    evaluate,
    prepare,
    split_attribute,
    unit,
)
from togglr.evaluation import schedules as schedules_module

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def cond(attribute: str, operator: str, value: Any = None) -> Any:
    return parse_expression(
        {"condition": {"attribute": attribute, "operator": operator, "value": value}}
    )


def make(
    *rules: RuleSpec,
    kind: str = "multivariant",
    enabled: bool = True,
    algorithm: str | None = None,
    schedules: tuple[ScheduleSpec, ...] = (),
    rollout_key: str | None = "user.id",
) -> FlagSnapshot:
    return FlagSnapshot(
        feature_id="f1",
        feature_key="checkout",
        kind=kind,  # type: ignore[arg-type]
        rollout_key=rollout_key,
        enabled=enabled,
        default_value="off",
        variants=(VariantSpec("treatment", 50, "T"), VariantSpec("control", 50, "C")),
        rules=rules,
        schedules=schedules,
        algorithm=algorithm,
    )


def assign(rule_id: str, priority: int, variant: str, **condition: Any) -> RuleSpec:
    return RuleSpec(rule_id, RuleAction.ASSIGN, priority, cond(**condition), variant)


def include(rule_id: str, priority: int, **condition: Any) -> RuleSpec:
    return RuleSpec(rule_id, RuleAction.INCLUDE, priority, cond(**condition))


def exclude(rule_id: str, priority: int, **condition: Any) -> RuleSpec:
    return RuleSpec(rule_id, RuleAction.EXCLUDE, priority, cond(**condition))


class Hook:
    def __init__(self, result: Any = None, error: Exception | None = None) -> None:
        self.result = result
        self.error = error
        self.calls: list[tuple[Mapping[str, Any], float | None]] = []

    def choose(self, context: Mapping[str, Any], unit: float | None) -> Any:
        self.calls.append((context, unit))
        if self.error is not None:
            raise self.error
        return self.result


PRO = {"attribute": "plan", "operator": "eq", "value": "pro"}


# --- order of checks ----------------------------------------------------------------------


def test_rule_order_does_not_depend_on_input_order() -> None:
    rules = [
        assign("b", 5, "control", **PRO),
        assign("a", 5, "treatment", **PRO),
        assign("c", 1, "control", attribute="plan", operator="eq", value="free"),
        exclude("x", 9, attribute="banned", operator="eq", value=True),
    ]
    decisions = set()
    for seed in range(10):
        random.Random(seed).shuffle(rules)
        decisions.add(evaluate(make(*rules), {"plan": "pro"}, NOW))
    assert decisions == {Decision(True, "treatment", Reason.TARGETING_MATCH, "treatment", "T", "a")}


def test_assign_beats_the_algorithm_and_skips_the_hook() -> None:
    hook = Hook("control")
    snapshot = make(assign("a", 1, "treatment", **PRO), algorithm="thompson")
    decision = evaluate(snapshot, {"plan": "pro"}, NOW, hook=hook)
    assert decision.reason is Reason.TARGETING_MATCH and decision.value == "treatment"
    assert hook.calls == []


def test_decisions_of_a_snapshot_are_shared_and_immutable() -> None:
    snapshot = make()
    first = evaluate(snapshot, {"user.id": "u1"}, NOW)
    assert evaluate(snapshot, {"user.id": "u1"}, NOW) is first


def test_rng_does_not_change_the_decision() -> None:
    snapshot = make()
    plain = evaluate(snapshot, {"user.id": "u1"}, NOW)
    assert evaluate(snapshot, {"user.id": "u1"}, NOW, rng=random.Random(7)) == plain


# --- algorithm hook ---------------------------------------------------------------------------


def test_hook_gets_the_context_and_the_users_unit() -> None:
    hook = Hook("control")
    context = {"user": {"id": "u1"}}
    decision = evaluate(make(algorithm="thompson"), context, NOW, hook=hook)
    assert decision == Decision(True, "control", Reason.ALGORITHM, "control", "C")
    assert hook.calls == [(context, unit("checkout", "u1"))]


def test_hook_unit_is_none_without_rollout_attribute() -> None:
    hook = Hook(None)
    evaluate(make(algorithm="thompson"), {}, NOW, hook=hook)
    evaluate(make(algorithm="thompson", rollout_key=None), {"email": "u"}, NOW, hook=hook)
    assert [call[1] for call in hook.calls] == [None, None]


def test_without_a_rollout_key_the_hook_unit_follows_the_default_attributes() -> None:
    hook = Hook(None)
    evaluate(make(algorithm="thompson", rollout_key=None), {"user.id": "u"}, NOW, hook=hook)
    evaluate(make(algorithm="thompson", rollout_key=None), {"targetingKey": "t"}, NOW, hook=hook)
    assert [call[1] for call in hook.calls] == [unit("checkout", "u"), unit("checkout", "t")]


def test_explain_names_the_split_attribute_and_its_absence() -> None:
    flag = make(rollout_key=None)
    hit = evaluate(flag, {"userId": "u1"}, NOW, explain=True)
    assert hit.trace[-1].step == "split"
    assert hit.trace[-1].detail is not None and hit.trace[-1].detail.startswith("by userId: ")
    assert split_attribute(flag, {"userId": "u1"}) == "userId"
    miss = evaluate(flag, {"country": "DE"}, NOW, explain=True)
    split = next(step for step in miss.trace if step.step == "split")
    assert split.outcome == "skipped"
    assert split.detail == (
        "the context has none of targetingKey, user.id, userId, user_id, "
        "so the split cannot place it"
    )
    assert split_attribute(flag, {"country": "DE"}) is None
    keyed = evaluate(make(), {"userId": "u1"}, NOW, explain=True)
    assert next(s for s in keyed.trace if s.step == "split").detail == (
        "the context has no user.id, so the split cannot place it"
    )


def test_simple_feature_with_rollout_key_still_passes_a_unit() -> None:
    hook = Hook(None)
    evaluate(make(kind="simple", algorithm="opt"), {"user.id": "u"}, NOW, hook=hook)
    assert hook.calls[0][1] == unit("checkout", "u")


@pytest.mark.parametrize(
    ("result", "value"),
    [(1.05, "1.05"), (0, "0"), (-0.1, "-0.1"), (3, "3"), (2.0, "2"), (1e-7, "0.0000001")],
)
def test_numeric_hook_results_become_compact_decimal_values(result: float, value: str) -> None:
    decision = evaluate(make(kind="simple", algorithm="hill_climb"), {}, NOW, hook=Hook(result))
    assert decision == Decision(True, value, Reason.ALGORITHM, None, result)


@pytest.mark.parametrize(
    "result",
    [math.nan, math.inf, -math.inf, True, False, 10**5000, ["a"], {"v": 1}, "ghost"],
    ids=["nan", "inf", "-inf", "true", "false", "int-5000-digits", "list", "dict", "unknown"],
)
def test_unusable_hook_results_fall_through(result: Any) -> None:
    decision = evaluate(make(kind="simple", algorithm="x"), {}, NOW, hook=Hook(result))
    assert decision == Decision(True, "off", Reason.DEFAULT)


def test_a_failing_hook_falls_through_to_the_split() -> None:
    hook = Hook(error=RuntimeError("model not loaded"))
    decision = evaluate(make(algorithm="thompson"), {"user.id": "u1"}, NOW, hook=hook, explain=True)
    assert decision.reason is Reason.SPLIT
    assert ("algorithm", "failed", "RuntimeError") in [
        (s.step, s.outcome, s.detail) for s in decision.trace
    ]


def test_hook_without_an_attached_algorithm_is_ignored() -> None:
    hook = Hook("control")
    assert evaluate(make(), {}, NOW, hook=hook).reason is Reason.DEFAULT
    assert hook.calls == []


# --- schedules --------------------------------------------------------------------------------

WINDOW = (ScheduleSpec("s1", "enable", starts_at=NOW),)


@pytest.mark.parametrize(
    ("state", "reason"),
    [(None, Reason.DEFAULT), (True, Reason.DEFAULT), (False, Reason.SCHEDULED_OFF)],
)
def test_schedule_state_decides_after_the_master_switch(
    monkeypatch: pytest.MonkeyPatch, state: bool | None, reason: Reason
) -> None:
    seen: list[tuple[Sequence[ScheduleSpec], datetime]] = []

    def schedule_state(schedules: Sequence[ScheduleSpec], now: datetime) -> bool | None:
        seen.append((schedules, now))
        return state

    monkeypatch.setattr(schedules_module, "schedule_state", schedule_state, raising=False)
    decision = evaluate(make(schedules=WINDOW), {}, NOW, explain=True)
    assert decision.reason is reason
    assert decision.enabled is (reason is not Reason.SCHEDULED_OFF)
    assert seen == [(WINDOW, NOW)]
    assert decision.trace[1].step == "schedule"
    # the master switch wins without asking the schedules
    assert evaluate(make(schedules=WINDOW, enabled=False), {}, NOW).reason is Reason.DISABLED
    assert len(seen) == 1


def test_schedules_are_not_consulted_when_there_are_none(monkeypatch: pytest.MonkeyPatch) -> None:
    def schedule_state(schedules: Sequence[ScheduleSpec], now: datetime) -> bool | None:
        raise AssertionError("must not be called")

    monkeypatch.setattr(schedules_module, "schedule_state", schedule_state, raising=False)
    assert evaluate(make(), {}, NOW).reason is Reason.DEFAULT


def test_a_failing_or_missing_schedule_function_leaves_the_switch_in_charge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def schedule_state(schedules: Sequence[ScheduleSpec], now: datetime) -> bool | None:
        raise ValueError("bad cron")

    monkeypatch.setattr(schedules_module, "schedule_state", schedule_state, raising=False)
    assert evaluate(make(schedules=WINDOW), {}, NOW).reason is Reason.DEFAULT
    monkeypatch.delattr(schedules_module, "schedule_state", raising=False)
    assert evaluate(make(schedules=WINDOW), {}, NOW).reason is Reason.DEFAULT


# --- explain ----------------------------------------------------------------------------------


def steps(decision: Decision) -> list[tuple[str, str, str | None]]:
    return [(s.step, s.outcome, s.rule_id) for s in decision.trace]


def test_explain_traces_every_check_in_order() -> None:
    snapshot = make(
        exclude("x", 1, attribute="banned", operator="eq", value=True),
        assign("a", 2, "treatment", attribute="plan", operator="eq", value="staff"),
        include("i1", 3, attribute="plan", operator="eq", value="free"),
        include("i2", 4, **PRO),
    )
    decision = evaluate(snapshot, {"plan": "pro", "user.id": "u1"}, NOW, explain=True)
    assert steps(decision)[:5] == [
        ("switch", "on", None),
        ("exclude", "no match", "x"),
        ("assign", "no match", "a"),
        ("include", "no match", "i1"),
        ("include", "matched", "i2"),
    ]
    split = decision.trace[5]
    assert split.step == "split" and split.outcome == f"variant {decision.variant}"
    assert split.detail is not None and split.detail.startswith("by user.id: bucket ")
    assert evaluate(snapshot, {"plan": "pro", "user.id": "u1"}, NOW).trace == ()


def test_explain_traces_the_other_endings() -> None:
    off = evaluate(make(enabled=False), {}, NOW, explain=True)
    assert steps(off) == [("switch", "off", None)]
    excluded = evaluate(make(exclude("x", 1, **PRO)), {"plan": "pro"}, NOW, explain=True)
    assert steps(excluded)[-1] == ("exclude", "matched", "x")
    gated = evaluate(make(include("i", 1, **PRO)), {}, NOW, explain=True)
    assert steps(gated)[-1] == ("include", "not included", None)
    absent = evaluate(make(), {}, NOW, explain=True)
    assert steps(absent)[-2:] == [("split", "skipped", None), ("default", "default value", None)]
    hooked = evaluate(make(kind="simple", algorithm="x"), {}, NOW, hook=Hook(1.5), explain=True)
    assert steps(hooked)[-1] == ("algorithm", "chose 1.5", None)
    fell = evaluate(make(kind="simple", algorithm="x"), {}, NOW, hook=Hook(None), explain=True)
    assert steps(fell)[-2:] == [
        ("algorithm", "no choice", None),
        ("default", "default value", None),
    ]


def test_explain_reports_a_bucket_past_the_summed_percents() -> None:
    snapshot = FlagSnapshot(
        "f", "checkout", "multivariant", "user.id", True, "off", (VariantSpec("a", 0),)
    )
    decision = evaluate(snapshot, {"user.id": "u1"}, NOW, explain=True)
    assert decision.reason is Reason.DEFAULT
    assert steps(decision)[-2] == ("split", "no variant", None)


# --- robustness and the compiled cache ----------------------------------------------------


def test_unreadable_contexts_and_rollout_values_do_not_raise() -> None:
    loop: list[Any] = []
    loop.append(loop)
    snapshot = make(include("i", 1, attribute="user.id", operator="exists"))
    assert evaluate(snapshot, {"user.id": loop}, NOW).reason is Reason.TARGETING_MATCH
    assert evaluate(snapshot, None, NOW).reason is Reason.NOT_INCLUDED  # type: ignore[arg-type]
    assert evaluate(make(), {"user.id": loop}, NOW).reason is Reason.DEFAULT
    # an int too long for str() (hypothesis cannot even print one, so it is tested here)
    huge = 10**5000
    assert evaluate(make(), {"user.id": huge}, NOW).reason is Reason.DEFAULT
    eq = make(include("i", 1, attribute="plan", operator="eq", value="pro"))
    assert evaluate(eq, {"plan": huge}, NOW).reason is Reason.NOT_INCLUDED


def test_a_snapshot_is_compiled_once() -> None:
    snapshot = make(assign("a", 1, "treatment", **PRO))
    prepare(snapshot)
    compiled = snapshot._compiled
    assert compiled is not None
    evaluate(snapshot, {"plan": "pro"}, NOW)
    prepare(snapshot)
    assert snapshot._compiled is compiled


def test_assign_to_a_missing_variant_serves_the_default_value() -> None:
    snapshot = make(RuleSpec("a", RuleAction.ASSIGN, 1, cond(**PRO), None))
    assert evaluate(snapshot, {"plan": "pro"}, NOW) == Decision(
        True, "off", Reason.TARGETING_MATCH, rule_id="a"
    )
