"""Allocation helpers, intervals, probability of being best, and the feedback mapping."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from togglr.bandits import apply_floor, cumulative, observation, pick
from togglr.bandits.allocation import normalise, pick_best, split_ties, tie_priority
from togglr.bandits.stats import (
    ArmStatistics,
    beta_probability_best,
    mean_interval,
    sampled_probability_best,
    wilson_interval,
)


def test_normalise_and_floor_edge_cases() -> None:
    assert normalise([]) == []
    assert normalise([0.0, 0.0]) == [0.5, 0.5]
    assert apply_floor([], 0.1) == []
    assert apply_floor([1.0, 0.0], 0.0) == [1.0, 0.0]
    assert apply_floor([1.0, 0.0, 0.0], 0.5) == pytest.approx([1 / 3] * 3)  # capped at 1/k
    assert apply_floor([3.0, 1.0], 0.1) == pytest.approx([0.1 + 0.8 * 0.75, 0.1 + 0.8 * 0.25])


@given(
    raw=st.lists(st.floats(0.0, 100.0), min_size=1, max_size=12),
    floor=st.floats(0.0, 0.5),
)
@settings(max_examples=100)
def test_floor_keeps_sum_and_minimum(raw: list[float], floor: float) -> None:
    w = apply_floor(raw, floor)
    assert sum(w) == pytest.approx(1.0)
    assert min(w) >= min(floor, 1.0 / len(raw)) - 1e-12


def test_split_ties_and_pick() -> None:
    assert split_ties([]) == []
    assert split_ties([1.0, 3.0, 3.0]) == [0.0, 0.5, 0.5]
    assert split_ties([math.inf, 2.0, math.inf]) == [0.5, 0.0, 0.5]
    cum = cumulative([0.25, 0.25, 0.5 - 1e-12])  # sums that end just below 1
    assert [pick(cum, u) for u in (0.0, 0.2499, 0.25, 0.6, 0.9999999999999)] == [0, 0, 1, 2, 2]


def test_pick_best_uses_the_priority_for_ties_but_shares_between_untried_arms() -> None:
    assert pick_best([], []) == []
    assert pick_best([1.0, 2.0], [5, 1]) == [0.0, 1.0]
    assert pick_best([math.inf, 1.0, math.inf], [0, 9, 1]) == [0.5, 0.0, 0.5]
    assert pick_best([2.0, 2.0, 1.0], [1, 7, 9]) == [0.0, 1.0, 0.0]
    # the priority is a pure function of (salt, arm) and reshuffles when the salt changes
    assert tie_priority(["a", "b"], 3) == tie_priority(["a", "b"], 3)
    winners = {
        pick_best([2.0, 2.0], tie_priority(["a", "b"], salt)).index(1.0) for salt in range(20)
    }
    assert winners == {0, 1}


def test_wilson_interval() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and 0.0 < hi < 0.35
    assert wilson_interval(10, 10)[1] == pytest.approx(1.0)


def test_mean_interval() -> None:
    assert mean_interval(0.0, 0.0, 0) == (0.0, 0.0)
    assert mean_interval(3.0, 9.0, 1) == (3.0, 3.0)
    lo, hi = mean_interval(10.0, 30.0, 5)  # mean 2, sample variance 2.5
    assert (lo + hi) / 2 == pytest.approx(2.0)
    assert hi - lo == pytest.approx(2 * 1.959963984540054 * math.sqrt(2.5 / 5))


@pytest.mark.parametrize(
    "params",
    [
        [(1.0, 1.0), (1.0, 1.0)],
        [(2.0, 5.0), (3.0, 4.0)],
        [(11.0, 91.0), (13.0, 89.0), (9.0, 93.0)],
        [(101.0, 901.0), (1.0, 1.0)],
        [(50.0, 950.0), (48.0, 952.0), (52.0, 948.0), (51.0, 949.0)],
    ],
)
def test_beta_quadrature_agrees_with_monte_carlo(params: list[tuple[float, float]]) -> None:
    exact = beta_probability_best(params)
    rng = random.Random(1)
    draws = 20_000
    wins = [0] * len(params)
    for _ in range(draws):
        samples = [rng.betavariate(a, b) for a, b in params]
        wins[samples.index(max(samples))] += 1
    assert sum(exact) == pytest.approx(1.0)
    for p, w in zip(exact, wins, strict=True):
        assert p == pytest.approx(w / draws, abs=4 * math.sqrt(0.25 / draws) + 1e-3)


def _optimistic_monte_carlo(
    params: list[tuple[float, float]], draws: int, seed: int = 1
) -> list[float]:
    """Reference: P(argmax of Y_i = max(θ_i, μ_i)), exact ties shared evenly."""
    rng = random.Random(seed)
    means = [a / (a + b) for a, b in params]
    wins = [0.0] * len(params)
    for _ in range(draws):
        ys = [max(rng.betavariate(a, b), m) for (a, b), m in zip(params, means, strict=True)]
        top = max(ys)
        tied = [i for i, y in enumerate(ys) if y == top]
        for i in tied:
            wins[i] += 1.0 / len(tied)
    return [w / draws for w in wins]


@pytest.mark.parametrize(
    "params",
    [
        [(1.0, 1.0), (1.0, 1.0)],
        [(2.0, 5.0), (3.0, 4.0)],
        [(1.0, 2.0), (2.0, 4.0)],  # equal means, different spreads: the atoms coincide
        [(2.0, 1.0), (1.0, 2.0), (1.0, 2.0)],
        [(11.0, 91.0), (13.0, 89.0), (9.0, 93.0)],
        [(3.0, 30.0), (3.0, 30.0), (5.0, 40.0)],
        [(50.0, 950.0), (48.0, 952.0), (52.0, 948.0), (51.0, 949.0)],
        [(0.5, 0.5), (0.7, 1.5)],  # priors below 1: the Monte-Carlo fallback
        [(0.5, 2.5), (1.0, 5.0), (2.0, 10.0)],  # fallback with three coinciding atoms
    ],
)
def test_optimistic_probability_best_agrees_with_monte_carlo(
    params: list[tuple[float, float]],
) -> None:
    exact = beta_probability_best(params, optimistic=True)
    draws = 20_000
    reference = _optimistic_monte_carlo(params, draws)
    assert sum(exact) == pytest.approx(1.0)
    fallback = any(a < 1 or b < 1 for a, b in params)  # 1,000 draws of its own
    noise = math.sqrt(0.25 / draws) + (math.sqrt(0.25 / 1000) if fallback else 0.0)
    for p, r in zip(exact, reference, strict=True):
        assert p == pytest.approx(r, abs=4 * noise + 1e-3)


def test_optimistic_probability_best_cases() -> None:
    # symmetric arms share equally (their atoms tie and are split evenly)
    assert beta_probability_best([(3.0, 9.0)] * 3, optimistic=True) == pytest.approx([1 / 3] * 3)
    # an untried arm's mean 0.5 beats any sample of an arm that is surely near 0.1
    assert beta_probability_best([(101.0, 901.0), (1.0, 1.0)], optimistic=True) == [0.0, 1.0]
    # deterministic and memoised per flavour
    plain = beta_probability_best([(2.0, 5.0), (3.0, 4.0)])
    optimistic = beta_probability_best([(2.0, 5.0), (3.0, 4.0)], optimistic=True)
    assert optimistic == beta_probability_best([(2.0, 5.0), (3.0, 4.0)], optimistic=True)
    assert optimistic[1] > plain[1]
    # exact value of P(Y_b > Y_a) for Beta(2, 5) vs Beta(3, 4) (scipy quad, 1e-10)
    assert optimistic[1] == pytest.approx(0.865398, abs=2e-3)
    assert beta_probability_best([], optimistic=True) == []
    assert beta_probability_best([(0.5, 0.5)], optimistic=True) == [1.0]


finite_counts = st.tuples(st.floats(1.0, 300.0), st.floats(1.0, 300.0))


@given(params=st.lists(finite_counts, min_size=1, max_size=6))
@settings(max_examples=60, deadline=None)
def test_optimistic_probability_best_is_a_distribution(params: list[tuple[float, float]]) -> None:
    p = beta_probability_best(params, optimistic=True)
    assert len(p) == len(params)
    assert all(0.0 <= x <= 1.0 for x in p)
    assert sum(p) == pytest.approx(1.0, abs=1e-9)
    # relabelling the arms relabels the answer
    shuffled = list(reversed(params))
    assert beta_probability_best(shuffled, optimistic=True) == pytest.approx(
        list(reversed(p)), abs=1e-9
    )


@given(params=st.lists(finite_counts, min_size=2, max_size=5))
@settings(max_examples=60, deadline=None)
def test_optimistic_sampling_favours_a_unique_leader(params: list[tuple[float, float]]) -> None:
    """max(θ, μ) ≥ θ for the leader, while a rival's Y beats it only if its θ does: so a unique
    leader (highest posterior mean) wins at least as often as under classic Thompson sampling."""
    means = [a / (a + b) for a, b in params]
    ranked = sorted(means, reverse=True)
    optimistic = beta_probability_best(params, optimistic=True)
    classic = beta_probability_best(params)
    if ranked[0] - ranked[1] > 1e-9:
        leader = means.index(ranked[0])
        assert optimistic[leader] >= classic[leader] - 5e-3  # quadrature tolerance


def test_beta_probability_best_edge_cases() -> None:
    assert beta_probability_best([]) == []
    assert beta_probability_best([(3.0, 4.0)]) == [1.0]
    # hopeless arms are pruned without integrating
    assert beta_probability_best([(1000.0, 10.0), (10.0, 1000.0)]) == [1.0, 0.0]
    # priors below 1 have singular densities: a fixed-seed Monte-Carlo is used instead
    jeffreys = beta_probability_best([(0.5, 0.5), (0.5, 10.5)])
    assert jeffreys == beta_probability_best([(0.5, 0.5), (0.5, 10.5)])
    assert jeffreys[0] > 0.8


def test_sampled_probability_best() -> None:
    rng = random.Random(1)
    assert sampled_probability_best([], rng) == []
    assert sampled_probability_best([lambda r: r.random()], rng) == [1.0]
    fixed = [lambda r: 1.0, lambda r: 2.0]
    assert sampled_probability_best(fixed, rng, samples=10) == [0.0, 1.0]
    # pruning by means/sds short-cuts to one arm
    assert sampled_probability_best(fixed, rng, 10, means=[0.0, 100.0], sds=[1.0, 1.0]) == [
        0.0,
        1.0,
    ]
    half = sampled_probability_best(
        [lambda r: r.gauss(0, 1), lambda r: r.gauss(0, 1)], rng, 4000, [0.0, 0.0], [1.0, 1.0]
    )
    assert half[0] == pytest.approx(0.5, abs=0.05)


def test_arm_statistics_to_json() -> None:
    row = ArmStatistics("a", 3, 1, 1, 0, 1.0, 0.5, 0.5, 0.1, 0.9, 0.4, 0.5)
    assert row.to_json()["arm"] == "a" and row.to_json()["weight"] == 0.5


def test_feedback_mapping() -> None:
    assert observation("success") == observation("success", 0.0)
    assert observation("success").reward == 1.0 and observation("success").success
    assert observation("success", 4.5).reward == 4.5
    assert observation("failure").reward == 0.0 and not observation("failure").success
    assert observation("failure", 2.0).reward == -2.0
    assert observation("failure", -2.0).reward == -2.0
    err = observation("error", 1.0)
    assert err.error and not err.success and err.reward == -1.0
    with pytest.raises(ValueError, match="unknown event type 'evaluation'"):
        observation("evaluation")
