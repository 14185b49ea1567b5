"""Durations: the strings clients send ("8h", "1h30m", Go's "2h0m0s") and our canonical form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from togglr.domain.errors import InvalidInputError
from togglr.domain.schedules import MAX_DURATION_SECONDS, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("8h", 8 * 3600),
        ("1h30m", 5400),
        ("90m", 5400),
        ("2d", 2 * 86400),
        ("3600s", 3600),
        ("2h0m0s", 7200),  # Go's normalised form, as the reference stored it
        ("1d2h3m4s", 86400 + 7200 + 180 + 4),
        ("1.5h", 5400),
        ("1h 30m", 5400),
        (" 8H ", 8 * 3600),
        ("366d", MAX_DURATION_SECONDS),
    ],
)
def test_parse_duration_accepts(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("3600", "missing unit"),
        ("-1h", "must be positive"),
        ("0s", "must be positive"),
        ("0h0m", "must be positive"),
        ("30m1h", "largest first"),
        ("1h1h", "largest first"),
        ("1x", "unknown unit 'x'"),
        ("1ms", "unknown unit 'ms'"),
        ("0.5s", "whole seconds"),
        ("367d", "longer than the maximum of 366d"),
        ("h", "not valid"),
        ("1h-", "not valid"),
    ],
)
def test_parse_duration_rejects_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as info:
        parse_duration(text)
    assert info.value.details == {"field": "duration"}


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (1, "1s"),
        (60, "1m"),
        (5400, "1h30m"),
        (7200, "2h"),
        (172800, "2d"),
        (90061, "1d1h1m1s"),
    ],
)
def test_format_duration(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_duration_rejects_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_duration(-1)


@given(st.integers(min_value=1, max_value=MAX_DURATION_SECONDS))
def test_format_then_parse_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds
