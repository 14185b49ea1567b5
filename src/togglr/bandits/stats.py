"""Statistics shared by all algorithms: intervals, probability-of-best, the per-arm result row."""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

Z95 = 1.959963984540054  # two-sided 95 % normal quantile
PRUNE_SIGMAS = 8.0  # an arm this many sds below another is treated as never best
DEFAULT_SAMPLES = 1000
MC_SEED = 20240611  # fixed seed: Monte-Carlo weights are a pure function of the posteriors
QUAD_NODES = 32  # grid points per arm for the Beta quadrature
QUAD_SIGMAS = 9.0  # each arm's grid spans mean ± this many sds

Sampler = Callable[[random.Random], float]


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
    """Indices of arms that could plausibly be best (pruning before integrating or sampling)."""
    floor = max(m - PRUNE_SIGMAS * s for m, s in zip(means, sds, strict=True))
    return [
        i for i, (m, s) in enumerate(zip(means, sds, strict=True)) if m + PRUNE_SIGMAS * s >= floor
    ]


def _one_hot(k: int, i: int) -> list[float]:
    out = [0.0] * k
    out[i] = 1.0
    return out


def _trapezoid(xs: Sequence[float], ys: Sequence[float]) -> list[float]:
    """Cumulative trapezoid integral of ys over xs (starting at 0)."""
    out = [0.0] * len(xs)
    acc = 0.0
    for g in range(1, len(xs)):
        acc += 0.5 * (ys[g] + ys[g - 1]) * (xs[g] - xs[g - 1])
        out[g] = acc
    return out


def beta_probability_best(
    params: Sequence[tuple[float, float]], optimistic: bool = False
) -> list[float]:
    """P(arm i has the highest rate) under independent Beta(a_i, b_i) posteriors.

    Deterministic numerical integration of P_i = ∫ f_i(x) Π_{j≠i} F_j(x) dx: each plausible arm
    contributes QUAD_NODES grid points over mean ± 9 sd, densities are evaluated in log space and
    normalised numerically, CDFs are cumulative trapezoids over the merged grid. Within 0.004
    of the exact value in the worst (skewed, few-observation) cases tested, usually within
    1e-4; several times cheaper than 1,000 Monte-Carlo draws. Being a pure function of the
    counts, it gives every node the same weights and no churn when nothing changed (and is
    memoised for that case). Priors below 1 (singular densities) use a fixed-seed Monte-Carlo.

    `optimistic`: the probability that arm i has the highest *optimistic sample*
    Y_i = max(θ_i, μ_i), θ_i ~ Beta(a_i, b_i), μ_i its mean (May, Korda, Lee & Leslie 2012).
    See `_optimistic_split` for the atoms this creates and how they are integrated exactly.
    """
    key = tuple((float(a), float(b)) for a, b in params)
    return list(_beta_probability_best(key, optimistic))


def _optimistic_split(means: Sequence[float], live: Sequence[int]) -> tuple[float, list[int]]:
    """The top posterior mean M and the live arms whose mean equals it (the set S).

    With Y_j = max(θ_j, μ_j), Y_j has CDF 0 below μ_j and F_j above, with an atom of mass
    F_j(μ_j) at μ_j. No arm's Y is below its own mean, so nothing below M = max μ can win:
    P_i = ∫_M^1 f_i Π_{j≠i} F_j dx (θ_i above M beats every Y_j, which is < θ_i exactly when
    θ_j < θ_i) + the atom term: every θ_j ≤ M, which has probability Π_j F_j(M); then the
    arms of S sit at M and tie, and each gets 1/|S| of it (a uniform tie-break). The parts
    add up to P(max θ > M) + P(max θ ≤ M) = 1.
    """
    top = max(means[i] for i in live)
    slack = 1e-12 * max(1.0, abs(top))
    return top, [i for i in live if means[i] >= top - slack]


