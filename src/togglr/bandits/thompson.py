"""Thompson sampling as allocation weights: each arm gets its posterior probability of being best.

Serving a draw from P(best) is exactly what classic Thompson sampling does on average (it picks
arm i with probability P(arm i is best)), but as cached weights it can be sticky per user and
costs one bisect per request. The probabilities are computed at refresh time: by numerical
integration for Beta posteriors, by a fixed-seed Monte-Carlo for the Gaussian version.

- `thompson-sampling`: Beta-Bernoulli on success/failure, prior Beta(prior_alpha, prior_beta).
  With `optimistic` (the default) each arm's sample is max(θ_i, posterior mean μ_i), the
  optimistic Bayesian sampling of May, Korda, Lee & Leslie (2012): a sample never falls below
  its own mean, so arms lose traffic less to unlucky low draws. In the benchmark it lowered
  regret against classic Thompson sampling by up to 13 %, and was never worse than mabwiser's
  (docs/algorithms.md, ADR 0012).
- `gaussian-thompson`: Normal-Inverse-Gamma on the continuous reward (unknown mean and
  variance): prior mean `prior_mean` worth `prior_strength` observations, prior variance guess
  `prior_variance` (as an Inverse-Gamma(1, prior_variance) on the variance).
"""

from __future__ import annotations

import math
import random

from togglr.bandits.counting import CountingBandit
from togglr.bandits.settings import DECAY_HALF_LIFE, MIN_SHARE, AlgorithmSpec, Setting
from togglr.bandits.stats import (
    DEFAULT_SAMPLES,
    MC_SEED,
    Sampler,
    beta_probability_best,
    sampled_probability_best,
)

OPTIMISTIC_DEFAULT = True  # measured: lower regret (docs/algorithms.md "Benchmarks")

OPTIMISTIC = Setting(
    "optimistic",
    "Optimistic Thompson sampling: a variant's sampled rate is never below its posterior mean "
    "(max(sample, mean)), so a variant does not lose traffic to an unlucky low draw. Lower "
    "regret in our benchmarks. Off = classic Thompson sampling.",
    OPTIMISTIC_DEFAULT,
    boolean=True,
)

SPEC = AlgorithmSpec(
    slug="thompson-sampling",
    name="Thompson sampling",
    kind="bandit",
    description=(
        "Bayesian: each variant gets the share of traffic equal to the probability that it "
        "has the best success rate (Beta-Bernoulli posterior)."
    ),
    settings=(
        Setting(
            "prior_alpha", "Beta prior pseudo-successes.", 1.0, 0.0, 1e6, exclusive_minimum=True
        ),
        Setting("prior_beta", "Beta prior pseudo-failures.", 1.0, 0.0, 1e6, exclusive_minimum=True),
        OPTIMISTIC,
        MIN_SHARE,
        DECAY_HALF_LIFE,
    ),
)

GAUSSIAN_SPEC = AlgorithmSpec(
    slug="gaussian-thompson",
    name="Thompson sampling (Gaussian reward)",
    kind="bandit",
    description=(
        "Thompson sampling on a continuous reward (revenue, latency, score): each variant gets "
        "the share of traffic equal to the probability that its mean reward is highest."
    ),
    settings=(
        Setting("prior_mean", "Prior guess of the mean reward.", 0.0, -1e12, 1e12),
        Setting(
            "prior_strength",
            "How many observations the prior mean is worth.",
            1.0,
            0.0,
            1e6,
            exclusive_minimum=True,
        ),
        Setting(
            "prior_variance",
            "Prior guess of the reward variance.",
            1.0,
            0.0,
            1e12,
            exclusive_minimum=True,
        ),
        MIN_SHARE,
        DECAY_HALF_LIFE,
    ),
)


class ThompsonSampling(CountingBandit):
    """Beta-Bernoulli Thompson sampling."""

    spec = SPEC

    def _posterior_params(self) -> list[tuple[float, float]]:
        a0, b0 = float(self.settings["prior_alpha"]), float(self.settings["prior_beta"])
        out = []
        for arm in self._arms:
            n, s, _, _ = self.effective(arm)
            out.append((a0 + s, b0 + max(0.0, n - s)))
        return out

    def _allocation(self, rng: random.Random) -> list[float]:
        optimistic = bool(self.settings.get("optimistic", OPTIMISTIC_DEFAULT))
        return beta_probability_best(self._posterior_params(), optimistic=optimistic)


class GaussianThompson(CountingBandit):
    """Normal-Inverse-Gamma Thompson sampling on the mean reward."""

    spec = GAUSSIAN_SPEC
    samples = DEFAULT_SAMPLES  # Monte-Carlo draws per refresh (weights accurate to ~±1.5 %)

    def _posteriors(self) -> list[tuple[float, float, float, float]]:
        """(mean, kappa, alpha, beta) of each arm's Normal-Inverse-Gamma posterior."""
        m0 = float(self.settings["prior_mean"])
        k0 = float(self.settings["prior_strength"])
        b0 = float(self.settings["prior_variance"])
        out = []
        for arm in self._arms:
            n, _, r, r2 = self.effective(arm)
            kn = k0 + n
            mean = (k0 * m0 + r) / kn
            beta = b0
            if n > 0:
                avg = r / n
                beta += 0.5 * max(0.0, r2 - n * avg * avg) + k0 * n * (avg - m0) ** 2 / (2.0 * kn)
            out.append((mean, kn, 1.0 + n / 2.0, beta))
        return out

    def _probability_best(self, rng: random.Random, samples: int) -> list[float]:
        posts = self._posteriors()
        samplers = [_nig_sampler(*p) for p in posts]
        means = [m for m, _, _, _ in posts]
        # prune only with enough degrees of freedom for the Student-t tails to be light
        if all(2.0 * a >= 30.0 for _, _, a, _ in posts):
            sds = [math.sqrt(b / ((a - 1.0) * k)) for _, k, a, b in posts]
            return sampled_probability_best(samplers, rng, samples, means, sds)
        return sampled_probability_best(samplers, rng, samples)

    def _allocation(self, rng: random.Random) -> list[float]:
        # fixed seed: the weights depend on the data only, so users do not churn between
        # refreshes and every node computes the same allocation
        return self._probability_best(random.Random(MC_SEED), self.samples)


def _nig_sampler(mean: float, kappa: float, alpha: float, beta: float) -> Sampler:
    """Draw the mean from a Normal-Inverse-Gamma posterior (variance first, then the mean)."""

    def draw(rng: random.Random) -> float:
        variance = beta / rng.gammavariate(alpha, 1.0)
        return rng.gauss(mean, math.sqrt(variance / kappa))

    return draw
