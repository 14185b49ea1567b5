"""The operator table: each operator compiles its expected value once into a fast test.

A test receives the context value of a *present* attribute (not missing, not null) and answers
True/False. An absent attribute never reaches a test: every operator is then false except
`not_exists` (see `absent_result`). Comparisons work on the canonical string form of
`togglr.evaluation.rollout.string_form`, so `123` and `"123"` compare alike. The full semantics,
with examples, are in docs/evaluation.md.

`regex` runs on RE2 (google-re2), whose matching time is linear in the value: no pattern can
make it backtrack. Its cost is still about pattern size × value length, so both are bounded
(MAX_REGEX_PROGRAM, MAX_REGEX_INPUT). This module is the only place that knows the engine.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeAlias

import re2

from togglr.domain.targeting import SEMVER_PATTERN, Operator, parse_datetime
from togglr.evaluation.rollout import basis_points, bucket, string_form

Test: TypeAlias = Callable[[Any], bool]
SemverKey: TypeAlias = tuple[int, int, int, tuple[Any, ...]]

MAX_REGEX_PROGRAM = 1000
"""The most RE2 instructions a pattern may compile to (ordinary patterns need under 100)."""
MAX_REGEX_INPUT = 1024
"""The longest value, in characters, that a regex searches; a longer value does not match.
With MAX_REGEX_PROGRAM it bounds one search to about a million steps, a few milliseconds."""

# The JSON number grammar (no NaN, Infinity, underscores or surrounding spaces), so numeric
# strings read the same in every SDK.
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def _never(actual: Any) -> bool:
    return False


def _always(actual: Any) -> bool:
    return True


def _text(value: Any) -> str:
    return value if isinstance(value, str) else string_form(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_array(value: Any) -> bool:
    return isinstance(value, list | tuple)


def to_number(value: Any) -> int | float | None:
    """A JSON number as is, a string in JSON number syntax as a float; anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return float(value)
    return None


