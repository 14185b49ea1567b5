"""Timelines and the next transition: exact transitions, merged windows, what-if schedules."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from togglr.domain.errors import InvalidInputError
from togglr.evaluation.schedules import next_transition, timeline
from togglr.evaluation.snapshot import ScheduleSpec

BERLIN = ZoneInfo("Europe/Berlin")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def cron(expr: str, seconds: int, zone: str = "UTC", action: str = "enable") -> ScheduleSpec:
    return ScheduleSpec("c", action, cron=expr, duration_seconds=seconds, timezone=zone)  # type: ignore[arg-type]


WORKDAY = cron("0 9 * * MON-FRI", 8 * 3600, "Europe/Berlin")


def test_weekday_cron_over_a_week() -> None:
    got = timeline(True, [WORKDAY], utc("2025-06-06T00:00"), utc("2025-06-11T00:00"))
    assert got == [
        (utc("2025-06-06T00:00"), False),
        (utc("2025-06-06T07:00"), True),  # Friday 09:00 CEST
        (utc("2025-06-06T15:00"), False),
        (utc("2025-06-09T07:00"), True),  # Monday, nothing at the weekend
        (utc("2025-06-09T15:00"), False),
        (utc("2025-06-10T07:00"), True),
        (utc("2025-06-10T15:00"), False),
    ]


def test_initial_state_inside_a_window() -> None:
    got = timeline(True, [WORKDAY], utc("2025-06-06T12:00"), utc("2025-06-06T20:00"))
    assert got == [(utc("2025-06-06T12:00"), True), (utc("2025-06-06T15:00"), False)]


def test_times_are_utc_whatever_zone_the_range_is_given_in() -> None:
    got = timeline(
        True,
        [WORKDAY],
        datetime(2025, 6, 6, 14, tzinfo=BERLIN),
        datetime(2025, 6, 6, 18, tzinfo=BERLIN),
    )
    assert got == [(utc("2025-06-06T12:00"), True), (utc("2025-06-06T15:00"), False)]
    assert all(moment.tzinfo is UTC for moment, _ in got)


def test_overlapping_fires_merge_into_one_window() -> None:
    assert timeline(
        True, [cron("0 * * * *", 3 * 3600)], utc("2025-06-01T00:00"), utc("2025-06-08T00:00")
    ) == [(utc("2025-06-01T00:00"), True)]


def test_adjacent_windows_merge_without_a_zero_length_gap() -> None:
    # Every 30 minutes for exactly 30 minutes: on all the time, no off/on blips.
    got = timeline(
        True, [cron("*/30 9-10 * * *", 1800)], utc("2025-06-01T00:00"), utc("2025-06-02T00:00")
    )
    assert got == [
        (utc("2025-06-01T00:00"), False),
        (utc("2025-06-01T09:00"), True),
        (utc("2025-06-01T11:00"), False),
    ]


def test_windows_across_spring_forward_in_berlin() -> None:
    got = timeline(
        True,
        [cron("30 2 * * *", 3600, "Europe/Berlin")],
        utc("2025-03-29T00:00"),
        utc("2025-04-01T00:00"),
    )
    assert got == [
        (utc("2025-03-29T00:00"), False),
        (utc("2025-03-29T01:30"), True),  # 02:30 CET
        (utc("2025-03-29T02:30"), False),
        (utc("2025-03-30T01:00"), True),  # 02:30 does not exist: 03:00 CEST
        (utc("2025-03-30T02:00"), False),
        (utc("2025-03-31T00:30"), True),  # 02:30 CEST
        (utc("2025-03-31T01:30"), False),
    ]


def test_windows_across_fall_back_in_new_york() -> None:
    fixed = cron("30 1 * * *", 1800, "America/New_York")
    got = timeline(True, [fixed], utc("2025-11-02T00:00"), utc("2025-11-03T00:00"))
    assert got == [
        (utc("2025-11-02T00:00"), False),
        (utc("2025-11-02T05:30"), True),
        (utc("2025-11-02T06:00"), False),
    ]
    wildcard = cron("30 * * * *", 600, "America/New_York")
    got = timeline(True, [wildcard], utc("2025-11-02T05:00"), utc("2025-11-02T07:00"))
    assert got == [
        (utc("2025-11-02T05:00"), False),
        (utc("2025-11-02T05:30"), True),  # 01:30 EDT
        (utc("2025-11-02T05:40"), False),
        (utc("2025-11-02T06:30"), True),  # 01:30 EST, the repeated hour
        (utc("2025-11-02T06:40"), False),
    ]


def test_disable_window_cuts_an_enable_window() -> None:
    schedules = [
        ScheduleSpec(
            "e", "enable", starts_at=utc("2025-06-01T00:00"), ends_at=utc("2025-06-10T00:00")
        ),
        ScheduleSpec(
            "d", "disable", starts_at=utc("2025-06-03T00:00"), ends_at=utc("2025-06-04T00:00")
        ),
    ]
    assert timeline(True, schedules, utc("2025-05-31T00:00"), utc("2025-06-30T00:00")) == [
        (utc("2025-05-31T00:00"), False),
        (utc("2025-06-01T00:00"), True),
        (utc("2025-06-03T00:00"), False),
        (utc("2025-06-04T00:00"), True),
        (utc("2025-06-10T00:00"), False),
    ]


def test_a_window_ending_as_another_starts_is_no_transition() -> None:
    schedules = [
        ScheduleSpec(
            "a", "enable", starts_at=utc("2025-06-01T00:00"), ends_at=utc("2025-06-02T00:00")
        ),
        cron("0 0 2 6 *", 86400),
    ]
    assert timeline(True, schedules, utc("2025-06-01T00:00"), utc("2025-06-05T00:00")) == [
        (utc("2025-06-01T00:00"), True),
        (utc("2025-06-03T00:00"), False),
    ]


def test_transitions_at_the_end_of_the_range_are_left_out() -> None:
    window = ScheduleSpec("a", "enable", starts_at=utc("2025-06-02T00:00"))
    assert timeline(True, [window], utc("2025-06-01T00:00"), utc("2025-06-02T00:00")) == [
        (utc("2025-06-01T00:00"), False)
    ]


def test_master_switch_and_no_schedules() -> None:
    start, end = utc("2025-06-01T00:00"), utc("2025-06-02T00:00")
    assert timeline(False, [WORKDAY], start, end) == [(start, False)]
    assert timeline(True, [], start, end) == [(start, True)]
    assert timeline(True, [cron("bad", 60)], start, end) == [(start, True)]


def test_what_if_uses_proposed_schedules_without_storing_anything() -> None:
    saved = [WORKDAY]
    proposal = [
        *saved,
        ScheduleSpec(
            "new", "disable", starts_at=utc("2025-06-09T00:00"), ends_at=utc("2025-06-10T00:00")
        ),
    ]
    start, end = utc("2025-06-09T00:00"), utc("2025-06-11T00:00")
    assert timeline(True, proposal, start, end) == [
        (start, False),
        (utc("2025-06-10T07:00"), True),
        (utc("2025-06-10T15:00"), False),
    ]
    assert len(timeline(True, saved, start, end)) == 5


def test_bad_range() -> None:
    with pytest.raises(InvalidInputError, match="'from' must be before 'to'"):
        timeline(True, [WORKDAY], utc("2025-06-02T00:00"), utc("2025-06-01T00:00"))


def test_too_much_work_is_refused_clearly() -> None:
    # Every minute with a one-minute window is always on, found one minute at a time.
    with pytest.raises(InvalidInputError, match="shorter range"):
        timeline(True, [cron("* * * * *", 60)], utc("2025-01-01T00:00"), utc("2025-04-01T00:00"))


# --- next_transition -----------------------------------------------------------------------------


def test_next_transition_over_a_weekend() -> None:
    assert next_transition(True, [WORKDAY], utc("2025-06-06T16:00")) == (
        utc("2025-06-09T07:00"),
        True,
    )
    assert next_transition(True, [WORKDAY], utc("2025-06-06T10:00")) == (
        utc("2025-06-06T15:00"),
        False,
    )


def test_next_transition_is_strictly_after_now() -> None:
    assert next_transition(True, [WORKDAY], utc("2025-06-06T07:00")) == (
        utc("2025-06-06T15:00"),
        False,
    )


def test_next_transition_skips_boundaries_that_change_nothing() -> None:
    schedules = [
        ScheduleSpec(
            "a", "enable", starts_at=utc("2025-06-01T00:00"), ends_at=utc("2025-06-02T00:00")
        ),
        ScheduleSpec(
            "b", "enable", starts_at=utc("2025-06-02T00:00"), ends_at=utc("2025-06-03T00:00")
        ),
    ]
    assert next_transition(True, schedules, utc("2025-06-01T12:00")) == (
        utc("2025-06-03T00:00"),
        False,
    )


def test_no_next_transition() -> None:
    now = utc("2025-06-01T00:00")
    assert next_transition(False, [WORKDAY], now) is None
    assert next_transition(True, [], now) is None
    assert next_transition(True, [cron("0 * * * *", 3 * 3600)], now) is None  # always on
    ended = ScheduleSpec(
        "a", "disable", starts_at=utc("2025-01-01T00:00"), ends_at=utc("2025-02-01T00:00")
    )
    assert next_transition(True, [ended], now) is None


def test_next_transition_for_a_yearly_window() -> None:
    yearly = cron("0 0 24 DEC *", 3 * 86400, "Europe/Berlin")
    assert next_transition(True, [yearly], utc("2025-01-10T00:00")) == (
        utc("2025-12-23T23:00"),
        True,
    )


def test_next_transition_agrees_with_the_timeline() -> None:
    schedules = [WORKDAY, cron("0 12 * * WED", 3600, "Europe/Berlin", "disable")]
    start = utc("2025-06-02T00:00")
    events = timeline(True, schedules, start, start + timedelta(days=14))
    for (at, _), (following, state) in itertools.pairwise(events):
        assert next_transition(True, schedules, at) == (following, state)
