"""Convergence on simulated environments with fixed seeds: the algorithms actually learn."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from togglr.bandits import create_state, format_value

RATES = {"control": 0.10, "blue": 0.25, "green": 0.15}


@pytest.mark.parametrize("slug", ["epsilon-greedy", "thompson-sampling", "ucb"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bandit_puts_most_weight_on_the_best_arm(slug: str, seed: int, bernoulli_run: Any) -> None:
    state = create_state(slug, {}, list(RATES))
    served = bernoulli_run(state, RATES, 3000, seed)
    late = Counter(served[-1000:])
    assert late["blue"] > (500 if slug == "ucb" else 700)  # most of the recent traffic
    if slug != "ucb":  # UCB's weight is all-or-nothing per refresh; its pull share says it all
        assert max(state.weights(), key=state.weights().__getitem__) == "blue"
        assert state.weights()["blue"] > 0.8
    best = max(state.statistics(random.Random(0)), key=lambda row: row.probability_best)
    assert best.arm == "blue"


def test_gaussian_thompson_finds_the_highest_mean_reward() -> None:
    means = {"a": 1.0, "b": 1.5, "c": 0.5}
    state = create_state("gaussian-thompson", {"prior_variance": 4.0}, list(means))
    rng, env = random.Random(1), random.Random(2)
    for t in range(2000):
        arm = state.choose({}, None, rng)
        assert isinstance(arm, str)
        state.record(arm, env.gauss(means[arm], 2.0), None, None, rng)
        if t % 10 == 9:
            state.refresh(rng)
    assert state.weights()["b"] > 0.8
    assert state.summary()["leader"] == "b"


@pytest.mark.parametrize("slug", ["lin_ucb", "contextual_thompson", "contextual_epsilon"])
def test_contextual_bandit_learns_the_best_arm_per_context(slug: str) -> None:
    # the best arm depends on the country; a context-free bandit could only pick one
    rates = {"US": {"a": 0.6, "b": 0.3, "c": 0.2}, "DE": {"a": 0.2, "b": 0.6, "c": 0.3}}
    state = create_state(slug, {}, ["a", "b", "c"])
    rng, env = random.Random(3), random.Random(4)
    for t in range(4000):
        ctx = {"country": rng.choice(["US", "DE"]), "noise": rng.random()}
        arm = state.choose(ctx, None, rng)
        assert isinstance(arm, str)
        ok = env.random() < rates[ctx["country"]][arm]
        state.record(arm, 1.0 if ok else 0.0, ok, ctx, rng)
        if t % 10 == 9:
            state.refresh(rng)
    state.refresh(rng)
    for country, best in (("US", "a"), ("DE", "b")):
        picks = Counter(state.choose({"country": country}, u / 100, rng) for u in range(100))
        assert picks[best] >= 85, (country, picks)


@pytest.mark.parametrize("slug", ["epsilon-greedy", "thompson-sampling"])
def test_decay_recovers_when_the_best_arm_changes(slug: str, bernoulli_run: Any) -> None:
    before = {"a": 0.30, "b": 0.10}
    after = {"a": 0.10, "b": 0.30}
    shares = {}
    for half_life in (0.0, 300.0):
        state = create_state(slug, {"decay_half_life": half_life}, ["a", "b"])
        bernoulli_run(state, before, 4000, 7)
        served = bernoulli_run(state, after, 1500, 8, start=4000)
        shares[half_life] = Counter(served[-500:])["b"] / 500
    assert shares[300.0] > 0.8  # with decay the new best arm takes over
    assert shares[300.0] > shares[0.0] + 0.2  # and clearly faster than without


def concave(x: float) -> float:
    return -((x - 2.0) ** 2)


@pytest.mark.parametrize(
    ("slug", "settings"),
    [
        ("hill_climb", {"step": 0.5}),
        ("simulated_annealing", {"step_scale": 0.5, "temp": 0.2}),
        ("cem", {"population_size": 10, "initial_std": 2.0, "batch_size": 10}),
        ("bayes_opt", {"min_value": -5.0, "max_value": 5.0, "initial_value": 0.0}),
    ],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_optimizer_moves_towards_the_optimum(
    slug: str, settings: dict[str, float], seed: int
) -> None:
    state = create_state(slug, {"batch_size": 20, **settings})
    rng, env = random.Random(seed), random.Random(seed + 100)
    for t in range(8000):
        value = state.choose({}, None, rng)
        assert isinstance(value, float)
        state.record(format_value(value), concave(value) + env.gauss(0.0, 0.5), None, None, rng)
        if t % 20 == 19:
            state.refresh(rng)
    assert abs(state.summary()["current_value"] - 2.0) < 0.5  # started 2.0 away


def test_pid_controller_tracks_its_target() -> None:
    # plant: the measured reward is about twice the served value; target 1 → value 0.5
    state = create_state("pid_controller", {"target": 1.0, "kp": 0.2, "ki": 0.2, "kd": 0.05})
    rng, env = random.Random(1), random.Random(2)
    for t in range(10_000):
        value = state.choose({}, None, rng)
        assert isinstance(value, float)
        state.record(None, 2.0 * value + env.gauss(0.0, 0.3), None, None, rng)
        if t % 20 == 19:
            state.refresh(rng)
    assert state.summary()["current_value"] == pytest.approx(0.5, abs=0.05)
