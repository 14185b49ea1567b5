"""The operator table. Semantics per operator are pinned by spec/evaluation/operators.json;
these tests cover the helpers, edge values and the no-raise promise."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from togglr.domain.targeting import Operator
from togglr.evaluation.operators import (
    absent_result,
    apply,
    compile_regex,
    compile_test,
    semver_key,
    to_datetime,
    to_number,
)
from togglr.evaluation.rollout import NoStringFormError

json_scalars = (
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats() | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
EXPECTED_BY_OPERATOR: dict[Operator, Any] = {
    Operator.EQ: "pro",
    Operator.NEQ: 30,
    Operator.IN: ["NL", 1, True],
    Operator.NOT_IN: ["nl"],
    Operator.GT: 18,
    Operator.GTE: "2.5",
    Operator.LT: 1e3,
    Operator.LTE: -4,
    Operator.REGEX: "^a.*z$",
    Operator.PERCENTAGE: 50,
    Operator.CONTAINS: "ab",
    Operator.STARTS_WITH: "a",
    Operator.ENDS_WITH: 1,
    Operator.SEMVER_EQ: "1.2.3",
    Operator.SEMVER_GT: "1.0.0-rc.1",
    Operator.SEMVER_GTE: "v2",
    Operator.SEMVER_LT: "3.0.0+build",
    Operator.SEMVER_LTE: "0.1.0-alpha.beta.1",
    Operator.BEFORE: "2024-01-01T00:00:00Z",
    Operator.AFTER: "2024-01-01",
    Operator.EXISTS: None,
    Operator.NOT_EXISTS: None,
}


def test_every_operator_has_a_compiler() -> None:
    assert set(EXPECTED_BY_OPERATOR) == set(Operator)
    for operator in Operator:
        compile_test(operator, EXPECTED_BY_OPERATOR[operator], salt="f:a")


@settings(max_examples=300)
@given(operator=st.sampled_from(list(Operator)), actual=json_values)
def test_operators_never_raise_on_json_values(operator: Operator, actual: Any) -> None:
    result = apply(operator, actual, EXPECTED_BY_OPERATOR[operator], salt="f:a")
    assert isinstance(result, bool)


@settings(max_examples=300)
@given(operator=st.sampled_from(list(Operator)), actual=json_values, expected=json_values)
def test_operators_with_unvalidated_expected_values_never_raise(
    operator: Operator, actual: Any, expected: Any
) -> None:
    assert isinstance(apply(operator, actual, expected), bool)


def test_absent_attribute_is_false_except_for_not_exists() -> None:
    for operator in Operator:
        assert absent_result(operator) is (operator is Operator.NOT_EXISTS)
        assert apply(operator, None, EXPECTED_BY_OPERATOR[operator]) is (
            operator is Operator.NOT_EXISTS
        )


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (1, 1),
        (2.5, 2.5),
        ("3", 3.0),
        ("-0.5e1", -5.0),
        ("1E+2", 100.0),
        (True, None),
        ("nan", None),
        ("inf", None),
        ("1_000", None),
        (" 1", None),
        ("01", None),
        ("+1", None),
        ("", None),
        ([1], None),
        (None, None),
    ],
)
def test_to_number_accepts_json_numbers_only(value: Any, number: float | None) -> None:
    assert to_number(value) == number


def test_semver_precedence_follows_semver_org_ordering() -> None:
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1",
        "v2",
        "10.0.0",
    ]
    keys = [key for key in map(semver_key, ordered) if key is not None]
    assert len(keys) == len(ordered)
    assert all(a < b for a, b in itertools.pairwise(keys))
    assert semver_key("1.0.0+abc") == semver_key("1.0.0")
    assert semver_key("not.a.version") is None


def test_to_datetime_accepts_python_datetimes() -> None:
    naive = datetime(2024, 1, 1, 12)
    assert to_datetime(naive) == datetime(2024, 1, 1, 12, tzinfo=UTC)
    aware = datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert to_datetime(aware) is aware
    assert to_datetime(1700000000) is None
    assert apply(Operator.BEFORE, naive, "2024-06-01T00:00:00Z") is True


def test_invalid_regex_compiles_to_none_and_never_matches() -> None:
    assert compile_regex("(") is None
    assert apply(Operator.REGEX, "(", "(") is False
    assert compile_regex("a{1001}") is None  # RE2 repeats at most 1000 times
    # a brace that cannot be a repeat count is a literal, in RE2 as in Python's re
    assert apply(Operator.REGEX, "a{9999999999}", "^a{9999999999}$") is True
    assert compile_regex("a+") is compile_regex("a+")  # cached


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        (Operator.GT, "many"),
        (Operator.PERCENTAGE, "half"),
        (Operator.SEMVER_EQ, "latest"),
        (Operator.AFTER, "tomorrow"),
    ],
)
def test_unusable_expected_values_never_match(operator: Operator, expected: Any) -> None:
    assert compile_test(operator, expected)("anything") is False
    assert compile_test(operator, expected)(5) is False


def test_scalar_expected_value_for_in_acts_as_a_one_item_list() -> None:
    assert apply(Operator.IN, "NL", "nl") is True
    assert apply(Operator.NOT_IN, "DE", "nl") is True


def test_array_attributes_skip_null_elements() -> None:
    assert apply(Operator.IN, [None, "x"], ["null"]) is False
    assert apply(Operator.CONTAINS, [None], "null") is False


def test_numbers_compare_exactly_even_when_large() -> None:
    assert apply(Operator.EQ, 10**21, 1e21) is True
    assert apply(Operator.GT, 10**400, 1e308) is True
    assert apply(Operator.LT, "1e400", 5) is False  # parses to infinity


def test_values_without_a_string_form_raise_for_the_condition_guard() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(NoStringFormError):
        apply(Operator.EQ, loop, "x")
