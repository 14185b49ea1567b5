"""Cross-entropy method: serve a population of values, refit a normal to the best of them.

Each epoch serves `population_size` values spread over N(mean, std) (stratified: the i-th is the
(i + U)/N quantile, so a small population still covers the distribution), plus the current mean
itself. When every member has a full batch, the top `elite_fraction` by mean reward become the
new mean and std (std floored at `min_std`, so it keeps exploring a little). The original only
had dormant batch code for this.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from statistics import NormalDist, fmean, pstdev
from typing import Any

from togglr.bandits.optimizers.base import Optimizer
from togglr.bandits.settings import OPTIMIZER_COMMON, AlgorithmSpec, Setting, check_bounds
from togglr.bandits.state import Json, finite

SPEC = AlgorithmSpec(
    slug="cem",
    name="Cross-entropy method",
    kind="optimizer",
    description=(
        "Tunes a number by serving a population of values, keeping the best-rewarded ones and "
        "sampling the next population around them."
    ),
    settings=(
        Setting("population_size", "Values served per generation.", 20, 2, 1000, integer=True),
        Setting(
            "elite_fraction",
            "Share of the population kept as elites.",
            0.2,
            0.0,
            1.0,
            exclusive_minimum=True,
        ),
        Setting(
            "initial_std",
            "Spread of the first generation around initial_value.",
            1.0,
            0.0,
            1e12,
            exclusive_minimum=True,
        ),
        Setting("min_std", "Lower bound of the spread (keeps some exploration).", 0.01, 0.0, 1e12),
        *OPTIMIZER_COMMON,
    ),
    check=check_bounds,
)

_NORMAL = NormalDist()


class CrossEntropy(Optimizer):
    """Cross-entropy method over one number."""

    spec = SPEC

    def _init_vars(self) -> None:
        self._mean = self._clamp(float(self.settings["initial_value"]))
        self._std = float(self.settings["initial_std"])

    def _population(self, offsets: list[float]) -> list[float]:
        """The mean followed by population_size - 1 stratified quantiles of N(mean, std)."""
        n = int(self.settings["population_size"]) - 1
        values = [self._mean]
        values.extend(
            self._mean + self._std * _NORMAL.inv_cdf((i + offsets[i]) / n) for i in range(n)
        )
        return values

    def _first_candidates(self) -> list[float]:
        n = int(self.settings["population_size"]) - 1
        return self._population([0.5] * n)

    def _step(self, means: list[float], rng: random.Random) -> list[float]:
        ranked = sorted(range(len(means)), key=means.__getitem__, reverse=True)
        n_elite = max(1, math.ceil(float(self.settings["elite_fraction"]) * len(means) - 1e-9))
        elites = [self._candidates[i] for i in ranked[:n_elite]]
        self._mean = self._clamp(fmean(elites))
        spread = pstdev(elites) if len(elites) > 1 else self._std / 2.0
        self._std = max(spread, float(self.settings["min_std"]), self.resolution)
        n = int(self.settings["population_size"]) - 1
        # (0, 1) offsets: U could be exactly 0.0, whose inverse normal CDF is undefined
        return self._population([max(rng.random(), 1e-12) for _ in range(n)])

    def current_value(self) -> float:
        """The distribution's mean."""
        return self._mean

    def _rebound(self) -> None:
        self._mean = self._clamp(self._mean)

    def _vars_json(self) -> Json:
        return {"mean": self._mean, "std": self._std}

    def _load_vars(self, data: Mapping[str, Any]) -> None:
        self._mean = finite(data.get("mean"), "mean")
        self._std = finite(data.get("std"), "std")
