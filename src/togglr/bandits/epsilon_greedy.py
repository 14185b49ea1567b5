"""Epsilon-greedy: the best observed rate gets 1 - epsilon + epsilon/k, every other arm epsilon/k.

Differences from the original: every served evaluation is counted (the original skipped
exploration picks, biasing the rates); rates come from success/failure feedback rather than
evaluations; a tie for the best rate goes to one tied arm, ranked by a hash re-drawn from the
data at each refresh, instead of the first in map order; arms without feedback count as best
(sharing the greedy weight), so that each arm gets tried.
"""

from __future__ import annotations

import math
import random

from togglr.bandits.allocation import pick_best
from togglr.bandits.counting import CountingBandit
from togglr.bandits.settings import DECAY_HALF_LIFE, MIN_SHARE, AlgorithmSpec, Setting

SPEC = AlgorithmSpec(
    slug="epsilon-greedy",
    name="Epsilon-greedy",
    kind="bandit",
    description=(
        "Sends 1 - epsilon of the traffic to the variant with the best success rate so far and "
        "spreads epsilon evenly over all variants. Simple and predictable."
    ),
    settings=(
        Setting("epsilon", "Share of traffic spread evenly over all arms.", 0.1, 0.0, 1.0),
        MIN_SHARE,
        DECAY_HALF_LIFE,
    ),
)


class EpsilonGreedy(CountingBandit):
    """Epsilon-greedy over success rates."""

    spec = SPEC

    def _allocation(self, rng: random.Random) -> list[float]:
        eps = float(self.settings["epsilon"])
        k = len(self._arms)
        rates = []
        for arm in self._arms:
            n, s, _, _ = self.effective(arm)
            rates.append(s / n if n > 0 else math.inf)
        return [(1.0 - eps) * g + eps / k for g in pick_best(rates, self._priority())]
