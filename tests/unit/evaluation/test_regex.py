"""The regex operator: linear-time matching, RE2 syntax, and its limits (docs/evaluation.md).

A backtracking engine takes exponential time on nested quantifiers ((a+)+$ with 28 characters
took 17.9 s on the SDK API); these tests pin that no pattern and no value can do that.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from togglr.domain.errors import InvalidInputError
from togglr.domain.targeting import Operator, parse_expression
from togglr.evaluation.operators import (
    MAX_REGEX_INPUT,
    MAX_REGEX_PROGRAM,
    apply,
    compile_regex,
    regex_error,
)

# The classic catastrophic-backtracking patterns, each with an input that makes a backtracking
# engine try every way of splitting the text, and the right answer for that input.
CATASTROPHIC = [
    ("(a+)+$", "a", "!", False),
    ("(a|aa)+$", "a", "!", False),
    ("(a|a?)+$", "a", "!", True),  # matches the empty string at the end
    ("(.*a){20}", "b", "", False),  # after 19 a's (below)
    ("([a-zA-Z]+)*$", "a", "!", True),
    ("(x+x+)+y", "x", "", False),
    ("^(\\w+\\s?)+$", "w", "!", False),
    ("(a*)*b", "a", "", False),
    ("^(([a-z])+.)+[A-Z]([a-z])+$", "a", "!", False),
]
# 24 characters already take seconds with backtracking; 1,000 is within MAX_REGEX_INPUT and
# would take longer than the universe has existed; 100,000 is past the input bound.
LENGTHS = [24, 1000, 100_000]


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize(("pattern", "char", "tail", "expected"), CATASTROPHIC)
def test_catastrophic_patterns_answer_at_once(
    pattern: str, char: str, tail: str, expected: bool, n: int
) -> None:
    assert regex_error(pattern) is None  # all of them are fine RE2 patterns: accepted
    value = ("a" * 19 if pattern == "(.*a){20}" else "") + char * n + tail
    started = time.perf_counter()
    answer = apply(Operator.REGEX, value, pattern)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.1, f"{pattern} on {len(value)} characters took {elapsed:.2f}s"
    assert answer is (expected and len(value) <= MAX_REGEX_INPUT)


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(a)\\1", "invalid escape sequence: \\1"),  # backreference
        ("^(?=admin)", "invalid perl operator: (?="),  # lookahead
        ("(?<!x)y", "invalid perl operator: (?<"),  # lookbehind
        ("a++", "bad repetition operator: ++"),  # possessive
        ("end\\Z", "invalid escape sequence: \\Z"),  # RE2 spells it \z
        ("(", "missing ): ("),
        ("a{1001}", "invalid repetition size: {1001}"),
    ],
)
def test_patterns_outside_re2_are_refused_and_never_match(pattern: str, why: str) -> None:
    error = regex_error(pattern)
    assert error is not None
    assert why in error
    assert "RE2" in error
    assert compile_regex(pattern) is None
    assert apply(Operator.REGEX, "aa admin xy end", pattern) is False


def test_patterns_too_complex_for_the_budget_are_refused() -> None:
    error = regex_error("[a-p]{1,990}z")
    assert error is not None
    assert f"at most {MAX_REGEX_PROGRAM}" in error
    assert compile_regex("[a-p]{1,990}z") is None
    assert apply(Operator.REGEX, "az", "[a-p]{1,990}z") is False
    # ordinary patterns stay far below the budget, Unicode script classes included
    for ok in ["^[\\w.+-]+@[\\w-]+\\.[\\w.-]+$", "\\p{Greek}+", "(?i)^(ios|android)$", "^4\\d\\d$"]:
        assert regex_error(ok) is None, ok


def test_values_longer_than_the_input_bound_never_match() -> None:
    assert apply(Operator.REGEX, "a" * MAX_REGEX_INPUT, "a$") is True
    assert apply(Operator.REGEX, "a" * (MAX_REGEX_INPUT + 1), "a$") is False
    assert apply(Operator.REGEX, "é" * MAX_REGEX_INPUT, "é$") is True  # characters, not bytes


def test_re2_semantics_where_python_re_differs() -> None:
    assert apply(Operator.REGEX, "a\n", "^a$") is False  # $ is the very end, not before a \n
    assert apply(Operator.REGEX, "١٢٣", "^\\d+$") is False  # \d is ASCII digits
    assert apply(Operator.REGEX, "é", "^\\w$") is False  # \w is ASCII word characters
    assert apply(Operator.REGEX, "é", "^\\pL$") is False or regex_error("\\pL") is not None
    assert apply(Operator.REGEX, "é", "^\\p{Latin}$") is True
    assert apply(Operator.REGEX, "ada", "ada\\z") is True
    assert apply(Operator.REGEX, "ADA", "(?i)^ada$") is True
    assert apply(Operator.REGEX, "\ud800", ".") is False  # not valid text: no match, no error


def test_compiled_patterns_are_cached() -> None:
    assert compile_regex("a+") is compile_regex("a+")


def test_write_time_check_names_the_field() -> None:
    tree = {
        "group": {
            "operator": "or",
            "children": [
                {"condition": {"attribute": "email", "operator": "regex", "value": "@x\\.dev$"}},
                {"condition": {"attribute": "email", "operator": "regex", "value": "(a)\\1"}},
            ],
        }
    }
    parse_expression(tree)  # the structure is fine: a stored tree still loads
    with pytest.raises(InvalidInputError) as caught:
        parse_expression(tree, path="rules[2].condition", regex_error=regex_error)
    message = str(caught.value)
    assert message.startswith("rules[2].condition.group.children[1].condition.value: ")
    assert "backreferences" in message


# --- RE2 agrees with Python's re on the patterns both read alike --------------------------

_atoms = st.sampled_from(["a", "b", "c", ".", "[ab]", "[^a]", "[a-c]", "\\.", "x"])
_quantifiers = st.sampled_from(["", "", "*", "+", "?", "{2}", "{1,3}", "*?", "+?"])
_pieces = st.builds(lambda atom, q: atom + q, _atoms, _quantifiers)


def _group(children: list[str]) -> str:
    return "(?:" + "|".join(children) + ")"


_branches = st.lists(_pieces, min_size=1, max_size=4).map("".join)
_groups = st.builds(
    lambda alts, q: _group(alts) + q, st.lists(_branches, min_size=1, max_size=3), _quantifiers
)
_patterns = st.builds(
    lambda start, body, end: start + "".join(body) + end,
    st.sampled_from(["", "^"]),
    st.lists(_pieces | _groups, min_size=1, max_size=4),
    st.sampled_from(["", "$"]),
)


@settings(max_examples=400, deadline=None)
@given(pattern=_patterns, text=st.text("abcx.", max_size=30))
def test_re2_agrees_with_python_re_on_simple_patterns(pattern: str, text: str) -> None:
    assert regex_error(pattern) is None
    assert apply(Operator.REGEX, text, pattern) is (re.search(pattern, text) is not None)
