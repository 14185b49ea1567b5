"""schedule_state sits in the evaluation hot path: keep one call well under 50 µs.

The bound asserted here is loose (shared CI machines are noisy); docs/schedules.md has the
measured numbers (about 5 µs for a weekday cron).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from togglr.evaluation.schedules import schedule_state
from togglr.evaluation.snapshot import ScheduleSpec

WORKDAY = (
    ScheduleSpec(
        "c", "enable", cron="0 9 * * MON-FRI", duration_seconds=8 * 3600, timezone="Europe/Berlin"
    ),
)


def test_weekday_cron_is_fast() -> None:
    start = datetime(2025, 6, 2, tzinfo=UTC)
    moments = [
        start + timedelta(minutes=37 * i) for i in range(2000)
    ]  # spans weekdays and weekends
    schedule_state(WORKDAY, start)  # warm the caches
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        for moment in moments:
            schedule_state(WORKDAY, moment)
        best = min(best, (time.perf_counter() - began) / len(moments))
    assert best < 50e-6, f"{best * 1e6:.1f} µs per call"
