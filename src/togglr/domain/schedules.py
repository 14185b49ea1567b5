"""Schedules at write time: parse and validate cron, durations, time zones and one-shot windows.

Pure and stdlib-only except for `croniter`, which expands cron fields (see
docs/adr/0004-cron-library.md). The time arithmetic lives in `togglr.evaluation.schedules`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction
from functools import lru_cache
from typing import Any, Literal, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import croniter  # type: ignore[import-untyped, unused-ignore]

from togglr.domain.errors import ConflictError, InvalidInputError

ScheduleAction = Literal["enable", "disable"]

# Longest recurring window. Evaluation looks back at most this far for the last fire.
MAX_DURATION_SECONDS = 366 * 86400
MAX_TIMEZONE_LENGTH = 50
MAX_CRON_LENGTH = 255

# ---------------------------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------------------------

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)\s*")


def parse_duration(text: str) -> int:
    """Parse "8h", "1h30m", "90m", "2d", "3600s" or Go's "2h0m0s" into whole seconds (> 0)."""
    raw = text.strip().lower()
    if not raw:
        raise InvalidInputError(
            "duration is empty; use e.g. '8h', '1h30m' or '90m'", field="duration"
        )
    if raw.startswith("-"):
        raise InvalidInputError(f"duration '{text}' must be positive", field="duration")
    total = Fraction(0)
    pos = 0
    last_rank = -1
    for match in _DURATION_PART.finditer(raw):
        if match.start() != pos:
            break
        number, unit = match.groups()
        if unit not in _UNIT_SECONDS:
            raise InvalidInputError(
                f"duration '{text}' has unknown unit '{unit}'; use d, h, m or s", field="duration"
            )
        rank = "dhms".index(unit)
        if rank <= last_rank:
            # Order and uniqueness keep "30m1h"-style typos from passing silently.
            raise InvalidInputError(
                f"duration '{text}': give units once, largest first (e.g. '1d2h30m')",
                field="duration",
            )
        last_rank = rank
        total += Fraction(number) * _UNIT_SECONDS[unit]
        pos = match.end()
    if pos != len(raw):
        hint = " (missing unit? e.g. '3600s')" if raw.isdigit() else ""
        raise InvalidInputError(
            f"duration '{text}' is not valid{hint}; use e.g. '8h', '1h30m', '90m', '2d'",
            field="duration",
        )
    if total.denominator != 1:
        raise InvalidInputError(f"duration '{text}' must be whole seconds", field="duration")
    return check_duration_seconds(int(total), shown=text)


def check_duration_seconds(seconds: int, *, shown: str | None = None) -> int:
    """Return `seconds` if it is a usable window length, else raise InvalidInputError."""
    label = shown if shown is not None else f"{seconds}s"
    if seconds <= 0:
        raise InvalidInputError(f"duration '{label}' must be positive", field="duration")
    if seconds > MAX_DURATION_SECONDS:
        raise InvalidInputError(
            f"duration '{label}' is longer than the maximum of "
            f"{format_duration(MAX_DURATION_SECONDS)}",
            field="duration",
        )
    return seconds


def format_duration(seconds: int) -> str:
    """Canonical compact form: 5400 → "1h30m", 172800 → "2d", 0 → "0s"."""
    if seconds < 0:
        raise ValueError("duration cannot be negative")
    if seconds == 0:
        return "0s"
    parts: list[str] = []
    rest = seconds
    for unit, size in _UNIT_SECONDS.items():
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Cron expressions
# ---------------------------------------------------------------------------------------------

_FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")
_FIELD_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_ITEM = re.compile(r"^(\*|[0-9A-Z]+(?:-[0-9A-Z]+)?)(?:/([0-9]+))?$")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # leap February: 29 exists


@dataclass(frozen=True, slots=True)
class CronExpr:
    """A parsed standard 5-field cron expression, expanded to sets.

    `day_or` follows Vixie/Debian cron: when neither day field starts with "*", a day matches
    if day-of-month OR day-of-week matches; otherwise both must match. `fixed_time` is true
    when neither the minute nor the hour field starts with "*"; it selects the DST rule.
    """

    text: str
    times: tuple[int, ...]  # sorted minutes of the day (hour * 60 + minute)
    days: frozenset[int]  # 1..31
    months: frozenset[int]  # 1..12
    weekdays: frozenset[int]  # 0 = Sunday .. 6 = Saturday
    day_or: bool
    fixed_time: bool

    def matches_day(self, day: date) -> bool:
        """Whether the cron names this calendar date (month, day-of-month, day-of-week)."""
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = day.isoweekday() % 7 in self.weekdays
        return (dom or dow) if self.day_or else (dom and dow)


def _bad_cron(text: str, why: str) -> InvalidInputError:
    return InvalidInputError(f"invalid cron expression '{text}': {why}", field="cron")


