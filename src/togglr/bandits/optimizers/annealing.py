"""Simulated annealing on noisy rewards: the incumbent and a random neighbour share the traffic.

When both have a full batch, with delta = mean(neighbour) - mean(incumbent), the neighbour is
accepted if delta > 0, or with probability exp(delta / temperature) otherwise; then the
temperature is multiplied by `cooling` and a new neighbour incumbent + U(-1, 1)·step_scale is
drawn. Rewards and temperature share a scale: a temperature of 1 accepts a move that loses 1
reward unit with probability 1/e.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

from togglr.bandits.optimizers.base import Optimizer
from togglr.bandits.settings import OPTIMIZER_COMMON, AlgorithmSpec, Setting, check_bounds
from togglr.bandits.state import Json, finite

SPEC = AlgorithmSpec(
    slug="simulated_annealing",
    name="Simulated annealing",
    kind="optimizer",
    description=(
        "Tunes a number by trying random nearby values, sometimes accepting a worse one early on "
        "to escape local optima, less and less as it cools down."
    ),
    settings=(
        Setting("temp", "Initial temperature (in reward units).", 1.0, 0.0, 1e12),
        Setting("cooling", "Temperature multiplier per step.", 0.95, 0.0, 1.0),
        Setting(
            "step_scale",
            "Neighbours are drawn within ± this distance.",
            0.1,
            0.0,
            1e12,
            exclusive_minimum=True,
        ),
        *OPTIMIZER_COMMON,
    ),
    check=check_bounds,
)

NEIGHBOUR_TRIES = 8  # redraws when a neighbour rounds or clamps onto the incumbent


class SimulatedAnnealing(Optimizer):
    """Simulated annealing with paired batches."""

    spec = SPEC

    def _init_vars(self) -> None:
        self._incumbent = self._clamp(float(self.settings["initial_value"]))
        self._temperature = float(self.settings["temp"])

    def _first_candidates(self) -> list[float]:
        scale = float(self.settings["step_scale"])
        for probe in (self._incumbent + scale, self._incumbent - scale):
            if self._clamp(probe) != self._incumbent:
                return [self._incumbent, probe]
        return [self._incumbent]

    def _step(self, means: list[float], rng: random.Random) -> list[float]:
        if len(means) == 2:
            delta = means[1] - means[0]
            if delta > 0 or (
                self._temperature > 0 and rng.random() < math.exp(delta / self._temperature)
            ):
                self._incumbent = self._candidates[1]
        self._temperature *= float(self.settings["cooling"])
        scale = float(self.settings["step_scale"])
        for _ in range(NEIGHBOUR_TRIES):
            probe = self._clamp(self._incumbent + rng.uniform(-1.0, 1.0) * scale)
            if probe != self._incumbent:
                return [self._incumbent, probe]
        return [self._incumbent]

    def current_value(self) -> float:
        """The incumbent."""
        return self._incumbent

    def _rebound(self) -> None:
        self._incumbent = self._clamp(self._incumbent)

    def _vars_json(self) -> Json:
        return {"incumbent": self._incumbent, "temperature": self._temperature}

    def _load_vars(self, data: Mapping[str, Any]) -> None:
        self._incumbent = finite(data.get("incumbent"), "incumbent")
        self._temperature = finite(data.get("temperature"), "temperature")
