"""Condition trees, rule actions and operators: the targeting vocabulary.

A condition tree arrives as JSON, either
``{"condition": {"attribute", "operator", "value"}}`` or
``{"group": {"operator": "and" | "or" | "and_not", "children": [...]}}``.
`parse_expression` validates it once, at write time, so evaluation never meets a bad tree.
Whether a `regex` pattern is one the engine runs is the engine's to say: write paths pass its
`regex_error` (togglr.evaluation.operators), which keeps this module free of the regex library.
Stored trees are parsed without it, so a pattern refused since it was stored still loads (and
never matches) instead of breaking the snapshot it is part of.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeAlias

from togglr.domain.errors import InvalidInputError

MAX_GROUP_CHILDREN = 50
MAX_DEPTH = 10
ATTRIBUTE_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


class RuleAction(StrEnum):
    ASSIGN = "assign"
    INCLUDE = "include"
    EXCLUDE = "exclude"


class GroupOperator(StrEnum):
    AND = "and"
    OR = "or"
    AND_NOT = "and_not"


class Operator(StrEnum):
    EQ = "eq"
    NEQ = "neq"
    IN = "in"
    NOT_IN = "not_in"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    REGEX = "regex"
    PERCENTAGE = "percentage"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    SEMVER_EQ = "semver_eq"
    SEMVER_GT = "semver_gt"
    SEMVER_GTE = "semver_gte"
    SEMVER_LT = "semver_lt"
    SEMVER_LTE = "semver_lte"
    BEFORE = "before"
    AFTER = "after"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"


LIST_OPERATORS = frozenset({Operator.IN, Operator.NOT_IN})
NUMERIC_OPERATORS = frozenset({Operator.GT, Operator.GTE, Operator.LT, Operator.LTE})
SEMVER_OPERATORS = frozenset(
    {
        Operator.SEMVER_EQ,
        Operator.SEMVER_GT,
        Operator.SEMVER_GTE,
        Operator.SEMVER_LT,
        Operator.SEMVER_LTE,
    }
)
DATE_OPERATORS = frozenset({Operator.BEFORE, Operator.AFTER})
PRESENCE_OPERATORS = frozenset({Operator.EXISTS, Operator.NOT_EXISTS})
SEMVER_PATTERN = re.compile(
    r"^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?"
    r"(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)


@dataclass(frozen=True, slots=True)
class Condition:
    """One test of a context attribute against an expected value."""

    attribute: str
    operator: Operator
    value: Any


@dataclass(frozen=True, slots=True)
class Group:
    """A boolean combination of child expressions."""

    operator: GroupOperator
    children: tuple[Expression, ...]


Expression: TypeAlias = Condition | Group
RegexCheck: TypeAlias = Callable[[str], str | None]
"""Why a regex pattern is refused, or None: `togglr.evaluation.operators.regex_error`."""


def parse_expression(
    raw: object,
    *,
    path: str = "condition",
    depth: int = 0,
    regex_error: RegexCheck | None = None,
) -> Expression:
    """Validate a JSON condition tree and turn it into typed nodes; raise InvalidInputError.

    With `regex_error` (at write time), a regex pattern it refuses is an error naming the field.
    """
    if depth > MAX_DEPTH:
        raise InvalidInputError(f"{path}: condition tree is nested deeper than {MAX_DEPTH}")
    if not isinstance(raw, dict) or len(raw) != 1:
        raise InvalidInputError(
            f"{path}: expected an object with exactly one of 'condition' or 'group'"
        )
    if "condition" in raw:
        return _parse_condition(raw["condition"], f"{path}.condition", regex_error)
    if "group" in raw:
        return _parse_group(raw["group"], f"{path}.group", depth, regex_error)
    raise InvalidInputError(f"{path}: expected 'condition' or 'group'")


def _parse_group(raw: object, path: str, depth: int, regex_error: RegexCheck | None) -> Group:
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{path}: expected an object")
    try:
        op = GroupOperator(str(raw.get("operator")))
    except ValueError:
        raise InvalidInputError(f"{path}.operator: must be one of and, or, and_not") from None
    children = raw.get("children")
    if not isinstance(children, list) or not 1 <= len(children) <= MAX_GROUP_CHILDREN:
        raise InvalidInputError(
            f"{path}.children: expected a list of 1 to {MAX_GROUP_CHILDREN} expressions"
        )
    if op is GroupOperator.AND_NOT and len(children) != 2:
        raise InvalidInputError(f"{path}: and_not needs exactly two children (left AND NOT right)")
    parsed = tuple(
        parse_expression(
            child, path=f"{path}.children[{i}]", depth=depth + 1, regex_error=regex_error
        )
        for i, child in enumerate(children)
    )
    return Group(op, parsed)


def _parse_condition(raw: object, path: str, regex_error: RegexCheck | None) -> Condition:
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{path}: expected an object")
    attribute = raw.get("attribute")
    if not isinstance(attribute, str) or not ATTRIBUTE_PATTERN.match(attribute):
        raise InvalidInputError(
            f"{path}.attribute: 1-100 characters of letters, digits, '.', '_', ':' or '-'"
        )
    try:
        op = Operator(str(raw.get("operator")))
    except ValueError:
        names = ", ".join(o.value for o in Operator)
        raise InvalidInputError(f"{path}.operator: must be one of {names}") from None
    value = raw.get("value")
    _check_value(op, value, f"{path}.value", regex_error)
    return Condition(attribute, op, value)


def _check_value(  # noqa: C901
    op: Operator, value: object, path: str, regex_error: RegexCheck | None
) -> None:
    if op in PRESENCE_OPERATORS:
        return
    if value is None:
        raise InvalidInputError(f"{path}: required for operator {op.value}")
    if op in LIST_OPERATORS:
        if not isinstance(value, list) or not value:
            raise InvalidInputError(f"{path}: operator {op.value} needs a non-empty list")
        if any(isinstance(v, dict | list) for v in value):
            raise InvalidInputError(f"{path}: list items must be strings, numbers or booleans")
    elif op in NUMERIC_OPERATORS:
        if _as_float(value) is None:
            raise InvalidInputError(f"{path}: operator {op.value} needs a number")
    elif op is Operator.PERCENTAGE:
        number = _as_float(value)
        if number is None or not 0 <= number <= 100:
            raise InvalidInputError(f"{path}: percentage must be a number from 0 to 100")
    elif op is Operator.REGEX:
        if not isinstance(value, str):
            raise InvalidInputError(f"{path}: regex must be a string")
        problem = regex_error(value) if regex_error is not None else None
        if problem is not None:
            raise InvalidInputError(f"{path}: {problem}")
    elif op in SEMVER_OPERATORS:
        if not isinstance(value, str) or not SEMVER_PATTERN.match(value):
            raise InvalidInputError(f"{path}: {value!r} is not a semantic version")
    elif op in DATE_OPERATORS:
        if not isinstance(value, str) or parse_datetime(value) is None:
            raise InvalidInputError(f"{path}: expected an ISO 8601 date-time")
    elif isinstance(value, dict | list):
        raise InvalidInputError(f"{path}: operator {op.value} needs a string, number or boolean")


def _as_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def parse_datetime(text: str) -> datetime | None:
    """Parse an ISO 8601 date or date-time; naive values are read as UTC."""
    from datetime import UTC

    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def expression_to_json(expr: Expression) -> dict[str, Any]:
    """Serialise a parsed tree back to its JSON shape."""
    if isinstance(expr, Condition):
        return {
            "condition": {
                "attribute": expr.attribute,
                "operator": expr.operator.value,
                "value": expr.value,
            }
        }
    return {
        "group": {
            "operator": expr.operator.value,
            "children": [expression_to_json(child) for child in expr.children],
        }
    }