def _value(token: str, index: int, text: str) -> int:
    """Check one atom of a field (number or name) so errors name the field and the range."""
    name = _FIELD_NAMES[index]
    lo, hi = _FIELD_RANGES[index]
    if token.isdigit():
        number = int(token)
        if not lo <= number <= hi:
            raise _bad_cron(text, f"{name} value {number} is out of range {lo}-{hi}")
        return number
    names = _MONTH_NAMES if index == 3 else _DAY_NAMES if index == 4 else ()
    if token in names:
        return names.index(token) + (1 if index == 3 else 0)
    if names:
        raise _bad_cron(text, f"unknown {name} name '{token}'; use {', '.join(names)}")
    raise _bad_cron(text, f"{name} field must be numeric, got '{token}'")


def _check_field(field: str, index: int, text: str) -> None:
    name = _FIELD_NAMES[index]
    for item in field.split(","):
        match = _ITEM.match(item)
        if match is None:
            raise _bad_cron(
                text,
                f"cannot read {name} field '{field}'; use numbers, names, '*', ranges 'a-b', "
                "steps '/n' and lists 'a,b' (L, W, #, ? and H are not supported)",
            )
        base, step = match.groups()
        if base != "*":
            for token in base.split("-"):
                _value(token, index, text)
        if step is not None:
            lo, hi = _FIELD_RANGES[index]
            span = (6 if index == 4 else hi) - lo
            if not 1 <= int(step) <= span:
                raise _bad_cron(text, f"{name} step must be between 1 and {span}, got {step}")


def _as_set(values: list[Any], index: int) -> frozenset[int]:
    if "*" in values:
        lo, hi = (0, 6) if index == 4 else _FIELD_RANGES[index]  # 7 is Sunday again
        return frozenset(range(lo, hi + 1))
    if not all(isinstance(v, int) for v in values):
        raise ValueError(f"unexpected special value in expanded cron field: {values!r}")
    return frozenset(v % 7 if index == 4 else v for v in values)


@lru_cache(maxsize=1024)
def parse_cron(text: str) -> CronExpr:
    """Parse a standard 5-field cron expression or raise InvalidInputError saying what is wrong."""
    if len(text) > MAX_CRON_LENGTH:
        raise _bad_cron(text[:40] + "...", f"longer than {MAX_CRON_LENGTH} characters")
    stripped = text.strip()
    if stripped.startswith("@"):
        raise _bad_cron(
            text, "macros like @daily are not supported; write 5 fields, e.g. '0 0 * * *'"
        )
    fields = stripped.upper().split()
    if len(fields) != 5:
        raise _bad_cron(
            text,
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}",
        )
    for index, field in enumerate(fields):
        _check_field(field, index, text)
    try:
        expanded, nth = croniter.expand(" ".join(fields))
    except (ValueError, TypeError) as exc:  # CroniterError subclasses ValueError
        raise _bad_cron(text, str(exc).strip().splitlines()[-1]) from exc
    if nth:
        raise _bad_cron(text, "nth-weekday syntax '#' is not supported")
    try:
        minutes, hours, days, months, weekdays = (_as_set(expanded[i], i) for i in range(5))
    except ValueError as exc:  # the syntax check above should make this unreachable
        raise _bad_cron(text, str(exc)) from exc
    day_or = not fields[2].startswith("*") and not fields[4].startswith("*")
    if not day_or and not any(d <= _DAYS_IN_MONTH[m - 1] for m in months for d in days):
        raise _bad_cron(
            text, "the day-of-month never occurs in the given months, so it never fires"
        )
    times = tuple(sorted(h * 60 + m for h in hours for m in minutes))
    fixed = not fields[0].startswith("*") and not fields[1].startswith("*")
    return CronExpr(" ".join(fields), times, days, months, weekdays, day_or, fixed)


# ---------------------------------------------------------------------------------------------
# Time zones
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    # "localtime"/"posixrules" are host files, not IANA names; "Factory" means "no zone set".
    return frozenset(available_timezones()) - {"localtime", "posixrules", "Factory"}


