"""Hill climbing on noisy rewards: the incumbent and a probe one step away share the traffic.

When both have a full batch: if the probe's mean reward is higher it becomes the incumbent
(keep going the same way); otherwise the direction flips, and after a miss in both directions
the step halves (down to the served resolution). Comparing two values served at the same time
cancels out time effects; the original compared one noisy reward against the best single reward
ever seen, ignored `direction` and had no bounds.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from togglr.bandits.optimizers.base import Optimizer
from togglr.bandits.settings import OPTIMIZER_COMMON, AlgorithmSpec, Setting, check_bounds
from togglr.bandits.state import Json, count, finite

SPEC = AlgorithmSpec(
    slug="hill_climb",
    name="Hill climbing",
    kind="optimizer",
    description=(
        "Tunes a number by serving it next to a value one step away and moving towards "
        "whichever earns more reward."
    ),
    settings=(
        Setting("step", "Initial step size.", 0.05, 0.0, 1e12, exclusive_minimum=True),
        Setting(
            "direction", "Initial direction of the first probe.", 1, integer=True, choices=(-1, 1)
        ),
        *OPTIMIZER_COMMON,
    ),
    check=check_bounds,
)


class HillClimb(Optimizer):
    """Stochastic hill climbing with paired batches."""

    spec = SPEC

    def _init_vars(self) -> None:
        self._incumbent = self._clamp(float(self.settings["initial_value"]))
        self._step_size = max(float(self.settings["step"]), self.resolution)
        self._direction = int(self.settings["direction"])
        self._misses = 0

    def _probe(self) -> list[float]:
        """[incumbent, probe]; turn round at a bound; just the incumbent if boxed in."""
        for _ in range(2):
            probe = self._clamp(self._incumbent + self._direction * self._step_size)
            if probe != self._incumbent:
                return [self._incumbent, probe]
            self._direction = -self._direction
        return [self._incumbent]

    def _first_candidates(self) -> list[float]:
        return self._probe()

    def _step(self, means: list[float], rng: random.Random) -> list[float]:
        if len(means) == 2 and means[1] > means[0]:
            self._incumbent = self._candidates[1]
            self._misses = 0
        else:
            self._direction = -self._direction
            self._misses += 1
            if self._misses >= 2:  # worse on both sides: the optimum is closer than one step
                self._step_size = max(self._step_size / 2.0, self.resolution)
                self._misses = 0
        return self._probe()

    def current_value(self) -> float:
        """The incumbent."""
        return self._incumbent

    def _rebound(self) -> None:
        self._incumbent = self._clamp(self._incumbent)

    def _vars_json(self) -> Json:
        return {
            "incumbent": self._incumbent,
            "step_size": self._step_size,
            "direction": self._direction,
            "misses": self._misses,
        }

    def _load_vars(self, data: Mapping[str, Any]) -> None:
        self._incumbent = finite(data.get("incumbent"), "incumbent")
        self._step_size = finite(data.get("step_size"), "step_size")
        direction = data.get("direction")
        if direction not in (-1, 1):
            raise ValueError("direction must be -1 or 1")
        self._direction = int(str(direction))
        self._misses = count(data.get("misses"), "misses")
