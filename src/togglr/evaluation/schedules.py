"""Whether schedules hold a feature on or off at an instant, and when that changes.

Contract used by the engine:

    schedule_state(schedules: Sequence[ScheduleSpec], now: datetime) -> bool | None

returns None when there are no (usable) schedules, so the master switch alone decides; else
True/False. Semantics (precedence, DST rules, limits) are documented in docs/schedules.md.

Instants are handled as integer microseconds since the Unix epoch, so arithmetic is exact and
never trips over `fold` (two aware datetimes of one zone compare by wall clock, not by instant).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from calendar import monthrange
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import groupby
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from togglr.domain.errors import InvalidInputError
from togglr.domain.schedules import CronExpr, parse_cron
from togglr.evaluation.snapshot import ScheduleSpec

__all__ = [
    "NEXT_TRANSITION_HORIZON",
    "effective_state",
    "is_window_active",
    "next_transition",
    "schedule_state",
    "timeline",
]

NEXT_TRANSITION_HORIZON = timedelta(days=400)  # covers yearly crons
MAX_TIMELINE_STEPS = 100_000  # cron look-ups one timeline may cost before it is refused
MAX_NEXT_TRANSITION_STEPS = 20_000

_US = 1_000_000
_MINUTE = 60 * _US
_DAY = 86_400 * _US
_DAY_MIN = 1440
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORD = _EPOCH.date().toordinal()
_EPOCH_WALL = _EPOCH_ORD * _DAY_MIN  # wall minutes are counted from 0001-01-01 00:00
_ONE_US = timedelta(microseconds=1)
_LO = (datetime(1900, 1, 1, tzinfo=UTC) - _EPOCH) // _ONE_US  # searches stay inside 1900..9000
_HI = (datetime(9000, 1, 1, tzinfo=UTC) - _EPOCH) // _ONE_US
_SAMPLE_S = 6 * 3600  # zone offsets are probed this often to find transitions


def _to_us(value: datetime) -> int:
    if value.tzinfo is None:  # naive means UTC here; services pass aware datetimes
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // _ONE_US


def _to_dt(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


# ---------------------------------------------------------------------------------------------
# Time zones as constant-offset segments
# ---------------------------------------------------------------------------------------------

Segment = tuple[int, int, int, int, int]  # start, end, offset, edge_at, edge_before (µs)


@lru_cache(maxsize=512)
def _zone_key(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"  # as the reference did: an unknown zone is read as UTC
    return name


def _offset_s(zone: ZoneInfo, second: int) -> int:
    offset = datetime.fromtimestamp(second, zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _find_change(zone: ZoneInfo, lo: int, hi: int) -> int:
    """First second in (lo, hi] whose offset differs from lo's (one change assumed)."""
    base = _offset_s(zone, lo)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset_s(zone, mid) == base:
            lo = mid
        else:
            hi = mid
    return hi


@lru_cache(maxsize=2048)
def _year_table(name: str, year: int) -> tuple[tuple[Segment, ...], tuple[int, ...]]:
    """The segments of one UTC year, and their starts for bisecting.

    Year boundaries are extra segment edges, so searches walk segment by segment without the
    whole zone history. Each segment remembers the last real transition (`edge_at`, with the
    offset before it) because the DST rules depend on it even across a year boundary.
    """
    zone = ZoneInfo(name)
    first = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    last = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    points = [*range(first, last, _SAMPLE_S), last]
    offsets = [_offset_s(zone, p) for p in points]
    edges = [(first, offsets[0])]
    for i in range(1, len(points)):
        if offsets[i] != offsets[i - 1]:
            change = _find_change(zone, points[i - 1], points[i])
            if change < last:  # a change right at `last` belongs to the next year
                edges.append((change, _offset_s(zone, change)))
    # The regime at Jan 1 may have begun shortly before it (a fold spilling into the year).
    before = _offset_s(zone, first - 1)
    edge_at, edge_before = first, offsets[0]
    if before != offsets[0]:
        edge_before = before
    else:
        day_before = _offset_s(zone, first - 86400)
        if day_before != before:
            edge_at, edge_before = _find_change(zone, first - 86400, first - 1), day_before
    segments: list[Segment] = []
    for i, (start, offset) in enumerate(edges):
        end = edges[i + 1][0] if i + 1 < len(edges) else last
        if i:
            edge_at, edge_before = start, edges[i - 1][1]
        segments.append((start * _US, end * _US, offset * _US, edge_at * _US, edge_before * _US))
    return tuple(segments), tuple(seg[0] for seg in segments)


