"""Compiling condition trees and reading context attributes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from togglr.domain.targeting import Condition, Group, GroupOperator, Operator, parse_expression
from togglr.evaluation.conditions import compile_condition, compile_expression, lookup, matches

PRO = Condition("plan", Operator.EQ, "pro")
FREE = Condition("plan", Operator.EQ, "free")


class ExplodingContext(Mapping[str, Any]):
    """A context whose look-ups fail, standing in for any misbehaving Mapping."""

    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("boom")

    def get(self, key: str, default: Any = None) -> Any:
        raise RuntimeError("boom")

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def test_lookup_prefers_the_dotted_key_then_walks_objects() -> None:
    assert lookup({"user.id": 1, "user": {"id": 2}}, "user.id") == 1
    assert lookup({"user.id": None, "user": {"id": 2}}, "user.id") == 2
    assert lookup({"user": {"id": 2}}, "user.name") is None
    assert lookup({"user": [1]}, "user.0") is None  # arrays are not walked
    assert lookup({"plan": "pro"}, "plan") == "pro"


def test_lookup_walks_any_mapping() -> None:
    class Attributes(Mapping[str, Any]):
        def __getitem__(self, key: str) -> Any:
            return {"id": "7"}[key]

        def __iter__(self) -> Iterator[str]:
            return iter(["id"])

        def __len__(self) -> int:
            return 1

    assert lookup({"user": Attributes()}, "user.id") == "7"


def test_groups() -> None:
    assert matches(
        Group(GroupOperator.AND, (PRO, Condition("plan", Operator.EXISTS, None))), {"plan": "pro"}
    )
    assert not matches(Group(GroupOperator.AND, (PRO, FREE)), {"plan": "pro"})
    assert matches(Group(GroupOperator.OR, (FREE, PRO)), {"plan": "pro"})
    assert not matches(Group(GroupOperator.OR, (FREE, FREE)), {"plan": "pro"})
    assert matches(Group(GroupOperator.AND_NOT, (PRO, FREE)), {"plan": "pro"})
    assert not matches(Group(GroupOperator.AND_NOT, (PRO, PRO)), {"plan": "pro"})


def test_single_child_groups_collapse_to_the_child() -> None:
    child = compile_expression(Group(GroupOperator.AND, (PRO,)))
    assert child({"plan": "pro"}) and not child({"plan": "free"})
    either = compile_expression(Group(GroupOperator.OR, (PRO,)))
    assert either({"plan": "pro"}) and not either({})


def test_hand_built_malformed_groups_have_defined_answers() -> None:
    # parse_expression forbids these; hand-built trees still get an answer
    assert matches(Group(GroupOperator.AND, ()), {})
    assert not matches(Group(GroupOperator.OR, ()), {})
    assert not matches(Group(GroupOperator.AND_NOT, (PRO, PRO, PRO)), {"plan": "pro"})
    assert not matches("not an expression", {})  # type: ignore[arg-type]


def test_a_failing_context_makes_conditions_false() -> None:
    assert compile_condition(PRO)(ExplodingContext()) is False
    assert (
        compile_condition(Condition("plan", Operator.NOT_EXISTS, None))(ExplodingContext()) is False
    )


def test_a_condition_with_an_uncompilable_value_never_matches() -> None:
    broken = Condition("plan", "no-such-operator", "x")  # type: ignore[arg-type]
    assert compile_condition(broken)({"plan": "x"}) is False


def test_percentage_is_salted_with_feature_and_attribute() -> None:
    rule = parse_expression(
        {"condition": {"attribute": "user.id", "operator": "percentage", "value": 50}}
    )
    users = [{"user.id": f"user-{i}"} for i in range(400)]
    in_a = [matches(rule, user, feature_key="a") for user in users]
    in_b = [matches(rule, user, feature_key="b") for user in users]
    assert in_a != in_b  # a different feature draws a different half
    assert 150 < sum(in_a) < 250
