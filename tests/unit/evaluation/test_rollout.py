"""Bucketing, string forms and the variant layout."""

from __future__ import annotations

import hashlib
import math
import statistics
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from togglr.evaluation.rollout import (
    BUCKETS,
    NoStringFormError,
    basis_points,
    bucket,
    format_number,
    pick_variant,
    position,
    split_layout,
    stable_hash,
    string_form,
    unit,
)
from togglr.evaluation.snapshot import VariantSpec

ids = st.text(min_size=0, max_size=40)


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0, "0"),
        (-0.0, "0"),
        (30.0, "30"),
        (30.5, "30.5"),
        (1.05, "1.05"),
        (-0.1, "-0.1"),
        (1e16, "10000000000000000"),
        (1e21, "1000000000000000000000"),
        (1.5e-07, "0.00000015"),
        (123456789012345678901234567890, "123456789012345678901234567890"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
    ],
)
def test_format_number_is_compact_and_positional(number: float, text: str) -> None:
    assert format_number(number) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_number_round_trips_every_finite_float(number: float) -> None:
    text = format_number(number)
    assert "e" not in text.lower()
    assert float(Decimal(text)) == number


def test_string_form_of_scalars_and_containers() -> None:
    assert string_form("x") == "x"
    assert string_form(True) == "true"
    assert string_form(None) == "null"
    assert string_form((1, "a")) == '[1,"a"]'
    # keys of mixed types sort on their text and never compare the values
    assert string_form({2: "b", "1": [None], "10": {}}) == '{"1":[null],"10":{},"2":"b"}'


def test_string_form_of_python_only_values() -> None:
    moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert string_form(moment) == "2024-01-02T03:04:05+00:00"
    assert string_form(Decimal("1.50")) == "1.50"
    assert string_form([Decimal("2")]) == '["2"]'


def test_string_form_refuses_values_nested_too_deep() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(NoStringFormError):
        string_form(loop)


def test_int_and_numeric_string_hash_the_same() -> None:
    assert bucket("checkout", 123) == bucket("checkout", "123") == bucket("checkout", 123.0)


def test_hash_is_the_documented_sha256_prefix() -> None:
    digest = hashlib.sha256(b"checkout:user-1").digest()
    assert stable_hash("checkout", "user-1") == int.from_bytes(digest[:4], "big")


def test_lone_surrogates_hash_without_error() -> None:
    assert 0 <= bucket("checkout", "\ud800") < BUCKETS


@given(salt=ids, value=ids)
def test_bucket_and_unit_agree(salt: str, value: str) -> None:
    slot, where = position(salt, value)
    assert 0 <= slot < BUCKETS
    assert 0.0 <= where < 1.0
    assert math.floor(where * BUCKETS) == slot
    assert (slot, where) == (bucket(salt, value), unit(salt, value))


@pytest.mark.parametrize(
    ("percent", "points"),
    [
        (0, 0),
        (-5, 0),
        (math.nan, 0),
        (0.004, 0),
        (0.005, 1),
        (12.34, 1234),
        (33.333, 3333),
        (99.995, 10000),
        (100, 10000),
        (250, 10000),
    ],
)
def test_basis_points(percent: float, points: int) -> None:
    assert basis_points(percent) == points


def _name(variant: VariantSpec | None) -> str | None:
    return None if variant is None else variant.name


def test_split_layout_orders_by_name_and_clips_past_100() -> None:
    layout = split_layout(
        [VariantSpec("c", 80), VariantSpec("a", 30), VariantSpec("b", 0), VariantSpec("d", 10)]
    )
    assert [(upper, v.name) for upper, v in layout] == [
        (3000, "a"),
        (3000, "b"),
        (10000, "c"),
        (10000, "d"),
    ]
    assert _name(pick_variant(layout, 2999)) == "a"
    assert _name(pick_variant(layout, 3000)) == "c"


def test_pick_variant_past_the_sum_is_none() -> None:
    layout = split_layout([VariantSpec("a", 10), VariantSpec("b", 15)])
    assert _name(pick_variant(layout, 2499)) == "b"
    assert pick_variant(layout, 2500) is None


# --- statistics -----------------------------------------------------------------------------

SAMPLE = 20_000


