"""Write-time validation of whole schedules, time zones and one-shot overlaps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from togglr.domain.errors import ConflictError, InvalidInputError
from togglr.domain.schedules import (
    ScheduleFields,
    ensure_no_overlap,
    find_overlap,
    validate_schedule,
    validate_timezone,
)
from togglr.evaluation.snapshot import ScheduleSpec


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2025, 6, day, hour, tzinfo=UTC)


# --- validate_schedule ---------------------------------------------------------------------------


def test_one_shot_is_normalised_to_utc() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    fields = validate_schedule(
        action="enable",
        starts_at=datetime(2025, 6, 1, 9, tzinfo=berlin),
        ends_at=datetime(2025, 6, 1, 17, tzinfo=berlin),
    )
    assert fields == ScheduleFields("enable", starts_at=at(1, 7), ends_at=at(1, 15))
    assert fields.starts_at is not None and fields.starts_at.tzinfo is UTC
    assert not fields.is_recurring


def test_naive_times_are_read_in_the_schedule_zone() -> None:
    fields = validate_schedule(
        action="disable", starts_at=datetime(2025, 6, 1, 9), timezone="America/New_York"
    )
    assert fields.starts_at == at(1, 13)
    assert fields.ends_at is None
    assert fields.timezone == "America/New_York"


def test_one_shot_open_start_or_open_end() -> None:
    assert validate_schedule(action="enable", starts_at=at(1)).ends_at is None
    assert validate_schedule(action="disable", ends_at=at(1)).starts_at is None


@pytest.mark.parametrize("end", [at(1), datetime(2025, 5, 31, 23, 59, tzinfo=UTC)])
def test_one_shot_needs_start_before_end(end: datetime) -> None:
    with pytest.raises(InvalidInputError, match=r"starts_at .* must be before ends_at") as info:
        validate_schedule(action="enable", starts_at=at(1), ends_at=end)
    assert info.value.details == {"field": "ends_at"}


def test_recurring_with_string_or_integer_duration() -> None:
    fields = validate_schedule(
        action="enable", cron="0 9 * * mon-fri", duration="8h", timezone="Europe/Berlin"
    )
    assert fields == ScheduleFields(
        "enable", cron="0 9 * * MON-FRI", duration_seconds=28800, timezone="Europe/Berlin"
    )
    assert fields.is_recurring
    assert (
        validate_schedule(action="disable", cron="0 0 * * SAT", duration=172800).duration_seconds
        == 172800
    )


@pytest.mark.parametrize(
    ("kwargs", "message", "field"),
    [
        (
            {"action": "toggle", "starts_at": at(1)},
            "action must be 'enable' or 'disable'",
            "action",
        ),
        ({"action": "enable"}, "needs starts_at/ends_at .* or cron \\+ duration", "starts_at"),
        (
            {"action": "enable", "starts_at": at(1), "cron": "0 9 * * *", "duration": "1h"},
            "not both",
            "cron",
        ),
        ({"action": "enable", "ends_at": at(1), "duration": "1h"}, "not both", "cron"),
        ({"action": "enable", "duration": "1h"}, "needs a cron expression", "cron"),
        ({"action": "enable", "cron": "  ", "duration": "1h"}, "needs a cron expression", "cron"),
        ({"action": "enable", "cron": "0 9 * * *"}, "needs a duration", "duration"),
        ({"action": "enable", "cron": "0 9 * *", "duration": "1h"}, "expected 5 fields", "cron"),
        ({"action": "enable", "cron": "0 9 * * *", "duration": "soon"}, "not valid", "duration"),
        ({"action": "enable", "cron": "0 9 * * *", "duration": 0}, "must be positive", "duration"),
        ({"action": "enable", "cron": "0 9 * * *", "duration": -5}, "must be positive", "duration"),
        (
            {"action": "enable", "cron": "0 9 * * *", "duration": True},
            "string like '8h' or seconds",
            "duration",
        ),
        (
            {"action": "enable", "cron": "0 9 * * *", "duration": 1.5},
            "string like '8h' or seconds",
            "duration",
        ),
        (
            {"action": "enable", "starts_at": at(1), "timezone": "Mars/Base"},
            "unknown timezone 'Mars/Base'",
            "timezone",
        ),
    ],
)
def test_bad_schedules_are_rejected(kwargs: dict[str, object], message: str, field: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as info:
        validate_schedule(**kwargs)  # type: ignore[arg-type]
    assert info.value.details == {"field": field}


# --- validate_timezone --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Etc/GMT+5"]
)
def test_known_zones(name: str) -> None:
    assert validate_timezone(name) == name


@pytest.mark.parametrize("name", [None, "", "   "])
def test_empty_zone_means_utc(name: str | None) -> None:
    assert validate_timezone(name) == "UTC"


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "europe/berlin", "../../etc/passwd", "/etc/localtime", "localtime"]
)
def test_unknown_zones(name: str) -> None:
    with pytest.raises(InvalidInputError, match="unknown timezone"):
        validate_timezone(name)


def test_overlong_zone() -> None:
    with pytest.raises(InvalidInputError, match="too long"):
        validate_timezone("Europe/" + "x" * 60)


# --- overlap -----------------------------------------------------------------------------------


def one_shot(ident: str, start: datetime | None, end: datetime | None) -> ScheduleSpec:
    return ScheduleSpec(ident, "enable", starts_at=start, ends_at=end)


EXISTING = [
    one_shot("a", at(1), at(5)),
    one_shot("b", at(10), at(12)),
    ScheduleSpec("cron", "enable", cron="0 * * * *", duration_seconds=3600),
]


@pytest.mark.parametrize(
    ("start", "end", "clash"),
    [
        (at(4), at(6), "a"),  # overlaps a's tail
        (at(2), at(3), "a"),  # inside a
        (None, at(2), "a"),  # open start reaches into a
        (at(11), None, "b"),  # open end from inside b
        (at(6), None, "b"),  # open end swallows b
        (at(5), at(10), None),  # touches a's end and b's start: half-open windows do not overlap
        (at(12), at(20), None),
        (at(6), at(9), None),
    ],
)
def test_find_overlap(start: datetime | None, end: datetime | None, clash: str | None) -> None:
    found = find_overlap(EXISTING, one_shot("new", start, end))
    assert (found.id if found else None) == clash


def test_open_windows_overlap_each_other() -> None:
    assert find_overlap([one_shot("a", None, None)], one_shot("n", at(1), at(2))) is not None
    assert find_overlap([one_shot("a", at(5), None)], one_shot("n", None, at(6))) is not None
    assert find_overlap([one_shot("a", at(5), None)], one_shot("n", None, at(5))) is None


def test_recurring_schedules_are_not_checked() -> None:
    recurring = ScheduleSpec("n", "enable", cron="0 * * * *", duration_seconds=60)
    assert find_overlap(EXISTING, recurring) is None


def test_an_update_does_not_clash_with_itself() -> None:
    moved = one_shot("a", at(2), at(6))
    assert find_overlap(EXISTING, moved) is None  # same id is skipped automatically

    @dataclass(frozen=True)
    class Fields:  # a new window without an id, as validate_schedule returns it
        starts_at: datetime | None
        ends_at: datetime | None
        cron: str | None = None

    assert find_overlap(EXISTING, Fields(at(2), at(6))) is not None
    assert find_overlap(EXISTING, Fields(at(2), at(6)), exclude_id="a") is None


def test_ensure_no_overlap_raises_a_conflict_naming_both_windows() -> None:
    with pytest.raises(ConflictError) as info:
        ensure_no_overlap(
            EXISTING, validate_schedule(action="disable", starts_at=at(4), ends_at=at(6))
        )
    error = info.value
    assert error.code == "schedule_overlap"
    assert error.details == {"schedule_id": "a"}
    assert "overlaps schedule a" in error.message
    assert "2025-06-04T00:00:00+00:00" in error.message
    assert "must not overlap" in error.message
    ensure_no_overlap(EXISTING, validate_schedule(action="disable", starts_at=at(6), ends_at=at(9)))
