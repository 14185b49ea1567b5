"""Runs every language-neutral algorithm case of spec/evaluation/bandits/*.json.

The case format is described in spec/evaluation/README.md ("Algorithm cases"): build the named
algorithm with the settings and arms, apply the steps in order (record feedback, refresh, choose
with a unit) and check the expectations along the way.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from togglr.bandits import ALGORITHMS, AlgorithmState, create_state

SPEC_DIR = Path(__file__).resolve().parents[2] / "spec" / "evaluation" / "bandits"
STEP_KINDS = {"record", "refresh", "choose", "expect"}
EXPECT_KEYS = {"weights", "candidates", "summary", "first_candidate", "values_within", "tolerance"}


def _cases() -> list[Any]:
    params = []
    for path in sorted(SPEC_DIR.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        for case in document["cases"]:
            params.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return params


CASES = _cases()


def _close(got: Any, want: Any, tolerance: float) -> bool:
    if isinstance(want, bool) or want is None or isinstance(want, str):
        return bool(got == want)
    if isinstance(want, int | float):
        return isinstance(got, int | float) and math.isclose(
            got, want, rel_tol=0, abs_tol=tolerance
        )
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(_close(g, w, tolerance) for g, w in zip(got, want, strict=True))
        )
    raise AssertionError(f"unsupported expected value {want!r}")


def _record(state: AlgorithmState, spec: Mapping[str, Any], rng: random.Random) -> None:
    arm, context, now = spec["arm"], spec.get("context", {}), spec.get("now")
    events = (
        [(1.0, True)] * spec.get("successes", 0)
        + [(0.0, False)] * spec.get("failures", 0)
        + [(float(r), float(r) > 0) for r in spec.get("rewards", [])]
    )
    assert events, "a record step needs successes, failures or rewards"
    for reward, success in events:
        assert state.record(arm, reward, success, context, rng, now=now), f"{arm!r} not credited"


def _expect(state: AlgorithmState, spec: Mapping[str, Any]) -> None:
    assert set(spec) <= EXPECT_KEYS, f"unknown expectations {set(spec) - EXPECT_KEYS}"
    tolerance = float(spec.get("tolerance", 1e-9))
    if "weights" in spec:
        weights = state.weights()
        assert set(weights) == set(spec["weights"])
        for arm, want in spec["weights"].items():
            assert _close(weights[arm], want, tolerance), (arm, weights[arm], want)
    summary = state.summary()
    if "candidates" in spec:
        assert _close(summary["candidates"], spec["candidates"], tolerance), summary["candidates"]
    if "first_candidate" in spec:
        assert _close(summary["candidates"][0], spec["first_candidate"], tolerance)
    if "values_within" in spec:
        lo, hi = spec["values_within"]
        assert all(lo <= v <= hi for v in summary["candidates"]), summary["candidates"]
    for key, want in spec.get("summary", {}).items():
        assert _close(summary[key], want, tolerance), (key, summary[key], want)


@pytest.mark.parametrize("case", CASES)
def test_case(case: dict[str, Any]) -> None:
    rng = random.Random(1)  # only for what a case leaves to chance; no case depends on it
    state = create_state(case["algorithm"], case["settings"], case.get("arms", []))
    for step in case["steps"]:
        (kind, spec), *rest = step.items()
        assert not rest and kind in STEP_KINDS, f"a step is one of {sorted(STEP_KINDS)}"
        if kind == "record":
            _record(state, spec, rng)
        elif kind == "refresh":
            state.refresh(rng, now=spec.get("now"))
        elif kind == "choose":
            got = state.choose(spec.get("context", {}), spec["unit"], rng)
            assert _close(got, spec["expect"], 1e-12), (spec, got)
        else:
            _expect(state, spec)


def test_every_algorithm_has_cases_and_names_are_unique() -> None:
    names = [param.id for param in CASES]
    assert len(set(names)) == len(names)
    covered = {param.values[0]["algorithm"] for param in CASES}
    assert covered == set(ALGORITHMS)
