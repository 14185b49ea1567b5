"""Runs every language-neutral case of spec/evaluation/*.json through the engine.

The case format is described in spec/evaluation/README.md; an SDK that evaluates locally runs
the same files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from togglr.domain.targeting import parse_datetime
from togglr.evaluation import (
    Decision,
    bucket,
    evaluate,
    snapshot_from_json,
    stable_hash,
    string_form,
    unit,
)

SPEC_DIR = Path(__file__).resolve().parents[2] / "spec" / "evaluation"


def _documents() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(SPEC_DIR.glob("*.json")):
        yield path.stem, json.loads(path.read_text(encoding="utf-8"))


def _params(section: str) -> list[Any]:
    params = []
    for stem, document in _documents():
        for item in document.get(section, []):
            label = item.get("name") or f"{item.get('salt')}:{item.get('value')!r}"
            params.append(pytest.param(item, id=f"{stem}: {label}"))
    return params


CASES = _params("cases")
VECTORS = _params("vectors")
STRING_FORMS = _params("string_forms")


class StubHook:
    """The spec's stand-in for an algorithm: answers `returns`, or fails when `raises`."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.units: list[float | None] = []

    def choose(self, context: Mapping[str, Any], unit: float | None) -> str | float | None:
        self.units.append(unit)
        if self.spec.get("raises"):
            raise RuntimeError("the stub algorithm fails on purpose")
        result: str | float | None = self.spec.get("returns")
        return result


def _now(case: Mapping[str, Any]) -> datetime:
    now = parse_datetime(case["now"])
    assert now is not None
    return now


def _check(decision: Decision, expected: Mapping[str, Any]) -> None:
    got = {
        "enabled": decision.enabled,
        "value": decision.value,
        "reason": decision.reason.value,
        "variant": decision.variant,
        "rule_id": decision.rule_id,
    }
    # variant and rule_id left out of a case mean null
    want = {"variant": None, "rule_id": None} | {k: expected[k] for k in got if k in expected}
    assert got == want
    if "variant_value" in expected:
        assert decision.variant_value == expected["variant_value"]


@pytest.mark.parametrize("case", CASES)
def test_case(case: dict[str, Any]) -> None:
    snapshot = snapshot_from_json(case["snapshot"])
    hook = StubHook(case["hook"]) if "hook" in case else None
    decision = evaluate(snapshot, case["context"], _now(case), hook=hook)
    _check(decision, case["expected"])
    if hook is not None:
        called = case["hook"].get("called", True)
        assert len(hook.units) == (1 if called else 0)
        if "unit" in case["hook"]:
            assert hook.units == [case["hook"]["unit"]]

    # the explained decision is the same decision, with a trace
    explained = evaluate(snapshot, case["context"], _now(case), hook=hook, explain=True)
    assert explained.trace
    assert replace(explained, trace=()) == decision


@pytest.mark.parametrize("vector", VECTORS)
def test_bucketing_vector(vector: dict[str, Any]) -> None:
    salt, value = vector["salt"], vector["value"]
    assert f"{salt}:{string_form(value)}" == vector["input"]
    assert stable_hash(salt, value) == vector["hash"] == int(vector["sha256_first_4_bytes"], 16)
    assert bucket(salt, value) == vector["bucket"]
    assert unit(salt, value) == vector["unit"]


@pytest.mark.parametrize("item", STRING_FORMS)
def test_string_form(item: dict[str, Any]) -> None:
    assert string_form(item["value"]) == item["string_form"]


def test_the_spec_is_substantial_and_names_are_unique() -> None:
    names = [param.id for param in CASES]
    assert len(names) >= 80
    assert len(set(names)) == len(names)
