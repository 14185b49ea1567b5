"""spec/evaluation/schedules.json agrees with schedule_state (tests/spec runs the engine)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from togglr.domain.targeting import parse_datetime
from togglr.evaluation import snapshot_from_json
from togglr.evaluation.schedules import effective_state, schedule_state

SPEC = Path(__file__).resolve().parents[3] / "spec" / "evaluation" / "schedules.json"
CASES = json.loads(SPEC.read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case(case: dict[str, Any]) -> None:
    snapshot = snapshot_from_json(case["snapshot"])
    now = parse_datetime(case["now"])
    assert now is not None
    expected = case["expected"]
    assert effective_state(snapshot.enabled, snapshot.schedules, now) is expected["enabled"]
    if not snapshot.enabled:
        assert expected["reason"] == "DISABLED"
    elif schedule_state(snapshot.schedules, now) is False:
        assert expected["reason"] == "SCHEDULED_OFF"
    else:
        assert expected["reason"] == "DEFAULT"


def test_the_spec_covers_the_issue() -> None:
    names = " ".join(case["name"] for case in CASES)
    for topic in (
        "weekday",
        "DST Berlin spring",
        "DST Berlin fall",
        "DST New York spring",
        "DST New York fall",
        "longer than the period",
        "disable wins",
        "master switch off",
    ):
        assert topic in names
