"""Results helpers: series buckets, compatibility and settings validation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from togglr.bandits import get_spec
from togglr.domain.errors import InvalidInputError
from togglr.domain.experiments import RollupPoint
from togglr.domain.features import Feature
from togglr.services.experiment_results import floor_to, group_series
from togglr.services.experiments import check_compatible, validated

T = datetime(2026, 11, 29, 13, 47, 0, tzinfo=UTC)


def test_floor_to_buckets() -> None:
    at = datetime(2026, 11, 29, 13, 47, 31, 5, tzinfo=UTC)
    assert floor_to(at, "minute") == datetime(2026, 11, 29, 13, 47, tzinfo=UTC)
    assert floor_to(at, "hour") == datetime(2026, 11, 29, 13, tzinfo=UTC)
    assert floor_to(at, "day") == datetime(2026, 11, 29, tzinfo=UTC)


def test_series_groups_event_types_into_columns_per_bucket() -> None:
    later = T.replace(minute=59)
    points = [
        RollupPoint(T, "a", "evaluation", 10, 0.0),
        RollupPoint(T, "a", "success", 3, 3.0),
        RollupPoint(T, "a", "failure", 2, 0.0),
        RollupPoint(T, "a", "error", 1, -1.0),
        RollupPoint(later, "a", "success", 1, 5.0),
        RollupPoint(T, "b", "evaluation", 4, 0.0),
    ]
    by_minute = group_series(points, "minute")
    assert [(p.at, p.variant) for p in by_minute] == [(T, "a"), (T, "b"), (later, "a")]
    first = by_minute[0]
    assert (first.evaluations, first.successes, first.failures, first.errors) == (10, 3, 3, 1)
    assert first.reward_sum == 2.0
    (a, b) = group_series(points, "hour")
    assert (a.variant, a.successes, a.reward_sum, b.evaluations) == ("a", 4, 7.0, 4)


def _feature(kind: str) -> Feature:
    return Feature("f", "p", "key", "n", "", kind, None, T, T)  # type: ignore[arg-type]


def test_bandits_need_variants_and_optimizers_a_simple_feature() -> None:
    check_compatible(get_spec("ucb"), _feature("multivariant"))
    check_compatible(get_spec("pid_controller"), _feature("simple"))
    with pytest.raises(InvalidInputError, match="needs a multivariant feature"):
        check_compatible(get_spec("lin_ucb"), _feature("simple"))
    with pytest.raises(InvalidInputError, match="needs a simple feature"):
        check_compatible(get_spec("cem"), _feature("multivariant"))


def test_settings_are_completed_and_errors_name_the_field() -> None:
    spec, settings = validated("ucb", {"confidence": 1})
    assert spec.slug == "ucb" and settings == {
        "confidence": 1.0,
        "min_share": 0.0,
        "decay_half_life": 0.0,
    }
    with pytest.raises(InvalidInputError, match=r"^algorithm: unknown algorithm"):
        validated("nope", None)
    with pytest.raises(InvalidInputError, match=r"^settings: setting .min_share. must be <= 0\.5"):
        validated("ucb", {"min_share": 0.9})
