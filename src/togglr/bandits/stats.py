"""Statistics shared by all algorithms: intervals, probability-of-best, the per-arm result row."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

Z95 = 1.959963984540054  # two-sided 95 % normal quantile
PRUNE_SIGMAS = 8.0  # an arm this many sds below another is treated as never best
DEFAULT_SAMPLES = 1000


def wilson_interval(successes: float, trials: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a success rate; (0, 1) when there are no trials.

    Wilson rather than the normal approximation because it stays inside [0, 1] and behaves at
    0 % and 100 % observed rates, which are common for small arms.
    """
    if trials <= 0:
        return 0.0, 1.0
    p = min(max(successes / trials, 0.0), 1.0)
    z2 = z * z
    denom = 1.0 + z2 / trials
    centre = (p + z2 / (2.0 * trials)) / denom
    half = z * math.sqrt(p * (1.0 - p) / trials + z2 / (4.0 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(total: float, total_sq: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Normal-approximation interval for a mean reward (degenerate below two observations)."""
    if n <= 0:
        return 0.0, 0.0
    mean = total / n
    if n < 2:
        return mean, mean
    var = max(0.0, (total_sq - n * mean * mean) / (n - 1.0))
    half = z * math.sqrt(var / n)
    return mean - half, mean + half


def _live(means: Sequence[float], sds: Sequence[float]) -> list[int]:
    """Indices of arms that could plausibly be best (cheap pruning before Monte-Carlo)."""
    floor = max(m - PRUNE_SIGMAS * s for m, s in zip(means, sds, strict=True))
    return [i for i, (m, s) in enumerate(zip(means, sds, strict=True)) if m + PRUNE_SIGMAS * s >= floor]


def beta_probability_best(
    params: Sequence[tuple[float, float]], rng: random.Random, samples: int = DEFAULT_SAMPLES
) -> list[float]:
    """P(arm i has the highest rate) under independent Beta(a_i, b_i) posteriors, by Monte-Carlo.

    Arms more than 8 posterior sds below the leader's lower bound are given 0 without sampling;
    that keeps a refresh cheap once an experiment has converged.
    """
    k = len(params)
    if k <= 1:
        return [1.0] * k
    means = [a / (a + b) for a, b in params]
    sds = [math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1.0))) for a, b in params]
    live = _live(means, sds)
    out = [0.0] * k
    if len(live) == 1:
        out[live[0]] = 1.0
        return out
    pairs = [params[i] for i in live]
    wins = [0] * len(live)
    beta = rng.betavariate
    for _ in range(samples):
        best_j, best_v = 0, -1.0
        for j, (a, b) in enumerate(pairs):
            v = beta(a, b)
            if v > best_v:
                best_j, best_v = j, v
        wins[best_j] += 1
    for j, i in enumerate(live):
        out[i] = wins[j] / samples
    return out


Sampler = Callable[[random.Random], float]


def sampled_probability_best(
    samplers: Sequence[Sampler],
    rng: random.Random,
    samples: int = DEFAULT_SAMPLES,
    means: Sequence[float] | None = None,
    sds: Sequence[float] | None = None,
) -> list[float]:
    """P(arm i is best) for arbitrary posterior samplers; optional means/sds enable pruning."""
    k = len(samplers)
    if k <= 1:
        return [1.0] * k
    live = list(range(k)) if means is None or sds is None else _live(means, sds)
    out = [0.0] * k
    if len(live) == 1:
        out[live[0]] = 1.0
        return out
    wins = [0] * len(live)
    for _ in range(samples):
        best_j, best_v = 0, -math.inf
        for j, i in enumerate(live):
            v = samplers[i](rng)
            if v > best_v:
                best_j, best_v = j, v
        wins[best_j] += 1
    for j, i in enumerate(live):
        out[i] = wins[j] / samples
    return out


@dataclass(frozen=True, slots=True)
class ArmStatistics:
    """One row of an experiment's results page.

    `rate` is successes / (successes + failures), with a Wilson 95 % interval; `mean_reward` is
    reward_sum / observations. `probability_best` is Bayesian (posterior Monte-Carlo) and
    `weight` is the arm's current allocation share.
    """

    arm: str
    evaluations: int
    successes: int
    failures: int
    errors: int
    reward_sum: float
    mean_reward: float | None
    rate: float | None
    rate_low: float
    rate_high: float
    probability_best: float
    weight: float

    def to_json(self) -> dict[str, Any]:
        """The row as a JSON-compatible dict."""
        return asdict(self)
