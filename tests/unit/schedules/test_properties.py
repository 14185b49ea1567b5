"""Property tests: an independent minute-by-minute oracle, and timeline/state agreement.

The oracle reads every UTC minute through `zoneinfo` and applies the documented DST rules
directly, so it shares nothing with the segment search in togglr.evaluation.schedules.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from togglr.domain.errors import InvalidInputError
from togglr.domain.schedules import CronExpr, parse_cron
from togglr.evaluation.schedules import (
    effective_state,
    is_window_active,
    next_transition,
    schedule_state,
    timeline,
)
from togglr.evaluation.snapshot import ScheduleSpec

MINUTE = timedelta(minutes=1)
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Sao_Paulo",  # DST until 2019, southern hemisphere
    "Asia/Kolkata",
]
FIELDS = (
    ["*", "*/15", "0", "30", "0,30", "5-10", "*/7", "59"],
    ["*", "*/2", "0", "1", "2", "3", "1-3", "9-17", "0,12", "22-2"],
    ["*", "*", "1", "1-15", "*/2", "15,28"],
    ["*", "*", "*", "MAR,APR,SEP,OCT,NOV", "*/3"],
    ["*", "*", "MON-FRI", "SAT,SUN", "0", "1"],
)
DURATIONS = [60, 600, 1800, 3600, 5400, 3 * 3600, 6 * 3600]

slow = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=64)
def transitions(zone_name: str, year: int) -> tuple[datetime, ...]:
    """UTC instants (to the hour) around which the zone's offset changes in `year`."""
    zone = ZoneInfo(zone_name)
    moment = datetime(year, 1, 1, tzinfo=UTC)
    found: list[datetime] = []
    last = moment.astimezone(zone).utcoffset()
    while moment.year == year:
        moment += timedelta(hours=1)
        offset = moment.astimezone(zone).utcoffset()
        if offset != last:
            found.append(moment)
            last = offset
    return tuple(found) or (datetime(year, 6, 1, tzinfo=UTC),)


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """An instant near one of the zone's DST changes (or mid-year when it has none)."""
    year = draw(st.integers(2018, 2030))
    anchor = draw(st.sampled_from(transitions(zone, year)))
    return anchor + timedelta(seconds=draw(st.integers(-2 * 86400, 2 * 86400)))


@st.composite
def crons(draw: st.DrawFn) -> str:
    while True:
        text = " ".join(draw(st.sampled_from(options)) for options in FIELDS)
        try:
            parse_cron(text)
        except InvalidInputError:
            continue
        return text


def named(cron: CronExpr, wall: datetime) -> bool:
    return cron.matches_day(wall.date()) and wall.hour * 60 + wall.minute in cron.times


def oracle_fires(cron: CronExpr, zone_name: str, lo: datetime, hi: datetime) -> list[datetime]:
    """Fire instants in [lo, hi] by brute force over UTC minutes."""
    zone = ZoneInfo(zone_name)
    moment = lo.replace(second=0, microsecond=0)
    if moment < lo:
        moment += MINUTE
    fires = []
    while moment <= hi:
        here = moment.astimezone(zone)
        before = (moment - MINUTE).astimezone(zone)
        wall = here.replace(tzinfo=None, fold=0)
        fire = named(cron, wall) and not (cron.fixed_time and here.fold == 1)
        offset, previous = here.utcoffset(), before.utcoffset()
        assert offset is not None and previous is not None
        if cron.fixed_time and offset > previous:  # a gap just ended: skipped wall times fire now
            skipped = before.replace(tzinfo=None) + MINUTE
            while skipped < wall:
                fire = fire or named(cron, skipped)
                skipped += MINUTE
        if fire:
            fires.append(moment)
        moment += MINUTE
    return fires


@slow
@given(st.data())
def test_cron_window_matches_the_oracle(data: st.DataObject) -> None:
    zone = data.draw(st.sampled_from(ZONES))
    expr = data.draw(crons())
    duration = data.draw(st.sampled_from(DURATIONS))
    now = data.draw(instants(zone))
    spec = ScheduleSpec("c", "enable", cron=expr, duration_seconds=duration, timezone=zone)
    fires = oracle_fires(parse_cron(expr), zone, now - timedelta(seconds=duration - 1), now)
    assert is_window_active(spec, now) is bool(fires), (expr, zone, now, fires)


