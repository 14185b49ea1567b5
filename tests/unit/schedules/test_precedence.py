"""Precedence between the master switch, enable windows and disable windows (every combination)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from togglr.evaluation.schedules import effective_state, schedule_state
from togglr.evaluation.snapshot import ScheduleSpec

NOW = datetime(2025, 6, 15, 12, tzinfo=UTC)
ACTIVE = (datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC))
INACTIVE = (datetime(2025, 8, 1, tzinfo=UTC), datetime(2025, 9, 1, tzinfo=UTC))


def window(action: str, active: bool, ident: str) -> ScheduleSpec:
    start, end = ACTIVE if active else INACTIVE
    return ScheduleSpec(ident, action, starts_at=start, ends_at=end)  # type: ignore[arg-type]


# enable: absent / present-inactive / present-active; the same for disable.
PRESENCE = ("none", "inactive", "active")


def expected(enabled: bool, enable: str, disable: str) -> bool:
    """The documented table (docs/schedules.md), written out independently of the code."""
    if not enabled:
        return False  # master switch wins
    if disable == "active":
        return False  # an active disable wins over everything else
    if enable == "active":
        return True
    return enable == "none"  # baseline: off when enable schedules exist, on otherwise


@pytest.mark.parametrize(
    ("enabled", "enable", "disable"), list(itertools.product((True, False), PRESENCE, PRESENCE))
)
def test_every_combination(enabled: bool, enable: str, disable: str) -> None:
    schedules = []
    if enable != "none":
        schedules.append(window("enable", enable == "active", "e"))
    if disable != "none":
        schedules.append(window("disable", disable == "active", "d"))
    assert effective_state(enabled, schedules, NOW) is expected(enabled, enable, disable)
    state = schedule_state(schedules, NOW)
    if not schedules:
        assert state is None  # no schedules: the master switch alone decides
    else:
        assert state is expected(True, enable, disable)


def test_order_of_schedules_does_not_matter() -> None:
    e, d = window("enable", True, "e"), window("disable", True, "d")
    assert schedule_state([e, d], NOW) is schedule_state([d, e], NOW) is False


def test_several_enable_windows_any_active_is_enough() -> None:
    assert schedule_state([window("enable", False, "a"), window("enable", True, "b")], NOW) is True


def test_expired_enable_window_keeps_the_feature_off() -> None:
    ended = ScheduleSpec(
        "e",
        "enable",
        starts_at=datetime(2025, 1, 1, tzinfo=UTC),
        ends_at=datetime(2025, 2, 1, tzinfo=UTC),
    )
    assert schedule_state([ended], NOW) is False


def test_unusable_schedules_are_ignored_entirely() -> None:
    broken = ScheduleSpec("x", "enable", cron="bad", duration_seconds=60)
    assert schedule_state([broken], NOW) is None
    # ...so they do not make the baseline "off" either
    assert schedule_state([broken, window("disable", False, "d")], NOW) is True


def test_recurring_and_one_shot_mix() -> None:
    workday = ScheduleSpec("c", "enable", cron="0 9 * * MON-FRI", duration_seconds=8 * 3600)
    holiday = ScheduleSpec(
        "h",
        "disable",
        starts_at=datetime(2025, 6, 16, tzinfo=UTC),
        ends_at=datetime(2025, 6, 17, tzinfo=UTC),
    )
    assert (
        schedule_state([workday, holiday], datetime(2025, 6, 13, 10, tzinfo=UTC)) is True
    )  # Friday
    assert (
        schedule_state([workday, holiday], datetime(2025, 6, 16, 10, tzinfo=UTC)) is False
    )  # holiday Monday
    assert (
        schedule_state([workday, holiday], datetime(2025, 6, 14, 10, tzinfo=UTC)) is False
    )  # Saturday
