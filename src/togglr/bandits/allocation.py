"""Allocation weights: exploration floor, tie splitting and the sticky unit → arm mapping.

Arms are always laid out in a fixed order (sorted names), each owning a slice of [0, 1) as wide
as its weight. A user's stable `unit` (from the rollout hash) falls into one slice, so the same
user keeps the same arm until the weights change at the next refresh.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Sequence

TIE_TOLERANCE = 1e-12


def normalise(weights: Sequence[float]) -> list[float]:
    """Scale non-negative weights to sum to 1 (uniform when they sum to 0)."""
    k = len(weights)
    total = sum(weights)
    if not total > 0:
        return [1.0 / k] * k if k else []
    return [w / total for w in weights]


def apply_floor(weights: Sequence[float], min_share: float) -> list[float]:
    """Mix weights with the uniform floor so that every arm gets at least `min_share`.

    The floor is capped at 1/k; w' = m + (1 - k*m) * w keeps the sum at 1 and the order of arms.
    """
    k = len(weights)
    if not k:
        return []
    w = normalise(weights)
    m = min(max(min_share, 0.0), 1.0 / k)
    if m <= 0:
        return w
    rest = max(0.0, 1.0 - k * m)
    return [m + rest * x for x in w]


def split_ties(scores: Sequence[float]) -> list[float]:
    """Weight 1 on the best score, shared evenly between arms tied for best."""
    if not scores:
        return []
    top = max(scores)
    # +inf scores (untried arms) tie exactly; finite scores tie within a relative tolerance
    slack = 0.0 if top == float("inf") else TIE_TOLERANCE * max(1.0, abs(top))
    best = [1.0 if s >= top - slack else 0.0 for s in scores]
    return normalise(best)


def tie_priority(arms: Sequence[str], salt: int) -> list[int]:
    """A pseudo-random rank per arm that changes whenever `salt` (the data count) changes."""
    return [
        int.from_bytes(hashlib.blake2b(f"{salt}:{arm}".encode(), digest_size=8).digest(), "big")
        for arm in arms
    ]


def pick_best(scores: Sequence[float], priority: Sequence[int]) -> list[float]:
    """Weight 1 on the best score; an exact tie between scored arms goes to the top priority.

    Untried arms (+inf) still share the weight, so they all get data at once. For scored arms,
    a priority that is re-drawn from the data at every refresh is unbiased (unlike the
    original's map order), the same on every node, and concentrates an interval's traffic on
    one arm: splitting it between tied arms cost UCB1 3-5 % more regret in the benchmark.
    """
    weights = split_ties(scores)
    if not scores or max(scores) == float("inf"):
        return weights
    tied = [i for i, w in enumerate(weights) if w > 0]
    chosen = max(tied, key=priority.__getitem__)
    return [1.0 if i == chosen else 0.0 for i in range(len(scores))]


def cumulative(weights: Sequence[float]) -> tuple[float, ...]:
    """Running sums of the weights: arm i owns [cum[i-1], cum[i])."""
    out: list[float] = []
    acc = 0.0
    for w in weights:
        acc += w
        out.append(acc)
    return tuple(out)


def pick(cum: Sequence[float], u: float) -> int:
    """Index of the slice that contains u (clamped, because the sums may end just below 1)."""
    i = bisect_right(cum, u)
    last = len(cum) - 1
    return i if i < last else last
