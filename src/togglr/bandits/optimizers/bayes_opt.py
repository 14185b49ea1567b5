"""Bayesian optimisation on [min_value, max_value]: a Gaussian process + expected improvement.

Every epoch serves one value x. When its batch is full, (x, batch mean, its variance) joins the
observations (a repeated x merges into the same point), a GP with an RBF kernel is fitted to the
standardised means, and the next x is the grid point with the largest expected improvement over
the best posterior mean at an observed point. Each point's noise is the batch mean's own
sampling variance plus the small `noise` nugget, so small or noisy batches are trusted less. Pure Python: at most
`grid_size` + 1 distinct points, so the Cholesky factorisation stays small. The recommended
value is the observed point with the highest posterior mean.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from statistics import NormalDist, fmean, pstdev
from typing import Any

from togglr.bandits.optimizers.base import Optimizer
from togglr.bandits.settings import BATCH_SIZE, DECIMALS, AlgorithmSpec, Setting, check_bounds
from togglr.bandits.state import Json, count, finite

SPEC = AlgorithmSpec(
    slug="bayes_opt",
    name="Bayesian optimisation",
    kind="optimizer",
    description=(
        "Tunes a number within a range with a Gaussian-process model of the reward, choosing "
        "each next value by expected improvement. Sample-efficient for smooth rewards."
    ),
    settings=(
        Setting(
            "noise",
            "Model-misfit nugget: extra noise variance on standardised batch means, on top of "
            "each batch mean's own sampling variance. Smaller trusts the data more.",
            0.001,
            0.0,
            100.0,
            exclusive_minimum=True,
        ),
        Setting("initial_value", "First value served.", 0.5),
        Setting("min_value", "Lower end of the search range.", 0.0),
        Setting("max_value", "Upper end of the search range.", 1.0),
        Setting(
            "length_scale",
            "RBF length scale as a fraction of the range.",
            0.2,
            0.0,
            10.0,
            exclusive_minimum=True,
        ),
        Setting(
            "grid_size",
            "Candidate points for the expected-improvement search.",
            101,
            3,
            2001,
            integer=True,
        ),
        Setting(
            "xi",
            "Exploration margin of expected improvement (standardised units).",
            0.01,
            0.0,
            10.0,
        ),
        BATCH_SIZE,
        DECIMALS,
    ),
    check=check_bounds,
)

_NORMAL = NormalDist()
JITTER = 1e-9  # keeps the Cholesky factorisation positive definite in floating point


def cholesky(k: Sequence[Sequence[float]]) -> list[list[float]]:
    """Lower-triangular L with L Lᵀ = K for a symmetric positive-definite K."""
    n = len(k)
    low = [[0.0] * n for _ in range(n)]
    for i in range(n):
        row = low[i]
        for j in range(i + 1):
            other = low[j]
            s = k[i][j] - sum(row[t] * other[t] for t in range(j))
            if i == j:
                row[i] = math.sqrt(max(s, JITTER))
            else:
                row[j] = s / other[j]
    return low


def solve_lower(low: Sequence[Sequence[float]], b: Sequence[float]) -> list[float]:
    """Solve L y = b by forward substitution."""
    y: list[float] = []
    for i, row in enumerate(low):
        y.append((b[i] - sum(row[t] * y[t] for t in range(i))) / row[i])
    return y


def solve_upper_t(low: Sequence[Sequence[float]], y: Sequence[float]) -> list[float]:
    """Solve Lᵀ x = y by back substitution."""
    n = len(low)
    x = [0.0] * n
    for i in range(n - 1, -1, -1):
        x[i] = (y[i] - sum(low[t][i] * x[t] for t in range(i + 1, n))) / low[i][i]
    return x


class Gp:
    """GP posterior for 1-D inputs with an RBF kernel (unit signal variance) and per-point noise."""

    def __init__(
        self, xs: Sequence[float], ys: Sequence[float], noise: Sequence[float], length: float
    ) -> None:
        self.xs = list(xs)
        self.length = length
        n = len(xs)
        k = [[self.kernel(xs[i], xs[j]) for j in range(n)] for i in range(n)]
        for i in range(n):
            k[i][i] += noise[i]
        self.low = cholesky(k)
        self.alpha = solve_upper_t(self.low, solve_lower(self.low, ys))

    def kernel(self, a: float, b: float) -> float:
        """RBF covariance (safe for a length scale that underflows to 0: then 0 off the diagonal)."""
        if a == b:
            return 1.0
        if not self.length > 0:
            return 0.0
        z = (a - b) / self.length  # inf rather than an exception when it overflows
        return math.exp(-0.5 * z * z)

    def predict(self, x: float) -> tuple[float, float]:
        """Posterior mean and standard deviation at x."""
        ks = [self.kernel(x, xi) for xi in self.xs]
        mean = sum(a * b for a, b in zip(ks, self.alpha, strict=True))
        v = solve_lower(self.low, ks)
        return mean, math.sqrt(max(1.0 - sum(t * t for t in v), 1e-12))


def expected_improvement(mean: float, sd: float, best: float, xi: float) -> float:
    """EI of a normal posterior over `best` + xi."""
    gain = mean - best - xi
    z = gain / sd
    return gain * _NORMAL.cdf(z) + sd * _NORMAL.pdf(z)


class BayesOpt(Optimizer):
    """GP-EI Bayesian optimisation with batched noisy observations."""

    spec = SPEC

    def _init_vars(self) -> None:
        # observed points: [x, n, sum, sum of squares] (additive per x)
        self._points: list[list[float]] = []
        self._x = self._clamp(float(self.settings["initial_value"]))

    def _first_candidates(self) -> list[float]:
        return [self._x]

    def _grid(self) -> list[float]:
        lo, hi = float(self.settings["min_value"]), float(self.settings["max_value"])
        g = int(self.settings["grid_size"])
        return sorted({self._clamp(lo + (hi - lo) * i / (g - 1)) for i in range(g)})

    def _model(self) -> tuple[Gp, float, float]:
        """GP on standardised batch means, plus the standardisation (centre, scale)."""
        xs = [p[0] for p in self._points]
        means = [p[2] / p[1] for p in self._points]
        total_n = sum(p[1] for p in self._points)
        overall = sum(p[2] for p in self._points) / total_n
        pooled_var = max(sum(p[3] for p in self._points) / total_n - overall**2, 0.0)
        centre = fmean(means)
        scale = pstdev(means) if len(means) > 1 else 0.0
        if not scale > 0:
            scale = math.sqrt(pooled_var) or 1.0
        noise = []
        for (_, n, _, total_sq), m in zip(self._points, means, strict=True):
            var = (total_sq - n * m * m) / (n - 1) if n >= 2 else pooled_var
            noise.append(float(self.settings["noise"]) + max(var, 0.0) / n / scale**2)
        lo, hi = float(self.settings["min_value"]), float(self.settings["max_value"])
        length = float(self.settings["length_scale"]) * (hi - lo)
        gp = Gp(xs, [(m - centre) / scale for m in means], noise, length)
        return gp, centre, scale

    def _best_observed(self, gp: Gp) -> tuple[float, float]:
        """(x, standardised posterior mean) of the best observed point."""
        return max(((x, gp.predict(x)[0]) for x in gp.xs), key=lambda t: t[1])

    def _step(self, means: list[float], rng: random.Random) -> list[float]:
        b = self._batch[0]
        n = b.successes + b.failures
        for p in self._points:
            if p[0] == self._x:
                p[1] += n
                p[2] += b.reward_sum
                p[3] += b.reward_sq
                break
        else:
            self._points.append([self._x, float(n), b.reward_sum, b.reward_sq])
        gp, _, _ = self._model()
        _, best = self._best_observed(gp)
        xi = float(self.settings["xi"])
        scored = [(expected_improvement(*gp.predict(x), best, xi), x) for x in self._grid()]
        top = max(scored)[0]
        if top > 1e-12:
            self._x = max(scored)[1]
        else:  # nothing left to gain anywhere: sample a random grid point to keep learning
            self._x = rng.choice(scored)[1]
        return [self._x]

    def current_value(self) -> float:
        """The observed value with the highest posterior mean (initial_value before any data)."""
        if not self._points:
            return self._x
        gp, _, _ = self._model()
        return self._best_observed(gp)[0]

    def _rebound(self) -> None:
        self._x = self._clamp(self._x)

    def _vars_json(self) -> Json:
        return {"x": self._x, "points": [list(p) for p in self._points]}

    def _load_vars(self, data: Mapping[str, Any]) -> None:
        self._x = finite(data.get("x"), "x")
        raw = data.get("points")
        if not isinstance(raw, list):
            raise ValueError("points must be a list")
        points = []
        for p in raw:
            if not isinstance(p, list) or len(p) != 4:
                raise ValueError("each point must be [x, n, sum, sum_sq]")
            x, total, total_sq = (finite(p[i], "point") for i in (0, 2, 3))
            n = count(int(p[1]) if isinstance(p[1], float) and p[1].is_integer() else p[1], "n")
            if n < 1:
                raise ValueError("a point needs at least one observation")
            points.append([x, float(n), total, total_sq])
        self._points = points
