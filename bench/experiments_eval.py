"""In-process benchmark of the evaluate path with an algorithm attached.

Measures `EvaluationService.evaluate` (the SDK handler's call: hook lookup, engine, live state
choice, evaluation counting) for a two-variant feature with each context-free bandit and a
contextual one, against the same feature with no algorithm. Prints µs per evaluation (best of
`--runs`), so the cost the algorithm adds to a request is visible. Usage:

    .venv/bin/python bench/experiments_eval.py [--n 200000] [--runs 5]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime

from togglr.bandits import create_state
from togglr.domain.experiments import Attachment
from togglr.evaluation.snapshot import FlagSnapshot, VariantSpec
from togglr.services.evaluation import EvaluationService
from togglr.services.live_algorithm import LiveAlgorithm
from togglr.services.snapshots import EnvironmentSnapshot, SnapshotStore

NOW = datetime(2026, 11, 29, tzinfo=UTC)
ALGORITHMS = ("none", "thompson-sampling", "epsilon-greedy", "ucb", "gaussian-thompson", "lin_ucb")


def _snapshot(slug: str) -> FlagSnapshot:
    return FlagSnapshot(
        feature_id="f1",
        feature_key="checkout",
        kind="multivariant",
        rollout_key="user.id",
        enabled=True,
        default_value="off",
        variants=(VariantSpec("blue", 50.0), VariantSpec("green", 50.0)),
        algorithm=None if slug == "none" else slug,
    )


def _live(slug: str) -> LiveAlgorithm | None:
    if slug == "none":
        return None
    rng = random.Random(1)
    state = create_state(slug, {"min_share": 0.05}, ["blue", "green"])
    for i in range(2000):  # some history, so the allocation is not uniform
        arm = "green" if i % 2 else "blue"
        state.record(
            arm, 1.0 if (i % 5 == 0 or arm == "green") else 0.0, None, {"plan": "pro"}, rng
        )
    state.refresh(rng)
    attachment = Attachment("a1", "p1", "e1", "f1", slug, {}, True, "bench", NOW, NOW)
    return LiveAlgorithm(attachment, state, 1, ("blue", "green"), rng)


def measure(slug: str, n: int, runs: int) -> tuple[float, float]:
    """(µs per sticky evaluation, µs per evaluation without a rollout key)."""
    live = _live(slug)
    service = EvaluationService(SnapshotStore(storage=None), lambda: NOW, random.Random(2))
    service.set_hook_provider(lambda env_id, feature_id: live)
    env = EnvironmentSnapshot("p1", "e1", "prod", "key")
    flag = _snapshot(slug)
    contexts = [{"user": {"id": f"user-{i}"}, "plan": "pro"} for i in range(1000)]
    anonymous = {"plan": "pro"}
    out = []
    for ctxs in (contexts, [anonymous] * 1000):
        best = float("inf")
        for _ in range(runs):
            start = time.perf_counter()
            for i in range(n):
                service.evaluate(env, flag, ctxs[i % 1000])
            best = min(best, (time.perf_counter() - start) / n)
        out.append(best * 1e6)
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'algorithm':<20} {'sticky µs':>10} {'no key µs':>10}")
    for slug in ALGORITHMS:
        sticky, anonymous = measure(slug, args.n, args.runs)
        print(f"{slug:<20} {sticky:>10.2f} {anonymous:>10.2f}")


if __name__ == "__main__":
    main()
