"""The three contextual policies over the shared linear models.

For a request with feature vector x, arm i has predicted reward m_i = x·θ_i and uncertainty
q_i = x·A_i⁻¹·x.

- `lin_ucb`: all weight on argmax m_i + alpha·sqrt(q_i), then the min_share floor.
- `contextual_epsilon`: 1 - epsilon on argmax m_i, epsilon spread evenly, then the floor.
  Exact ties go to the arm ranked first by a hash re-drawn from the data at each refresh
  (`allocation.pick_best`), so an interval's traffic is not split between identical models.
- `contextual_thompson`: draw s_i ~ N(m_i, prior_variance·q_i) and serve the argmax. That is
  the exact marginal of x·θ̃ under θ̃ ~ N(θ, prior_variance·A⁻¹), so it needs no d-dimensional
  draw (the original used a per-coordinate approximation). With a unit, the normal deviates are
  derived from the unit by a hash, so a user keeps the same arm between refreshes while the
  population still samples the posterior; the min_share floor is the first k·min_share of the
  unit line.
"""

from __future__ import annotations

import math
import random
import struct
from statistics import NormalDist

from togglr.bandits.allocation import pick_best
from togglr.bandits.contextual.linear import LinearBandit
from togglr.bandits.contextual.specs import EPSILON_SPEC, LIN_UCB_SPEC, THOMPSON_SPEC
from togglr.bandits.stats import MC_SEED, Sampler, sampled_probability_best

_NORMAL = NormalDist()
_MASK = (1 << 64) - 1


def unit_normal(unit: float, i: int) -> float:
    """A standard normal deviate that is a pure function of (unit, i) (splitmix64 + inverse CDF)."""
    z = (struct.unpack("<Q", struct.pack("<d", unit))[0] + (i + 1) * 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    z ^= z >> 31
    return _NORMAL.inv_cdf(((z >> 11) + 0.5) / 9007199254740992.0)  # (0, 1) exclusive


class LinUcb(LinearBandit):
    """LinUCB with disjoint per-arm models."""

    spec = LIN_UCB_SPEC

    def _allocation(self, means: list[float], spread: list[float]) -> list[float]:
        alpha = float(self.settings["alpha"])
        scores = [m + alpha * math.sqrt(q) for m, q in zip(means, spread, strict=True)]
        return pick_best(scores, self._priority)


class ContextualEpsilon(LinearBandit):
    """Epsilon-greedy on the linear models' predictions."""

    spec = EPSILON_SPEC

    def _allocation(self, means: list[float], spread: list[float]) -> list[float]:
        eps = float(self.settings["epsilon"])
        k = len(means)
        return [(1.0 - eps) * g + eps / k for g in pick_best(means, self._priority)]


class ContextualThompson(LinearBandit):
    """Linear Thompson sampling on the exact score marginals."""

    spec = THOMPSON_SPEC
    samples = 1000  # Monte-Carlo draws for the reported (context-free) weights

    def _allocation(self, means: list[float], spread: list[float]) -> list[float]:
        # probability of being best, estimated with a fixed seed so it depends on the data only
        v = float(self.settings["prior_variance"])
        samplers = [
            _normal_sampler(m, math.sqrt(v * q)) for m, q in zip(means, spread, strict=True)
        ]
        return sampled_probability_best(samplers, random.Random(MC_SEED), self.samples)

    def _pick(
        self, means: list[float], spread: list[float], unit: float | None, rng: random.Random
    ) -> int:
        k = len(means)
        floor = min(self._min_share, 1.0 / k)
        u = rng.random() if unit is None else unit
        if u < k * floor:  # the exploration floor: slice i of width `floor` serves arm i
            return min(int(u / floor), k - 1)
        v = float(self.settings["prior_variance"])
        best_i, best = 0, -math.inf
        for i, (m, q) in enumerate(zip(means, spread, strict=True)):
            z = rng.gauss(0.0, 1.0) if unit is None else unit_normal(unit, i)
            score = m + math.sqrt(v * q) * z
            if score > best:
                best_i, best = i, score
        return best_i


def _normal_sampler(mean: float, sd: float) -> Sampler:
    def draw(rng: random.Random) -> float:
        return rng.gauss(mean, sd)

    return draw