def _segment(zone: str, x: int) -> Segment:
    """The constant-offset segment holding instant `x` (µs)."""
    if zone == "UTC":
        return (_LO, _HI, 0, _LO, 0)
    year = date.fromordinal(_EPOCH_ORD + x // _DAY).year
    segments, starts = _year_table(zone, year)
    return segments[bisect_right(starts, x) - 1]


def _wall_floor(x: int, offset: int) -> int:
    return (x + offset) // _MINUTE + _EPOCH_WALL


def _wall_ceil(x: int, offset: int) -> int:
    return -(-(x + offset) // _MINUTE) + _EPOCH_WALL


def _instant(wall: int, offset: int) -> int:
    return (wall - _EPOCH_WALL) * _MINUTE - offset


# ---------------------------------------------------------------------------------------------
# Cron fire times
# ---------------------------------------------------------------------------------------------


def _prev_wall(cron: CronExpr, hi: int, lo: int) -> int | None:
    """Largest wall minute in [lo, hi] that the cron names."""
    if hi < lo:
        return None
    day, minute = divmod(hi, _DAY_MIN)
    first_day = lo // _DAY_MIN
    times = cron.times
    while day >= first_day:
        d = date.fromordinal(day)
        if d.month not in cron.months:
            day -= d.day  # jump to the last day of the previous month
        else:
            if cron.matches_day(d):
                i = bisect_right(times, minute)
                if i:
                    found = day * _DAY_MIN + times[i - 1]
                    return found if found >= lo else None
            day -= 1
        minute = _DAY_MIN - 1
    return None


def _next_wall(cron: CronExpr, lo: int, hi: int) -> int | None:
    """Smallest wall minute in [lo, hi] that the cron names."""
    if hi < lo:
        return None
    day, minute = divmod(lo, _DAY_MIN)
    last_day = hi // _DAY_MIN
    times = cron.times
    while day <= last_day:
        d = date.fromordinal(day)
        if d.month not in cron.months:
            day += monthrange(d.year, d.month)[1] - d.day + 1  # first day of the next month
        else:
            if cron.matches_day(d):
                i = bisect_left(times, minute)
                if i < len(times):
                    found = day * _DAY_MIN + times[i]
                    return found if found <= hi else None
            day += 1
        minute = 0
    return None


def _gap_fires(cron: CronExpr, seg: Segment) -> bool:
    """A fixed-time cron naming a wall time skipped by a spring-forward fires at its end."""
    start, _, offset, edge_at, edge_before = seg
    if not cron.fixed_time or edge_at != start or edge_before >= offset:
        return False
    gap = _next_wall(cron, _wall_ceil(start, edge_before), _wall_ceil(start, offset) - 1)
    return gap is not None


def _first_wall(cron: CronExpr, seg: Segment, x: int) -> int:
    """Lowest wall minute that may fire in `seg` at or after instant x."""
    _, _, offset, edge_at, edge_before = seg
    floor = _wall_ceil(x, offset)
    if cron.fixed_time and edge_before > offset:
        # After a fall-back the repeated wall times fired in the first pass already.
        floor = max(floor, _wall_ceil(edge_at, edge_before))
    return floor


def _prev_fire(cron: CronExpr, zone: str, x: int, lo: int) -> int | None:
    """Latest fire instant f with lo <= f <= x (µs)."""
    x, lo = min(x, _HI - 1), max(lo, _LO)
    while x >= lo:
        seg = _segment(zone, x)
        start, offset = seg[0], seg[2]
        found = _prev_wall(cron, _wall_floor(x, offset), _first_wall(cron, seg, max(start, lo)))
        if found is not None:
            return _instant(found, offset)
        if start < lo:
            return None
        if _gap_fires(cron, seg):
            return start
        x = start - 1
    return None


def _next_fire(cron: CronExpr, zone: str, x: int, hi: int) -> int | None:
    """Earliest fire instant f with x <= f <= hi (µs)."""
    x, hi = max(x, _LO), min(hi, _HI - 1)
    while x <= hi:
        seg = _segment(zone, x)
        start, end, offset = seg[0], seg[1], seg[2]
        if x == start and _gap_fires(cron, seg):
            return start
        top = _wall_floor(min(end - 1, hi), offset)
        found = _next_wall(cron, _first_wall(cron, seg, x), top)
        if found is not None:
            return _instant(found, offset)
        x = end
    return None


# ---------------------------------------------------------------------------------------------
# Windows
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Window:
    enable: bool
    start: int | None = None  # one-shot bounds (µs); None is open
    end: int | None = None
    cron: CronExpr | None = None
    zone: str = "UTC"
    duration: int = 0  # µs, recurring only


@lru_cache(maxsize=4096)
def _cron(text: str) -> CronExpr | None:
    try:
        return parse_cron(text)
    except InvalidInputError:
        return None  # as the reference did: an unparsable cron is ignored, never fatal


def _compile(spec: ScheduleSpec) -> _Window | None:
    """The usable form of a spec, or None when it cannot mean anything (then it is ignored)."""
    if spec.action not in ("enable", "disable"):
        return None
    enable = spec.action == "enable"
    if spec.cron is not None:
        cron = _cron(spec.cron)
        if cron is None or spec.duration_seconds is None or spec.duration_seconds <= 0:
            return None
        zone = _zone_key(spec.timezone or "UTC")
        return _Window(enable, cron=cron, zone=zone, duration=spec.duration_seconds * _US)
    start = _to_us(spec.starts_at) if spec.starts_at is not None else None
    end = _to_us(spec.ends_at) if spec.ends_at is not None else None
    return _Window(enable, start, end)


def _active(window: _Window, x: int) -> bool:
    if window.cron is None:
        started = window.start is None or window.start <= x
        return started and (window.end is None or x < window.end)
    # Active iff some fire f has f <= x < f + duration; the latest such fire is enough.
    return _prev_fire(window.cron, window.zone, x, x - window.duration + 1) is not None


def _combine(enable_active: bool, disable_active: bool, has_enable: bool) -> bool:
    """Precedence: an active disable wins, then an active enable, then the baseline."""
    if disable_active:
        return False
    if enable_active:
        return True
    return not has_enable  # enable schedules turn a feature on only inside their windows


def is_window_active(spec: ScheduleSpec, now: datetime) -> bool:
    """Whether this one schedule's window covers `now` (an unusable spec is never active)."""
    window = _compile(spec)
    return window is not None and _active(window, _to_us(now))


def schedule_state(schedules: Sequence[ScheduleSpec], now: datetime) -> bool | None:
    """None without usable schedules; else whether the schedules hold the feature ON at `now`."""
    if not schedules:
        return None
    x = _to_us(now)
    usable = has_enable = enable_active = False
    for spec in schedules:
        window = _compile(spec)
        if window is None:
            continue
        usable = True
        if window.enable:
            has_enable = True
            enable_active = enable_active or _active(window, x)
        elif _active(window, x):
            return False
    if not usable:
        return None
    return _combine(enable_active, False, has_enable)


def effective_state(enabled: bool, schedules: Sequence[ScheduleSpec], now: datetime) -> bool:
    """The master switch combined with the schedules: what `is_active` reports."""
    return enabled and schedule_state(schedules, now) is not False


# ---------------------------------------------------------------------------------------------
# Timeline
# ---------------------------------------------------------------------------------------------


class _OverBudgetError(Exception):
    pass


class _Budget:
    __slots__ = ("left",)

    def __init__(self, steps: int) -> None:
        self.left = steps

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise _OverBudgetError


def _events(window: _Window, lo: int, hi: int, budget: _Budget) -> Iterator[tuple[int, bool, int]]:
    """(time, enable, +1/-1) as the window opens and closes within [lo, hi), in time order."""
    enable, cron = window.enable, window.cron
    if cron is None:
        a = lo if window.start is None else max(window.start, lo)
        b = hi if window.end is None else min(window.end, hi)
        if a < b:
            yield a, enable, 1
            if b < hi:
                yield b, enable, -1
        return
    duration, zone = window.duration, window.zone
    budget.spend()
    fire = _prev_fire(cron, zone, lo, lo - duration + 1)
    if fire is None:
        fire = _next_fire(cron, zone, lo, hi - 1)
    while fire is not None:
        yield max(fire, lo), enable, 1
        stop = fire + duration
        # A fire inside (or right at the end of) the open window extends it. Each extension
        # is handed over as a seam (-1 and +1 at one instant, which the sweep nets out), so a
        # caller that only wants the next change need not wait for a long window to close.
        while stop < hi:
            budget.spend()
            later = _prev_fire(cron, zone, stop, stop - duration + 1)
            if later is None:
                break
            yield stop, enable, -1
            yield stop, enable, 1
            stop = later + duration
        if stop >= hi:
            return
        yield stop, enable, -1
        budget.spend()
        fire = _next_fire(cron, zone, stop + 1, hi - 1)


def _sweep(windows: list[_Window], lo: int, hi: int, budget: _Budget) -> Iterator[tuple[int, bool]]:
    """The effective state at lo, then every real change in (lo, hi)."""
    has_enable = any(w.enable for w in windows)
    streams = [_events(w, lo, hi, budget) for w in windows]
    counts = {True: 0, False: 0}
    state = _combine(False, False, has_enable)
    started = False
    for at, group in groupby(heapq.merge(*streams, key=lambda e: e[0]), key=lambda e: e[0]):
        for _, enable, delta in group:
            counts[enable] += delta
        new = _combine(counts[True] > 0, counts[False] > 0, has_enable)
        if not started:
            started = True
            yield lo, (new if at == lo else state)
            if at == lo:
                state = new
                continue
        if new != state:
            yield at, new
            state = new
    if not started:
        yield lo, state


def _usable(schedules: Sequence[ScheduleSpec]) -> list[_Window]:
    return [w for w in map(_compile, schedules) if w is not None]


def timeline(
    enabled: bool, schedules: Sequence[ScheduleSpec], start: datetime, end: datetime
) -> list[tuple[datetime, bool]]:
    """The effective on/off state at `start`, then each real change in (start, end), in UTC."""
    lo, hi = _to_us(start), _to_us(end)
    if hi <= lo:
        raise InvalidInputError("timeline 'from' must be before 'to'", field="from")
    windows = _usable(schedules)
    if not enabled or not windows:
        return [(_to_dt(lo), enabled)]
    try:
        return [(_to_dt(t), on) for t, on in _sweep(windows, lo, hi, _Budget(MAX_TIMELINE_STEPS))]
    except _OverBudgetError:
        raise InvalidInputError(
            "the schedules change too often to list over this range; ask for a shorter range",
            field="to",
        ) from None


def next_transition(
    enabled: bool, schedules: Sequence[ScheduleSpec], now: datetime
) -> tuple[datetime, bool] | None:
    """The first change of the effective state after `now`, as (time in UTC, new state).

    None when the master switch is off, there are no schedules, or nothing changes within
    NEXT_TRANSITION_HORIZON (or within the look-up budget).
    """
    windows = _usable(schedules)
    if not enabled or not windows:
        return None
    lo = _to_us(now)
    hi = lo + NEXT_TRANSITION_HORIZON // _ONE_US
    sweep = _sweep(windows, lo, hi, _Budget(MAX_NEXT_TRANSITION_STEPS))
    try:
        next(sweep)  # the state at `now`
        for at, on in sweep:
            return _to_dt(at), on
    except _OverBudgetError:
        return None
    return None
