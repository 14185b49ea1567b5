"""PID controller: steer the served value until the measured reward equals `target`.

Not a maximiser: it tracks a set-point (e.g. "keep the error rate at 1 %" by tuning a rate
limit). Each full batch gives one measurement (its mean reward); with error = target - measured,
the served value is initial_value + kp·error + ki·Σerror + kd·Δerror (textbook positional form;
the original added the whole PID output to the value on every event, which never settles while
the integral is non-zero). The integral stops growing while the output is pinned at a bound
(anti-windup), and the first derivative is 0 (no kick). The sign convention assumes a larger
value raises the measurement; use negative gains for the opposite.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from togglr.bandits.optimizers.base import Optimizer
from togglr.bandits.settings import OPTIMIZER_COMMON, AlgorithmSpec, Setting, check_bounds
from togglr.bandits.state import Json, finite

SPEC = AlgorithmSpec(
    slug="pid_controller",
    name="PID controller",
    kind="optimizer",
    description=(
        "Adjusts a number until the measured reward reaches a target value (set-point "
        "tracking, e.g. hold an error rate or a latency budget)."
    ),
    settings=(
        Setting("target", "Set-point for the mean reward.", 1.0, -1e12, 1e12),
        Setting("kp", "Proportional gain.", 0.2, -1e6, 1e6),
        Setting("ki", "Integral gain.", 0.05, -1e6, 1e6),
        Setting("kd", "Derivative gain.", 0.01, -1e6, 1e6),
        *OPTIMIZER_COMMON,
    ),
    check=check_bounds,
)


class PidController(Optimizer):
    """Positional PID with anti-windup, one update per batch."""

    spec = SPEC

    def _init_vars(self) -> None:
        self._value = self._clamp(float(self.settings["initial_value"]))
        self._integral = 0.0
        self._last_error: float | None = None

    def _first_candidates(self) -> list[float]:
        return [self._value]

    def _step(self, means: list[float], rng: random.Random) -> list[float]:
        s = self.settings
        error = float(s["target"]) - means[0]
        derivative = 0.0 if self._last_error is None else error - self._last_error
        self._last_error = error
        integral = self._integral + error
        raw = (
            float(s["initial_value"])
            + float(s["kp"]) * error
            + float(s["ki"]) * integral
            + float(s["kd"]) * derivative
        )
        self._value = self._clamp(raw)
        lo, hi = float(s["min_value"]), float(s["max_value"])
        if lo < raw < hi:  # only integrate while the output is not saturated
            self._integral = integral
        return [self._value]

    def current_value(self) -> float:
        """The served value."""
        return self._value

    def _rebound(self) -> None:
        self._value = self._clamp(self._value)

    def _vars_json(self) -> Json:
        return {"value": self._value, "integral": self._integral, "last_error": self._last_error}

    def _load_vars(self, data: Mapping[str, Any]) -> None:
        self._value = finite(data.get("value"), "value")
        self._integral = finite(data.get("integral"), "integral")
        last = data.get("last_error")
        self._last_error = None if last is None else finite(last, "last_error")
