"""The JSON form of FlagSnapshot."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from togglr.domain.errors import InvalidInputError
from togglr.domain.targeting import RuleAction
from togglr.evaluation import evaluate, snapshot_from_json, snapshot_to_json

SPEC_DIR = Path(__file__).resolve().parents[3] / "spec" / "evaluation"
NOW = datetime(2025, 6, 1, tzinfo=UTC)

FULL: dict[str, Any] = {
    "feature_id": "0b6a",
    "feature_key": "checkout",
    "kind": "multivariant",
    "rollout_key": "user.id",
    "enabled": True,
    "default_value": "off",
    "variants": [{"name": "a", "rollout_percent": 50, "value": {"x": 1}}],
    "rules": [
        {
            "id": "r1",
            "action": "assign",
            "priority": 3,
            "expression": {"condition": {"attribute": "plan", "operator": "eq", "value": "pro"}},
            "variant": "a",
            "segment_id": "seg-1",
        }
    ],
    "schedules": [
        {
            "id": "s1",
            "action": "enable",
            "starts_at": "2025-01-01T00:00:00Z",
            "ends_at": None,
            "cron": "0 9 * * 1",
            "duration_seconds": 3600,
            "timezone": "Europe/Amsterdam",
        }
    ],
    "algorithm": "thompson",
    "version": 7,
}


def test_full_document_reads_and_round_trips() -> None:
    snapshot = snapshot_from_json(FULL)
    assert snapshot.rules[0].action is RuleAction.ASSIGN
    assert snapshot.rules[0].segment_id == "seg-1"
    assert snapshot.schedules[0].starts_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert snapshot.schedules[0].duration_seconds == 3600
    assert snapshot.version == 7
    assert snapshot_from_json(snapshot_to_json(snapshot)) == snapshot
    assert snapshot_from_json(json.loads(json.dumps(snapshot_to_json(snapshot)))) == snapshot


def test_minimal_document_gets_defaults() -> None:
    snapshot = snapshot_from_json(
        {"feature_key": "k", "kind": "simple", "enabled": False, "default_value": ""}
    )
    assert snapshot.feature_id == "k"
    assert snapshot.rollout_key is None
    assert (snapshot.variants, snapshot.rules, snapshot.schedules) == ((), (), ())
    assert snapshot.version == 0
    schedule = snapshot_from_json(
        {**FULL, "schedules": [{"id": "s", "action": "disable", "timezone": None}]}
    ).schedules[0]
    assert schedule.timezone == "UTC" and schedule.duration_seconds is None


def test_every_spec_snapshot_round_trips() -> None:
    for path in SPEC_DIR.glob("*.json"):
        for case in json.loads(path.read_text(encoding="utf-8")).get("cases", []):
            snapshot = snapshot_from_json(case["snapshot"])
            assert snapshot_from_json(snapshot_to_json(snapshot)) == snapshot


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "boolean"}, "kind"),
        ({"enabled": "yes"}, "enabled"),
        ({"feature_key": 5}, "feature_key"),
        ({"colour": "red"}, "unknown field"),
        ({"variants": {}}, "variants: expected a list"),
        ({"variants": ["a"]}, "variants[0]: expected an object"),
        ({"variants": [{"name": "a", "rollout_percent": 101}]}, "rollout_percent"),
        ({"variants": [{"name": "a", "rollout_percent": True}]}, "rollout_percent"),
        ({"rules": [{**FULL["rules"][0], "action": "block"}]}, "action"),
        ({"rules": [{**FULL["rules"][0], "variant": None}]}, "variant"),
        ({"rules": [{**FULL["rules"][0], "action": "include"}]}, "variant"),
        ({"rules": [{**FULL["rules"][0], "priority": "1"}]}, "priority"),
        ({"rules": [{**FULL["rules"][0], "expression": {}}]}, "expression"),
        ({"schedules": [{**FULL["schedules"][0], "action": "pause"}]}, "action"),
        ({"schedules": [{**FULL["schedules"][0], "starts_at": "soon"}]}, "starts_at"),
        ({"version": 1.5}, "version"),
    ],
)
def test_bad_documents_are_rejected_with_a_path(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        snapshot_from_json({**FULL, **change})
    assert message in error.value.message


def test_a_document_must_be_an_object() -> None:
    with pytest.raises(InvalidInputError):
        snapshot_from_json([])


def test_the_compiled_form_stays_out_of_equality_copies_and_pickles() -> None:
    snapshot = snapshot_from_json({**FULL, "schedules": []})
    before = evaluate(snapshot, {"plan": "pro"}, NOW)
    assert snapshot._compiled is not None
    assert snapshot == snapshot_from_json({**FULL, "schedules": []})
    assert "_compiled" not in repr(snapshot)
    for clone in (pickle.loads(pickle.dumps(snapshot)), copy.deepcopy(snapshot)):
        assert clone == snapshot
        assert clone._compiled is None
        assert evaluate(clone, {"plan": "pro"}, NOW) == before