@functools.lru_cache(maxsize=4096)  # app versions repeat across users; parse each once
def semver_key(text: str) -> SemverKey | None:
    """A sort key giving semantic-version precedence (2.0.0 §11), or None if not a version.

    Missing minor/patch read as 0 and a leading "v" is allowed (as in SEMVER_PATTERN); build
    metadata is ignored. A release sorts after its pre-releases; pre-release identifiers compare
    numerically when all digits, else by ASCII, numeric before alphanumeric, and a shorter list
    of identifiers sorts first when all shared ones are equal.
    """
    match = SEMVER_PATTERN.match(text)
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    if pre is None:
        tail: tuple[Any, ...] = (1,)
    else:
        tail = (0, *((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")))
    return int(major), int(minor or 0), int(patch or 0), tail


def to_datetime(value: Any) -> datetime | None:
    """An ISO 8601 date or date-time string (naive read as UTC); anything else None."""
    if isinstance(value, str):
        return parse_datetime(value)
    if isinstance(value, datetime):  # Python callers may pass datetimes directly
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _regex_options() -> Any:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is an answer to the caller, not a log line
    options.never_capture = True  # the operator asks yes or no: no group positions to track
    return options


_REGEX_OPTIONS = _regex_options()


def regex_error(pattern: str) -> str | None:
    """Why the regex operator refuses `pattern`, or None when it runs it.

    Refused: what RE2 cannot parse (backreferences, lookaround, possessive quantifiers, ...)
    and patterns that compile to more than MAX_REGEX_PROGRAM instructions.
    """
    try:
        program = re2.compile(pattern, _REGEX_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid pattern"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return (
            f"not a regular expression the linear-time engine runs ({reason}); it reads RE2 "
            "syntax, without backreferences or lookaround (docs/evaluation.md)"
        )
    except UnicodeEncodeError:
        return "not valid Unicode text"
    size = int(program.programsize)
    if size > MAX_REGEX_PROGRAM:
        return (
            f"regular expression too complex: it compiles to {size} instructions, at most "
            f"{MAX_REGEX_PROGRAM}; simplify it (large counted repeats such as {{1,500}} and "
            r"\pL cost the most; \p{Latin} and friends are small)"
        )
    return None


@functools.lru_cache(maxsize=1024)
def compile_regex(pattern: str) -> Test | None:
    """The search test of a pattern over a string, cached; None when regex_error refuses it."""
    if regex_error(pattern) is not None:
        return None
    # A one-pattern RE2 Set answers "is there a match" with the DFA alone, without the
    # backtracking-free but slower fallback that finding the match's position needs.
    matcher = re2.Set.SearchSet(_REGEX_OPTIONS)
    try:
        matcher.Add(pattern)
        matcher.Compile()
    except re2.error:
        return None
    match = matcher.Match

    def search(text: str) -> bool:
        if len(text) > MAX_REGEX_INPUT:
            return False
        try:
            return match(text) is not None
        except UnicodeEncodeError:  # lone surrogates: not text RE2 can read, so no match
            return False

    return search


def _folded(value: Any) -> str:
    return _text(value).casefold()


# --- compilers: (expected value, salt) -> test ------------------------------------------------


def _eq(expected: Any, salt: str) -> Test:
    want = _text(expected)
    if not _is_number(expected):
        # a str context value (the common case) is its own text: skip the call
        return lambda actual: (actual if type(actual) is str else _text(actual)) == want

    def test(actual: Any) -> bool:
        # two numbers compare as numbers (30 == 30.0), anything else by string form
        return bool(actual == expected) if _is_number(actual) else _text(actual) == want

    return test


def _neq(expected: Any, salt: str) -> Test:
    equal = _eq(expected, salt)
    return lambda actual: not equal(actual)


def _in(expected: Any, salt: str) -> Test:
    items = expected if _is_array(expected) else [expected]
    wanted = frozenset(_folded(item) for item in items)

    def test(actual: Any) -> bool:
        if type(actual) is str:  # the common case, without the general conversions
            return actual.casefold() in wanted
        if _is_array(actual):  # an array attribute matches when any element is listed
            return any(item is not None and _folded(item) in wanted for item in actual)
        return _folded(actual) in wanted

    return test


def _not_in(expected: Any, salt: str) -> Test:
    inside = _in(expected, salt)
    return lambda actual: not inside(actual)


def _numeric(compare: Callable[[Any, Any], bool]) -> Callable[[Any, str], Test]:
    def build(expected: Any, salt: str) -> Test:
        bound = to_number(expected)
        if bound is None:
            return _never

        def test(actual: Any) -> bool:
            number = to_number(actual)
            return number is not None and compare(number, bound)

        return test

    return build


def _regex(expected: Any, salt: str) -> Test:
    search = compile_regex(_text(expected))
    if search is None:
        return _never
    return lambda actual: search(actual if type(actual) is str else _text(actual))


def _percentage(expected: Any, salt: str) -> Test:
    percent = to_number(expected)
    if percent is None:
        return _never
    limit = basis_points(float(percent))
    return lambda actual: bucket(salt, actual) < limit


def _contains(expected: Any, salt: str) -> Test:
    want = _text(expected)

    def test(actual: Any) -> bool:
        if _is_array(actual):  # membership for arrays, substring for everything else
            return any(item is not None and _text(item) == want for item in actual)
        return want in _text(actual)

    return test


def _starts_with(expected: Any, salt: str) -> Test:
    want = _text(expected)
    return lambda actual: _text(actual).startswith(want)


def _ends_with(expected: Any, salt: str) -> Test:
    want = _text(expected)
    return lambda actual: _text(actual).endswith(want)


def _semver(compare: Callable[[SemverKey, SemverKey], bool]) -> Callable[[Any, str], Test]:
    def build(expected: Any, salt: str) -> Test:
        bound = semver_key(_text(expected))
        if bound is None:
            return _never

        def test(actual: Any) -> bool:
            key = semver_key(_text(actual))
            return key is not None and compare(key, bound)

        return test

    return build


def _moment(compare: Callable[[datetime, datetime], bool]) -> Callable[[Any, str], Test]:
    def build(expected: Any, salt: str) -> Test:
        bound = to_datetime(expected)
        if bound is None:
            return _never

        def test(actual: Any) -> bool:
            moment = to_datetime(actual)
            return moment is not None and compare(moment, bound)

        return test

    return build


def _exists(expected: Any, salt: str) -> Test:
    return _always


def _not_exists(expected: Any, salt: str) -> Test:
    return _never


_COMPILERS: Mapping[Operator, Callable[[Any, str], Test]] = {
    Operator.EQ: _eq,
    Operator.NEQ: _neq,
    Operator.IN: _in,
    Operator.NOT_IN: _not_in,
    Operator.GT: _numeric(lambda a, b: a > b),
    Operator.GTE: _numeric(lambda a, b: a >= b),
    Operator.LT: _numeric(lambda a, b: a < b),
    Operator.LTE: _numeric(lambda a, b: a <= b),
    Operator.REGEX: _regex,
    Operator.PERCENTAGE: _percentage,
    Operator.CONTAINS: _contains,
    Operator.STARTS_WITH: _starts_with,
    Operator.ENDS_WITH: _ends_with,
    Operator.SEMVER_EQ: _semver(lambda a, b: a == b),
    Operator.SEMVER_GT: _semver(lambda a, b: a > b),
    Operator.SEMVER_GTE: _semver(lambda a, b: a >= b),
    Operator.SEMVER_LT: _semver(lambda a, b: a < b),
    Operator.SEMVER_LTE: _semver(lambda a, b: a <= b),
    Operator.BEFORE: _moment(lambda a, b: a < b),
    Operator.AFTER: _moment(lambda a, b: a > b),
    Operator.EXISTS: _exists,
    Operator.NOT_EXISTS: _not_exists,
}


def compile_test(operator: Operator, expected: Any, *, salt: str = "") -> Test:
    """Build the test for one condition; `salt` seeds `percentage` (feature key + attribute)."""
    return _COMPILERS[operator](expected, salt)


def absent_result(operator: Operator) -> bool:
    """What a condition answers when its attribute is missing or null."""
    return operator is Operator.NOT_EXISTS


def apply(operator: Operator, actual: Any, expected: Any, *, salt: str = "") -> bool:
    """One-off evaluation of an operator; `actual` None means the attribute is absent."""
    if actual is None:
        return absent_result(operator)
    return compile_test(operator, expected, salt=salt)(actual)
