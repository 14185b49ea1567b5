"""Shared helpers for the bandits tests, handed out as fixtures (test modules cannot import each
other under --import-mode=importlib). Slug lists are derived from `ALGORITHMS` in each module."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from togglr.bandits import AlgorithmState

Run = Callable[..., list[str]]
Close = Callable[..., bool]


def _bernoulli_run(
    state: AlgorithmState,
    rates: Mapping[str, float],
    rounds: int,
    seed: int,
    *,
    every: int = 10,
    context: Mapping[str, Any] | None = None,
    start: int = 0,
) -> list[str]:
    """Serve `rounds` requests against fixed success rates; return the arms served."""
    rng = random.Random(seed)
    env = random.Random(seed + 1000)
    served = []
    for t in range(start, start + rounds):
        ctx = dict(context or {})
        arm = state.choose(ctx, None, rng)
        assert isinstance(arm, str)
        ok = env.random() < rates[arm]
        state.record(arm, 1.0 if ok else 0.0, ok, ctx, rng, now=float(t))
        served.append(arm)
        if t % every == every - 1:
            state.refresh(rng, now=float(t))
    state.refresh(rng, now=float(start + rounds))
    return served


def _close_json(a: Any, b: Any, rel: float = 1e-9, abs_: float = 1e-9) -> bool:
    """Structural equality of JSON values with a float tolerance."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_close_json(a[k], b[k], rel, abs_) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(
            _close_json(x, y, rel, abs_) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, float) or isinstance(b, float):
        return (
            isinstance(a, int | float)
            and isinstance(b, int | float)
            and math.isclose(a, b, rel_tol=rel, abs_tol=abs_)
        )
    return bool(a == b)


@pytest.fixture(scope="session")
def bernoulli_run() -> Run:
    """Simulate a Bernoulli environment against a state (see `_bernoulli_run`)."""
    return _bernoulli_run


@pytest.fixture(scope="session")
def close_json() -> Close:
    """Compare JSON values with a float tolerance."""
    return _close_json
