"""Feature health from SDK error reports, and the auto-disable threshold.

Definitions (docs/governance.md repeats them for users):
- `errors_in_window`: error reports for the feature in the environment during the last
  `window_sec` seconds.
- `error_rate`: errors_in_window / window_sec, i.e. errors per second averaged over the window
  (the wire meaning SDKs already rely on). It is not a share of evaluations.
- `error_share`: errors / (errors + tracked feedback events) in the window, only when the
  optional share threshold is configured and enough outcomes were reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

HealthStatus = Literal["healthy", "degraded", "failing", "disabled"]
HEALTH_STATUSES: tuple[str, ...] = ("healthy", "degraded", "failing", "disabled")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a feature counts as failing (and, if eligible, gets switched off)."""

    error_count: int = 10  # N errors ...
    window_sec: int = 60  # ... within W seconds
    error_share: float | None = None  # optional: errors / reported outcomes ...
    min_volume: int = 100  # ... once at least this many outcomes were reported


@dataclass(frozen=True, slots=True)
class ErrorStats:
    errors: int  # in the window
    outcomes: int  # errors + tracked feedback events in the window (0 when not counted)


def error_rate(errors: int, window_sec: int) -> float:
    """Errors per second over the window."""
    return errors / window_sec if window_sec > 0 else 0.0


def error_share(stats: ErrorStats) -> float | None:
    return stats.errors / stats.outcomes if stats.outcomes > 0 else None


def breach(stats: ErrorStats, thresholds: Thresholds) -> str | None:
    """Why the threshold is exceeded (a sentence for the audit log), or None when it is not."""
    if stats.errors >= thresholds.error_count:
        return (
            f"{stats.errors} errors in the last {thresholds.window_sec}s "
            f"reached the threshold of {thresholds.error_count}"
        )
    share = error_share(stats)
    limit = thresholds.error_share
    enough = stats.outcomes >= thresholds.min_volume
    if limit is not None and share is not None and enough and share >= limit:
        return (
            f"{share:.1%} of {stats.outcomes} reported outcomes in the last "
            f"{thresholds.window_sec}s were errors, above the {limit:.1%} threshold"
        )
    return None


def health_status(enabled: bool, stats: ErrorStats, thresholds: Thresholds) -> HealthStatus:
    """disabled: switch off; failing: threshold exceeded; degraded: some errors; else healthy."""
    if not enabled:
        return "disabled"
    if breach(stats, thresholds) is not None:
        return "failing"
    if stats.errors > 0:
        return "degraded"
    return "healthy"


@dataclass(frozen=True, slots=True)
class AutoDisableRecord:
    """One automatic disable: done at once, or opened as a pending change."""

    id: str
    project_id: str
    environment_id: str
    feature_id: str
    outcome: str  # disabled | pending
    pending_change_id: str | None
    reason: str
    errors: int
    created_at: datetime