@lru_cache(maxsize=256)
def _beta_probability_best(
    params: tuple[tuple[float, float], ...], optimistic: bool = False
) -> tuple[float, ...]:
    k = len(params)
    if k <= 1:
        return (1.0,) * k
    if any(a < 1.0 or b < 1.0 for a, b in params):
        rng = random.Random(MC_SEED)
        if optimistic:
            return tuple(_optimistic_monte_carlo(params, rng, DEFAULT_SAMPLES))
        return tuple(_beta_monte_carlo(params, rng, DEFAULT_SAMPLES))
    means = [a / (a + b) for a, b in params]
    sds = [math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1.0))) for a, b in params]
    live = _live(means, sds)
    if len(live) == 1:
        return tuple(_one_hot(k, live[0]))
    top, tied = _optimistic_split(means, live) if optimistic else (0.0, [])
    grid, pdfs, cdfs = _densities(params, live, means, sds, [top] if optimistic else [])
    size = len(grid)
    m = len(live)
    start = bisect_left(grid, top) if optimistic else 0
    integrands = [[0.0] * (size - start) for _ in range(m)]
    for g in range(start, size):
        prefix = 1.0
        prefixes = []
        for j in range(m):
            prefixes.append(prefix)
            prefix *= cdfs[j][g]
        suffix = 1.0
        for j in range(m - 1, -1, -1):  # Π_{j'≠j} F_j' = prefix_j * suffix_j
            integrands[j][g - start] = pdfs[j][g] * prefixes[j] * suffix
            suffix *= cdfs[j][g]
    xs = grid[start:]
    mass = [_trapezoid(xs, f)[-1] for f in integrands]
    if optimistic:
        atom = math.prod(cdfs[j][start] for j in range(m))  # P(every θ_j ≤ M)
        for j, i in enumerate(live):
            if i in tied:
                mass[j] += atom / len(tied)
    total = sum(mass)
    out = [0.0] * k
    for j, i in enumerate(live):
        out[i] = mass[j] / total
    return tuple(out)


def _densities(
    params: Sequence[tuple[float, float]],
    live: Sequence[int],
    means: Sequence[float],
    sds: Sequence[float],
    extra: Sequence[float],
) -> tuple[list[float], list[list[float]], list[list[float]]]:
    """The merged grid (plus the `extra` points) and each live arm's pdf and CDF on it."""
    eps = 1e-12
    spans = []
    points: set[float] = set(extra)
    for i in live:
        lo = max(eps, means[i] - QUAD_SIGMAS * sds[i])
        hi = min(1.0 - eps, means[i] + QUAD_SIGMAS * sds[i])
        spans.append((lo, hi))
        step = (hi - lo) / (QUAD_NODES - 1)
        points.update(lo + step * t for t in range(QUAD_NODES))
    grid = sorted(points)
    size = len(grid)
    pdfs: list[list[float]] = []
    cdfs: list[list[float]] = []
    for j, i in enumerate(live):
        a, b = params[i]
        lo, hi = spans[j]
        first, last = bisect_left(grid, lo), bisect_right(grid, hi)
        xs = grid[first:last]
        logs = [(a - 1.0) * math.log(x) + (b - 1.0) * math.log1p(-x) for x in xs]
        peak = max(logs)  # shift before exp: normalising numerically avoids lgamma round-off
        pdf = [0.0] * first + [math.exp(v - peak) for v in logs] + [0.0] * (size - last)
        cdf = _trapezoid(grid, pdf)
        z = cdf[-1]
        pdfs.append([p / z for p in pdf])
        cdfs.append([c / z for c in cdf])
    return grid, pdfs, cdfs


def _beta_monte_carlo(
    params: Sequence[tuple[float, float]], rng: random.Random, samples: int
) -> list[float]:
    samplers = [_beta_sampler(a, b) for a, b in params]
    return sampled_probability_best(samplers, rng, samples)


def _optimistic_monte_carlo(
    params: Sequence[tuple[float, float]], rng: random.Random, samples: int
) -> list[float]:
    """Monte-Carlo P(best) of Y_i = max(θ_i, μ_i); ties at the shared top mean are split evenly.

    The draws are the same as `_beta_monte_carlo`'s for the same rng (one θ per arm per round).
    """
    k = len(params)
    means = [a / (a + b) for a, b in params]
    _, tied = _optimistic_split(means, range(k))
    top = means[tied[0]]
    wins = [0.0] * k
    share = 1.0 / len(tied)
    for _ in range(samples):
        best_i, best_v = -1, top  # a θ must beat M strictly, else the tied arms share the round
        for i, (a, b) in enumerate(params):
            v = rng.betavariate(a, b)
            if v > best_v:
                best_i, best_v = i, v
        if best_i >= 0:
            wins[best_i] += 1.0
        else:
            for i in tied:
                wins[i] += share
    return [w / samples for w in wins]


def _beta_sampler(a: float, b: float) -> Sampler:
    def draw(rng: random.Random) -> float:
        return rng.betavariate(a, b)

    return draw


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
    if len(live) == 1:
        return _one_hot(k, live[0])
    wins = [0] * len(live)
    for _ in range(samples):
        best_j, best_v = 0, -math.inf
        for j, i in enumerate(live):
            v = samplers[i](rng)
            if v > best_v:
                best_j, best_v = j, v
        wins[best_j] += 1
    out = [0.0] * k
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