def validate_timezone(name: str | None) -> str:
    """Return a valid IANA zone name ("UTC" when empty), or raise InvalidInputError."""
    if name is None or not name.strip():
        return "UTC"
    name = name.strip()
    if len(name) > MAX_TIMEZONE_LENGTH:
        raise InvalidInputError(f"timezone '{name[:60]}' is too long", field="timezone")
    if name != "UTC" and name not in _known_zones():
        raise InvalidInputError(
            f"unknown timezone '{name}'; use an IANA name such as 'Europe/Berlin' or 'UTC'",
            field="timezone",
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInputError(f"unknown timezone '{name}'", field="timezone") from exc
    return name


# ---------------------------------------------------------------------------------------------
# Whole schedules
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleFields:
    """A validated, normalised schedule without identity (times in UTC, cron re-spaced)."""

    action: ScheduleAction
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    cron: str | None = None
    duration_seconds: int | None = None
    timezone: str = "UTC"

    @property
    def is_recurring(self) -> bool:
        return self.cron is not None


def _aware_utc(value: datetime, zone: str) -> datetime:
    # A wall time without offset is read in the schedule's own zone (fold=0 if ambiguous).
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(UTC)


def validate_schedule(
    *,
    action: str,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    cron: str | None = None,
    duration: str | int | None = None,
    timezone: str | None = "UTC",
) -> ScheduleFields:
    """Check one schedule as a client sent it and return it normalised.

    One-shot: `starts_at` and/or `ends_at` (None = open end / open start), start < end.
    Recurring: `cron` (5 fields) plus `duration` ("8h" or seconds as int). Never both kinds.
    """
    if action not in ("enable", "disable"):
        raise InvalidInputError(
            f"action must be 'enable' or 'disable', got '{action}'", field="action"
        )
    act: ScheduleAction = "enable" if action == "enable" else "disable"
    zone = validate_timezone(timezone)
    one_shot = starts_at is not None or ends_at is not None
    recurring = cron is not None or duration is not None
    if one_shot and recurring:
        raise InvalidInputError(
            "a schedule is either one-shot (starts_at/ends_at) or recurring (cron + duration), "
            "not both",
            field="cron",
        )
    if recurring:
        if cron is None or not cron.strip():
            raise InvalidInputError("a recurring schedule needs a cron expression", field="cron")
        if duration is None:
            raise InvalidInputError(
                "a recurring schedule needs a duration, e.g. '8h' or '1h30m'", field="duration"
            )
        expr = parse_cron(cron)
        if isinstance(duration, bool) or not isinstance(duration, int | str):
            raise InvalidInputError(
                "duration must be a string like '8h' or seconds", field="duration"
            )
        seconds = (
            parse_duration(duration)
            if isinstance(duration, str)
            else check_duration_seconds(duration)
        )
        return ScheduleFields(act, cron=expr.text, duration_seconds=seconds, timezone=zone)
    if not one_shot:
        raise InvalidInputError(
            "a schedule needs starts_at/ends_at (one-shot) or cron + duration (recurring)",
            field="starts_at",
        )
    start = _aware_utc(starts_at, zone) if starts_at is not None else None
    end = _aware_utc(ends_at, zone) if ends_at is not None else None
    if start is not None and end is not None and start >= end:
        raise InvalidInputError(
            f"starts_at ({start.isoformat()}) must be before ends_at ({end.isoformat()})",
            field="ends_at",
        )
    return ScheduleFields(act, starts_at=start, ends_at=end, timezone=zone)


# ---------------------------------------------------------------------------------------------
# One-shot overlap
# ---------------------------------------------------------------------------------------------


class TimeWindow(Protocol):
    """What overlap checks read; `ScheduleSpec` and `ScheduleFields` both fit."""

    @property
    def starts_at(self) -> datetime | None: ...
    @property
    def ends_at(self) -> datetime | None: ...
    @property
    def cron(self) -> str | None: ...


class StoredWindow(TimeWindow, Protocol):
    @property
    def id(self) -> str: ...


W = TypeVar("W", bound=StoredWindow)


def _overlaps(a: TimeWindow, b: TimeWindow) -> bool:
    # Half-open [start, end): windows that only touch (a.end == b.start) do not overlap.
    a_before_b_ends = b.ends_at is None or a.starts_at is None or a.starts_at < b.ends_at
    b_before_a_ends = a.ends_at is None or b.starts_at is None or b.starts_at < a.ends_at
    return a_before_b_ends and b_before_a_ends


def find_overlap(
    existing: Iterable[W], new: TimeWindow, *, exclude_id: str | None = None
) -> W | None:
    """The first existing one-shot window that overlaps `new`, or None.

    Recurring schedules are skipped. The schedule being updated is skipped: pass its id as
    `exclude_id`, or give `new` an `id` attribute.
    """
    if new.cron is not None:
        return None
    skip = exclude_id if exclude_id is not None else getattr(new, "id", None)
    for other in existing:
        if other.cron is None and other.id != skip and _overlaps(other, new):
            return other
    return None


def _span(window: TimeWindow) -> str:
    start = window.starts_at.isoformat() if window.starts_at else "open start"
    end = window.ends_at.isoformat() if window.ends_at else "open end"
    return f"[{start}, {end})"


def ensure_no_overlap(
    existing: Iterable[W], new: TimeWindow, *, exclude_id: str | None = None
) -> None:
    """Raise ConflictError when `new` overlaps an existing one-shot window."""
    other = find_overlap(existing, new, exclude_id=exclude_id)
    if other is not None:
        raise ConflictError(
            f"one-shot window {_span(new)} overlaps schedule {other.id} {_span(other)}; "
            "one-shot windows of a feature in an environment must not overlap",
            code="schedule_overlap",
            schedule_id=other.id,
        )
