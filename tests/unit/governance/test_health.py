"""Health status and the auto-disable threshold."""

from __future__ import annotations

import pytest

from togglr.domain.health import ErrorStats, Thresholds, breach, error_rate, health_status


def test_count_threshold() -> None:
    limits = Thresholds(error_count=3, window_sec=60)
    assert breach(ErrorStats(2, 0), limits) is None
    assert "3 errors in the last 60s" in (breach(ErrorStats(3, 0), limits) or "")


def test_share_threshold_needs_enough_volume() -> None:
    limits = Thresholds(error_count=1000, window_sec=60, error_share=0.2, min_volume=100)
    assert breach(ErrorStats(30, 99), limits) is None  # too little traffic to judge
    assert breach(ErrorStats(19, 100), limits) is None
    assert "20.0% of 100" in (breach(ErrorStats(20, 100), limits) or "")


@pytest.mark.parametrize(
    ("enabled", "errors", "status"),
    [(False, 50, "disabled"), (True, 0, "healthy"), (True, 1, "degraded"), (True, 10, "failing")],
)
def test_health_status(enabled: bool, errors: int, status: str) -> None:
    assert health_status(enabled, ErrorStats(errors, 0), Thresholds()) == status


def test_error_rate_is_errors_per_second() -> None:
    assert error_rate(30, 60) == 0.5
    assert error_rate(3, 0) == 0.0
