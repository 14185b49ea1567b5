"""UCB1: all traffic of a refresh interval goes to the arm with the highest upper bound.

score_i = rate_i + confidence * sqrt(ln N / n_i), N = sum of n_i. Arms without feedback score
+inf and share the traffic; an exact tie between scored arms goes to one of them, ranked by a
hash re-drawn from the data at each refresh (the original used map order for both). The
min_share floor keeps the other arms alive between refreshes.
"""

from __future__ import annotations

import math
import random

from togglr.bandits.allocation import pick_best
from togglr.bandits.counting import CountingBandit
from togglr.bandits.settings import DECAY_HALF_LIFE, MIN_SHARE, AlgorithmSpec, Setting

SPEC = AlgorithmSpec(
    slug="ucb",
    name="UCB1",
    kind="bandit",
    description=(
        "Optimism in the face of uncertainty: serves the variant whose success rate could "
        "plausibly be highest. Deterministic between refreshes."
    ),
    settings=(
        Setting(
            "confidence",
            "Width of the exploration bonus c in rate + c*sqrt(ln N / n); 2 ≈ classic UCB1 "
            "(which uses sqrt(2 ln N / n)).",
            2.0,
            0.0,
            100.0,
        ),
        MIN_SHARE,
        DECAY_HALF_LIFE,
    ),
)


class Ucb(CountingBandit):
    """UCB1 over success rates."""

    spec = SPEC

    def _allocation(self, rng: random.Random) -> list[float]:
        c = float(self.settings["confidence"])
        stats = [self.effective(arm) for arm in self._arms]
        log_total = math.log(max(1.0, sum(n for n, _, _, _ in stats)))
        scores = [
            s / n + c * math.sqrt(log_total / n) if n > 0 else math.inf for n, s, _, _ in stats
        ]
        return pick_best(scores, self._priority())