@st.composite
def schedule_sets(draw: st.DrawFn, zone: str, around: datetime) -> list[ScheduleSpec]:
    schedules = []
    for i in range(draw(st.integers(1, 3))):
        action: Literal["enable", "disable"] = draw(st.sampled_from(["enable", "disable"]))
        if draw(st.booleans()):
            start = around + timedelta(minutes=draw(st.integers(-3000, 3000)))
            end = start + timedelta(minutes=draw(st.integers(1, 3000)))
            schedules.append(
                ScheduleSpec(
                    f"o{i}",
                    action,
                    starts_at=draw(st.sampled_from([start, None])),
                    ends_at=draw(st.sampled_from([end, end, None])),
                )
            )
        else:
            schedules.append(
                ScheduleSpec(
                    f"c{i}",
                    action,
                    cron=draw(crons()),
                    duration_seconds=draw(st.sampled_from(DURATIONS)),
                    timezone=zone,
                )
            )
    return schedules


def state_from(events: list[tuple[datetime, bool]], moment: datetime) -> bool:
    state = events[0][1]
    for at, on in events:
        if at <= moment:
            state = on
    return state


@slow
@given(st.data())
def test_timeline_is_sorted_alternating_and_agrees_with_schedule_state(data: st.DataObject) -> None:
    zone = data.draw(st.sampled_from(ZONES))
    start = data.draw(instants(zone))
    end = start + timedelta(minutes=data.draw(st.integers(1, 3 * 1440)))
    schedules = data.draw(schedule_sets(zone, start))
    enabled = data.draw(st.booleans())
    events = timeline(enabled, schedules, start, end)

    assert events[0] == (start, effective_state(enabled, schedules, start))
    for (a, on_a), (b, on_b) in itertools.pairwise(events):
        assert a < b < end
        assert on_a != on_b  # only real transitions
    for at, on in events[1:]:
        assert effective_state(enabled, schedules, at) is on
        assert effective_state(enabled, schedules, at - timedelta(microseconds=1)) is not on
    probes = data.draw(st.lists(st.integers(0, int((end - start).total_seconds())), max_size=15))
    for seconds in probes:
        moment = min(start + timedelta(seconds=seconds), end - timedelta(microseconds=1))
        assert effective_state(enabled, schedules, moment) is state_from(events, moment)
    # next_transition finds the same first change (when it lies inside the range)
    following = next_transition(enabled, schedules, start)
    if len(events) > 1:
        assert following == events[1]
    else:
        assert following is None or following[0] >= end


@given(
    st.datetimes(timezones=st.just(UTC)),
    st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=400)),
    st.datetimes(timezones=st.just(UTC)),
)
def test_one_shot_active_exactly_in_its_half_open_range(
    start: datetime, length: timedelta, now: datetime
) -> None:
    try:
        end = start + length
    except OverflowError:
        return
    spec = ScheduleSpec("w", "enable", starts_at=start, ends_at=end)
    assert is_window_active(spec, now) is (start <= now < end)
    assert schedule_state([spec], now) is (start <= now < end)


@slow
@given(st.data())
def test_window_holds_for_its_whole_duration_after_each_fire(data: st.DataObject) -> None:
    zone = data.draw(st.sampled_from(ZONES))
    expr = data.draw(crons())
    duration = data.draw(st.sampled_from(DURATIONS))
    spec = ScheduleSpec("c", "enable", cron=expr, duration_seconds=duration, timezone=zone)
    start = data.draw(instants(zone))
    for fire in oracle_fires(parse_cron(expr), zone, start, start + timedelta(hours=6))[:5]:
        assert is_window_active(spec, fire)
        assert is_window_active(
            spec, fire + timedelta(seconds=duration) - timedelta(microseconds=1)
        )
