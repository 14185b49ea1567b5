"""Is one window active at an instant: one-shot bounds, weekday crons, long durations, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from togglr.evaluation.schedules import is_window_active
from togglr.evaluation.snapshot import ScheduleSpec

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str, zone: ZoneInfo, fold: int = 0) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone, fold=fold)


def cron(expr: str, seconds: int, zone: str = "UTC", action: str = "enable") -> ScheduleSpec:
    return ScheduleSpec("c", action, cron=expr, duration_seconds=seconds, timezone=zone)  # type: ignore[arg-type]


# --- one-shot ------------------------------------------------------------------------------------

WINDOW = ScheduleSpec(
    "w", "enable", starts_at=utc("2025-06-01T00:00"), ends_at=utc("2025-06-02T00:00")
)


@pytest.mark.parametrize(
    ("now", "active"),
    [
        (utc("2025-05-31T23:59:59.999999"), False),
        (utc("2025-06-01T00:00"), True),
        (utc("2025-06-01T23:59:59.999999"), True),
        (utc("2025-06-02T00:00"), False),
    ],
)
def test_one_shot_is_half_open(now: datetime, active: bool) -> None:
    assert is_window_active(WINDOW, now) is active


def test_one_shot_compares_instants_not_wall_clocks() -> None:
    assert not is_window_active(WINDOW, local("2025-06-01T01:30", BERLIN))  # 2025-05-31T23:30Z
    assert is_window_active(WINDOW, local("2025-06-02T01:30", BERLIN))  # 2025-06-01T23:30Z


def test_naive_now_is_utc() -> None:
    assert is_window_active(WINDOW, datetime(2025, 6, 1, 12))


def test_open_bounds() -> None:
    assert is_window_active(
        ScheduleSpec("w", "enable", starts_at=utc("2025-06-01T00:00")), utc("2999-01-01T00:00")
    )
    assert is_window_active(
        ScheduleSpec("w", "disable", ends_at=utc("2025-06-01T00:00")), utc("1999-01-01T00:00")
    )
    assert is_window_active(ScheduleSpec("w", "enable"), utc("2025-06-01T00:00"))


def test_empty_one_shot_is_never_active() -> None:
    empty = ScheduleSpec(
        "w", "enable", starts_at=utc("2025-06-02T00:00"), ends_at=utc("2025-06-01T00:00")
    )
    assert not is_window_active(empty, utc("2025-06-01T12:00"))


# --- weekday crons -------------------------------------------------------------------------------

WORKDAY = cron("0 9 * * MON-FRI", 8 * 3600, "Europe/Berlin")


@pytest.mark.parametrize(
    ("wall", "active"),
    [
        ("2025-06-06T08:59", False),  # Friday before nine
        ("2025-06-06T09:00", True),
        ("2025-06-06T16:59", True),
        ("2025-06-06T17:00", False),
        ("2025-06-07T09:30", False),  # Saturday: the reference got this wrong (§13.11)
        ("2025-06-07T12:00", False),
        ("2025-06-08T10:00", False),  # Sunday
        ("2025-06-09T00:00", False),
        ("2025-06-09T09:00", True),  # Monday
        ("2025-01-06T09:00", True),  # winter time
        ("2025-01-06T08:59", False),
    ],
)
def test_weekday_cron_across_a_weekend(wall: str, active: bool) -> None:
    assert is_window_active(WORKDAY, local(wall, BERLIN)) is active


def test_weekday_window_longer_than_the_weekend_gap() -> None:
    long = cron("0 9 * * MON-FRI", 72 * 3600, "Europe/Berlin")
    assert is_window_active(long, local("2025-06-09T08:59", BERLIN))  # Friday 09:00 + 72h
    assert is_window_active(long, local("2025-06-08T03:00", BERLIN))


# --- durations longer than the period -----------------------------------------------------------


def test_hourly_cron_with_three_hour_duration_is_always_on() -> None:
    hourly = cron("0 * * * *", 3 * 3600)
    start = utc("2025-06-01T00:00")
    for minute in range(0, 3 * 24 * 60, 7):
        assert is_window_active(hourly, start + timedelta(minutes=minute))


def test_monthly_cron_with_a_ten_day_window() -> None:
    monthly = cron("0 0 1 * *", 10 * 86400)
    assert is_window_active(monthly, utc("2025-03-10T23:59"))
    assert not is_window_active(monthly, utc("2025-03-11T00:00"))
    assert is_window_active(monthly, utc("2025-03-01T00:00"))
    assert not is_window_active(monthly, utc("2025-02-28T23:59"))


def test_yearly_window_and_leap_day() -> None:
    leap = cron("0 0 29 2 *", 86400)
    assert is_window_active(leap, utc("2028-02-29T12:00"))
    assert not is_window_active(leap, utc("2027-03-01T00:00"))


def test_fire_time_is_inclusive_and_end_exclusive() -> None:
    daily = cron("30 12 * * *", 60)
    assert not is_window_active(daily, utc("2025-06-01T12:29:59.999999"))
    assert is_window_active(daily, utc("2025-06-01T12:30"))
    assert is_window_active(daily, utc("2025-06-01T12:30:59.999999"))
    assert not is_window_active(daily, utc("2025-06-01T12:31"))


# --- daylight saving time ------------------------------------------------------------------------


def test_berlin_spring_forward_fixed_time_fires_when_the_gap_ends() -> None:
    # 2025-03-30: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
    spec = cron("30 2 * * *", 3600, "Europe/Berlin")
    assert not is_window_active(spec, utc("2025-03-30T00:59:59"))
    assert is_window_active(spec, local("2025-03-30T03:00", BERLIN))
    assert is_window_active(spec, local("2025-03-30T03:59", BERLIN))
    assert not is_window_active(spec, local("2025-03-30T04:00", BERLIN))
    assert is_window_active(spec, local("2025-03-31T02:30", BERLIN))  # normal again


def test_berlin_spring_forward_wildcard_skips_missing_times() -> None:
    spec = cron("30 * * * *", 10 * 60, "Europe/Berlin")
    assert is_window_active(spec, local("2025-03-30T01:35", BERLIN))
    assert not is_window_active(spec, local("2025-03-30T03:05", BERLIN))  # no fire for 02:30
    assert is_window_active(spec, local("2025-03-30T03:35", BERLIN))


def test_berlin_fall_back_fixed_time_fires_once() -> None:
    # 2025-10-26: 03:00 CEST falls back to 02:00 CET; 02:00-02:59 happens twice.
    spec = cron("30 2 * * *", 30 * 60, "Europe/Berlin")
    assert is_window_active(spec, local("2025-10-26T02:45", BERLIN, fold=0))
    assert not is_window_active(spec, local("2025-10-26T02:45", BERLIN, fold=1))
    assert not is_window_active(spec, local("2025-10-26T02:30", BERLIN, fold=1))


def test_berlin_fall_back_wildcard_fires_in_both_passes() -> None:
    spec = cron("*/30 * * * *", 10 * 60, "Europe/Berlin")
    assert is_window_active(spec, local("2025-10-26T02:35", BERLIN, fold=0))
    assert is_window_active(spec, local("2025-10-26T02:35", BERLIN, fold=1))


def test_new_york_spring_forward() -> None:
    # 2025-03-09: 02:00 EST jumps to 03:00 EDT.
    fixed = cron("30 2 * * *", 30 * 60, "America/New_York")
    assert is_window_active(fixed, local("2025-03-09T03:00", NEW_YORK))
    assert not is_window_active(fixed, local("2025-03-09T03:30", NEW_YORK))
    assert not is_window_active(fixed, local("2025-03-09T01:59", NEW_YORK))


def test_new_york_fall_back() -> None:
    # 2025-11-02: 02:00 EDT falls back to 01:00 EST; 01:00-01:59 happens twice.
    fixed = cron("30 1 * * *", 30 * 60, "America/New_York")
    assert is_window_active(fixed, local("2025-11-02T01:45", NEW_YORK, fold=0))
    assert not is_window_active(fixed, local("2025-11-02T01:45", NEW_YORK, fold=1))
    # The instant inside the second pass is after the first 01:30, so that fire is looked at,
    # found 45 minutes old, and the 30m window is over.
    assert not is_window_active(fixed, local("2025-11-02T01:15", NEW_YORK, fold=1))
    wildcard = cron("30 * * * *", 30 * 60, "America/New_York")
    assert is_window_active(wildcard, local("2025-11-02T01:45", NEW_YORK, fold=1))


def test_duration_is_elapsed_time_across_dst() -> None:
    # 8h from 22:00 CEST on the night clocks fall back ends at 05:00 CET (7 wall-clock hours).
    spec = cron("0 22 * * *", 8 * 3600, "Europe/Berlin")
    assert is_window_active(spec, local("2025-10-26T04:59", BERLIN))
    assert not is_window_active(spec, local("2025-10-26T05:00", BERLIN))
    # ...and on the night clocks spring forward, at 07:00 CEST (9 wall-clock hours).
    assert is_window_active(spec, local("2025-03-30T06:59", BERLIN))
    assert not is_window_active(spec, local("2025-03-30T07:00", BERLIN))


def test_half_hour_dst_zone() -> None:
    # Lord Howe moves by 30 minutes: 2025-10-05 02:00 -> 02:30 local.
    spec = cron("15 2 * * *", 10 * 60, "Australia/Lord_Howe")
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    assert is_window_active(spec, local("2025-10-05T02:35", lord_howe))  # fired at 02:30
    assert not is_window_active(spec, local("2025-10-05T02:40", lord_howe))


# --- unusable specs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        cron("not a cron", 3600),
        cron("0 9 * * *", 0),
        ScheduleSpec("c", "enable", cron="0 9 * * *"),
        ScheduleSpec("c", "maybe", starts_at=utc("2025-01-01T00:00")),  # type: ignore[arg-type]
    ],
)
def test_unusable_specs_are_never_active(spec: ScheduleSpec) -> None:
    assert not is_window_active(spec, utc("2025-06-01T09:30"))


def test_unknown_zone_is_read_as_utc() -> None:
    spec = cron("0 9 * * *", 3600, "Mars/Olympus_Mons")
    assert is_window_active(spec, utc("2025-06-01T09:30"))
    assert not is_window_active(spec, utc("2025-06-01T10:30"))