def _shares(feature: str, layout: tuple[tuple[int, VariantSpec], ...]) -> dict[str | None, float]:
    counts: dict[str | None, int] = {}
    for i in range(SAMPLE):
        chosen = pick_variant(layout, bucket(feature, f"user-{i}"))
        key = None if chosen is None else chosen.name
        counts[key] = counts.get(key, 0) + 1
    return {key: count / SAMPLE for key, count in counts.items()}


def _tolerance(share: float) -> float:
    # five standard deviations of a binomial proportion: a false alarm is ~1 in 3.5 million
    return 5 * math.sqrt(max(share * (1 - share), 1e-4) / SAMPLE) + 1e-9


@settings(max_examples=10, deadline=None)
@given(feature=st.text(min_size=1, max_size=20))
def test_a_30_70_split_lands_within_tolerance(feature: str) -> None:
    shares = _shares(feature, split_layout([VariantSpec("a", 30), VariantSpec("b", 70)]))
    assert abs(shares.get("a", 0) - 0.30) < _tolerance(0.30)
    assert abs(shares.get("b", 0) - 0.70) < _tolerance(0.70)
    assert None not in shares


@settings(max_examples=10, deadline=None)
@given(
    feature=st.text(min_size=1, max_size=20),
    percents=st.lists(st.integers(0, 100), min_size=1, max_size=5).filter(lambda p: sum(p) <= 100),
)
def test_random_splits_honour_each_percent_and_leave_the_rest_to_default(
    feature: str, percents: list[int]
) -> None:
    variants = [VariantSpec(f"v{i}", p) for i, p in enumerate(percents)]
    shares = _shares(feature, split_layout(variants))
    for variant in variants:
        expected = variant.rollout_percent / 100
        assert abs(shares.get(variant.name, 0) - expected) < _tolerance(expected)
    rest = 1 - sum(percents) / 100
    assert abs(shares.get(None, 0) - rest) < _tolerance(rest)


@settings(max_examples=50)
@given(percents=st.lists(st.floats(-10, 150), min_size=0, max_size=6), slot=st.integers(0, 9999))
def test_layout_never_exceeds_the_bucket_space(percents: list[float], slot: int) -> None:
    layout = split_layout([VariantSpec(f"v{i}", p) for i, p in enumerate(percents)])
    uppers = [upper for upper, _ in layout]
    assert uppers == sorted(uppers)
    assert all(0 <= upper <= BUCKETS for upper in uppers)
    chosen = pick_variant(layout, slot)
    if sum(max(p, 0) for p in percents) <= 100 and chosen is not None:
        # with a sum ≤ 100 every variant gets exactly its own share of buckets
        lower = 0
        for upper, variant in layout:
            if variant is chosen:
                assert lower <= slot < upper
                assert upper - lower == basis_points(variant.rollout_percent)
            lower = upper


@settings(max_examples=30)
@given(value=ids, feature=st.text(min_size=1, max_size=20))
def test_a_users_bucket_is_stable(value: str, feature: str) -> None:
    assert bucket(feature, value) == bucket(feature, value)


@settings(max_examples=10, deadline=None)
@given(pair=st.lists(st.text(min_size=1, max_size=20), min_size=2, max_size=2, unique=True))
def test_buckets_are_independent_between_features(pair: list[str]) -> None:
    first, second = pair
    n = 5_000
    xs = [unit(first, f"user-{i}") for i in range(n)]
    ys = [unit(second, f"user-{i}") for i in range(n)]
    # uncorrelated units: |r| stays well inside 5/sqrt(n)
    assert abs(statistics.correlation(xs, ys)) < 5 / math.sqrt(n)
    # and the 50 % halves cross in a quarter of the users
    both = sum(1 for x, y in zip(xs, ys, strict=True) if x < 0.5 and y < 0.5) / n
    assert abs(both - 0.25) < 5 * math.sqrt(0.25 * 0.75 / n)


@settings(max_examples=30)
@given(value=ids, low=st.integers(0, 100), high=st.integers(0, 100))
def test_raising_a_percentage_only_adds_users(value: str, low: int, high: int) -> None:
    low, high = sorted((low, high))
    slot = bucket("checkout", value)
    if slot < basis_points(low):
        assert slot < basis_points(high)
