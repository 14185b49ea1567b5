"""Cron parsing: standard 5-field syntax in, expanded sets (or a clear error) out."""

from __future__ import annotations

from datetime import date

import pytest

from togglr.domain.errors import InvalidInputError
from togglr.domain.schedules import parse_cron

ALL_DAYS = frozenset(range(1, 32))
WEEK = frozenset(range(7))


def test_weekday_names_and_fixed_time() -> None:
    cron = parse_cron("0 9 * * MON-FRI")
    assert cron.times == (9 * 60,)
    assert cron.weekdays == frozenset({1, 2, 3, 4, 5})
    assert cron.days == ALL_DAYS
    assert cron.months == frozenset(range(1, 13))
    assert not cron.day_or
    assert cron.fixed_time
    assert cron.text == "0 9 * * MON-FRI"


def test_steps_ranges_and_lists() -> None:
    cron = parse_cron("*/15 9-17 * * 1-5")
    assert cron.times[:5] == (540, 555, 570, 585, 600)
    assert len(cron.times) == 4 * 9
    assert not cron.fixed_time  # the minute field starts with "*"


@pytest.mark.parametrize(
    ("text", "attribute", "expected"),
    [
        ("0 0 1 JAN,JUL *", "months", frozenset({1, 7})),
        ("0 0 * jan-mar/2 *", "months", frozenset({1, 3})),
        ("0 0 * NOV-FEB *", "months", frozenset({11, 12, 1, 2})),  # wrap-around range
        ("0 0 * * 7", "weekdays", frozenset({0})),  # 7 is Sunday too
        ("0 0 * * 5-7", "weekdays", frozenset({5, 6, 0})),
        ("0 0 * * FRI-MON", "weekdays", frozenset({5, 6, 0, 1})),
        ("0 0 * * sun", "weekdays", frozenset({0})),
        ("0 0 * * mon,wed,fri", "weekdays", frozenset({1, 3, 5})),
        ("0 0 * * */2", "weekdays", frozenset({0, 2, 4, 6})),
        ("0 0 */10 * *", "days", frozenset({1, 11, 21, 31})),
        ("10/20 * * * *", "times", tuple(h * 60 + m for h in range(24) for m in (10, 30, 50))),
        ("0 22-2 * * *", "times", (0, 60, 120, 22 * 60, 23 * 60)),
    ],
)
def test_expansions(text: str, attribute: str, expected: object) -> None:
    assert getattr(parse_cron(text), attribute) == expected


def test_whitespace_and_case_are_normalised() -> None:
    assert parse_cron("  0  9 * *   mon-fri ").text == "0 9 * * MON-FRI"


def test_day_fields_follow_vixie_cron() -> None:
    # Both day fields restricted: OR. Either starting with "*": AND.
    either = parse_cron("0 0 13 * FRI")
    assert either.day_or
    assert either.matches_day(date(2025, 6, 13))  # a Friday the 13th
    assert either.matches_day(date(2025, 6, 6))  # a Friday
    assert either.matches_day(date(2025, 7, 13))  # a Sunday the 13th
    assert not either.matches_day(date(2025, 6, 12))
    both = parse_cron("0 0 */2 * FRI")
    assert not both.day_or
    assert both.matches_day(date(2025, 6, 13))  # odd day and Friday
    assert not both.matches_day(date(2025, 6, 6))  # Friday, even day
    assert not both.matches_day(date(2025, 6, 11))  # odd day, Wednesday


def test_month_filter_in_matches_day() -> None:
    cron = parse_cron("0 0 * JUN *")
    assert cron.matches_day(date(2025, 6, 1))
    assert not cron.matches_day(date(2025, 7, 1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("* * * *", "expected 5 fields .* got 4"),
        ("0 0 * * * *", "expected 5 fields .* got 6"),
        ("", "expected 5 fields .* got 0"),
        ("60 * * * *", "minute value 60 is out of range 0-59"),
        ("0 24 * * *", "hour value 24 is out of range 0-23"),
        ("0 0 0 * *", "day-of-month value 0 is out of range 1-31"),
        ("0 0 * 13 *", "month value 13 is out of range 1-12"),
        ("0 0 * * 8", "day-of-week value 8 is out of range 0-7"),
        ("0 0 * * Tuesday", "unknown day-of-week name 'TUESDAY'"),
        ("0 0 * FOO *", "unknown month name 'FOO'"),
        ("0 0 * * JAN", "unknown day-of-week name 'JAN'"),
        ("0 MON * * *", "hour field must be numeric"),
        ("@daily", "macros like @daily are not supported"),
        ("0 0 L * *", "day-of-month field must be numeric, got 'L'"),
        ("0 0 15W * *", "day-of-month field must be numeric"),
        ("0 0 * * 1#2", "not supported"),
        ("0 0 ? * *", "not supported"),
        ("H * * * *", "minute field must be numeric, got 'H'"),
        ("1,,2 * * * *", "cannot read minute field"),
        ("*/ * * * *", "cannot read minute field"),
        ("1-2-3 * * * *", "cannot read minute field"),
        ("-1 * * * *", "cannot read minute field"),
        ("*/0 * * * *", "minute step must be between 1 and 59, got 0"),
        ("*/90 * * * *", "minute step must be between 1 and 59, got 90"),
        ("0 0 30 2 *", "never fires"),
        ("0 0 31 APR,JUN *", "never fires"),
    ],
)
def test_rejects_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as info:
        parse_cron(text)
    assert info.value.details == {"field": "cron"}
    assert f"'{text}'" in info.value.message


def test_feb_29_and_or_with_weekday_are_accepted() -> None:
    assert parse_cron("0 0 29 2 *").days == frozenset({29})
    assert parse_cron("0 0 30 2 MON").day_or  # Mondays in February still fire


def test_too_long_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="longer than 255"):
        parse_cron("0," * 200 + "1 * * * *")
