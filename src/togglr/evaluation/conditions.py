"""Compile a parsed condition tree into a predicate over an evaluation context.

Compiling once per snapshot keeps the hot path to attribute look-ups and precomputed tests.
A predicate never raises: a condition whose value cannot be read or compared is simply false.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from togglr.domain.targeting import Condition, Expression, Group, GroupOperator
from togglr.evaluation.operators import absent_result, compile_test

Predicate: TypeAlias = Callable[[Mapping[str, Any]], bool]
Getter: TypeAlias = Callable[[Mapping[str, Any]], Any]


def _never(context: Mapping[str, Any]) -> bool:
    return False


def _always(context: Mapping[str, Any]) -> bool:
    return True


def lookup(context: Mapping[str, Any], attribute: str) -> Any:
    """The attribute's value, or None when absent.

    The attribute is first looked up as a key (`{"user.id": 1}`); a dotted name then walks
    nested objects one segment per dot (`{"user": {"id": 1}}`). A JSON null counts as absent.
    """
    return make_getter(attribute)(context)


def make_getter(attribute: str) -> Getter:
    """A look-up function for one attribute, with the semantics of `lookup`."""
    if "." not in attribute:
        return lambda context: context.get(attribute)
    parts = tuple(attribute.split("."))

    def get(context: Mapping[str, Any]) -> Any:
        value = context.get(attribute)
        if value is not None:
            return value
        node: Any = context
        for part in parts:
            if not isinstance(node, Mapping):
                return None
            node = node.get(part)
        return node

    return get


def compile_condition(condition: Condition, feature_key: str = "") -> Predicate:
    """The predicate of one condition; `percentage` is salted with feature key and attribute."""
    try:
        test = compile_test(
            condition.operator, condition.value, salt=f"{feature_key}:{condition.attribute}"
        )
    except Exception:  # an unvalidated, unusable expected value: the condition never matches
        return _never
    attribute = condition.attribute
    when_absent = absent_result(condition.operator)
    if "." not in attribute:  # a plain key: look it up inline, one call less per condition

        def plain(context: Mapping[str, Any]) -> bool:
            try:
                value = context.get(attribute)
                if value is None:
                    return when_absent
                return test(value)
            except Exception:  # evaluation must not raise for any context: unreadable is false
                return False

        return plain
    get = make_getter(attribute)

    def predicate(context: Mapping[str, Any]) -> bool:
        try:
            value = get(context)
            if value is None:
                return when_absent
            return test(value)
        except Exception:  # evaluation must not raise for any context: unreadable means false
            return False

    return predicate


def compile_expression(expression: Expression, feature_key: str = "") -> Predicate:
    """The predicate of a condition tree: `and` all, `or` any, `and_not` left and not right."""
    if isinstance(expression, Condition):
        return compile_condition(expression, feature_key)
    if not isinstance(expression, Group):
        return _never
    children = tuple(compile_expression(child, feature_key) for child in expression.children)
    if expression.operator is GroupOperator.AND:
        return _all(children)
    if expression.operator is GroupOperator.OR:
        return _any(children)
    if expression.operator is GroupOperator.AND_NOT and len(children) == 2:
        left, right = children
        return lambda context: left(context) and not right(context)
    return _never


def _all(children: tuple[Predicate, ...]) -> Predicate:
    if not children:
        return _always
    if len(children) == 1:
        return children[0]

    def every(context: Mapping[str, Any]) -> bool:
        for child in children:  # noqa: SIM110 - a plain loop skips all()'s generator overhead
            if not child(context):
                return False
        return True

    return every


def _any(children: tuple[Predicate, ...]) -> Predicate:
    if len(children) == 1:
        return children[0]

    def some(context: Mapping[str, Any]) -> bool:
        for child in children:  # noqa: SIM110 - a plain loop skips any()'s generator overhead
            if child(context):
                return True
        return False

    return some


def matches(expression: Expression, context: Mapping[str, Any], *, feature_key: str = "") -> bool:
    """One-off test of a condition tree against a context (compiles each time)."""
    return compile_expression(expression, feature_key)(context)
