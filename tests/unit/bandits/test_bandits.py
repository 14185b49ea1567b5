"""Context-free bandits: allocation rules, decay, arm reconciliation, results, JSON validation."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from togglr.bandits import ALGORITHMS, create_state
from togglr.bandits.counting import ArmCounters, CountingBandit
from togglr.bandits.stats import beta_probability_best

BANDITS = [s for s, spec in ALGORITHMS.items() if spec.kind == "bandit"]


def counting(slug: str, arms: list[str], **settings: Any) -> CountingBandit:
    state = create_state(slug, settings, arms)
    assert isinstance(state, CountingBandit)
    return state


def feed(state: CountingBandit, arm: str, successes: int, failures: int) -> None:
    rng = random.Random(0)
    for _ in range(successes):
        state.record(arm, 1.0, True, {}, rng)
    for _ in range(failures):
        state.record(arm, 0.0, False, {}, rng)


def test_epsilon_greedy_weights() -> None:
    state = counting("epsilon-greedy", ["a", "b", "c", "d"], epsilon=0.2)
    rng = random.Random(1)
    state.refresh(rng)
    assert state.weights() == pytest.approx({"a": 0.25, "b": 0.25, "c": 0.25, "d": 0.25})
    feed(state, "a", 3, 7)
    feed(state, "b", 5, 5)
    feed(state, "c", 5, 5)
    feed(state, "d", 1, 9)
    # b and c tie for the best rate: one of them gets the greedy part, chosen by a rank that
    # is the same on every node and re-drawn whenever new data arrives
    winners = set()
    for _ in range(20):
        state.refresh(rng)
        w = state.weights()
        assert sorted(w.values()) == pytest.approx([0.05, 0.05, 0.05, 0.85])
        winners.add(max(w, key=w.__getitem__))
        state.record("d", 0.0, False, {}, rng)  # more data, same tie
    assert winners == {"b", "c"}


def test_untried_arms_are_explored_first() -> None:
    for slug in ("epsilon-greedy", "ucb"):
        state = (
            counting(slug, ["a", "b", "c"], epsilon=0.0)
            if slug != "ucb"
            else counting(slug, ["a", "b", "c"])
        )
        feed(state, "a", 9, 1)
        state.refresh(random.Random(1))
        assert state.weights()["a"] == 0.0
        assert state.weights()["b"] == pytest.approx(0.5)


def test_ucb_scores_match_ucb1() -> None:
    state = counting("ucb", ["a", "b"], confidence=1.0)
    feed(state, "a", 6, 4)  # 0.6 + sqrt(ln 20 / 10) = 1.147
    feed(state, "b", 1, 9)  # 0.1 + sqrt(ln 20 / 10) = 0.647
    state.refresh(random.Random(1))
    assert state.weights() == {"a": 1.0, "b": 0.0}
    state.configure({"confidence": 1.0, "min_share": 0.1}, random.Random(1))
    assert state.weights() == pytest.approx({"a": 0.9, "b": 0.1})


def test_thompson_weights_are_probability_of_best_and_deterministic() -> None:
    one = counting("thompson-sampling", ["a", "b"], optimistic=False)
    two = counting("thompson-sampling", ["a", "b"], optimistic=False)
    for s in (one, two):
        feed(s, "a", 10, 90)
        feed(s, "b", 14, 86)
        s.refresh(random.Random(len(s.arms())))
    assert one.weights() == two.weights()  # the rng does not matter: no churn, same on every node
    assert 0.75 < one.weights()["b"] < 0.9
    prior = counting("thompson-sampling", ["a", "b"], prior_alpha=30.0, prior_beta=70.0)
    feed(prior, "a", 10, 90)
    prior.refresh(random.Random(1))
    assert prior.weights()["b"] > 0.9  # b still has the optimistic prior mean 0.3


def test_optimistic_thompson_is_the_default_and_favours_the_leader() -> None:
    assert create_state("thompson-sampling").settings["optimistic"] is True
    classic = counting("thompson-sampling", ["a", "b"], optimistic=False)
    optimistic = counting("thompson-sampling", ["a", "b"])
    for s in (classic, optimistic):
        feed(s, "a", 10, 90)
        feed(s, "b", 14, 86)
        s.refresh(random.Random(1))
    # the leader's sample is never below its mean, so it wins more often than under classic TS
    assert optimistic.weights()["b"] > classic.weights()["b"]
    assert optimistic.weights()["b"] == pytest.approx(
        beta_probability_best([(11.0, 91.0), (15.0, 87.0)], optimistic=True)[1]
    )
    # the results page keeps reporting the plain posterior probability of being best
    rows = {r.arm: r for r in optimistic.statistics(random.Random(1))}
    assert rows["b"].probability_best == pytest.approx(classic.weights()["b"])
    assert rows["b"].weight == pytest.approx(optimistic.weights()["b"])
    # switching it off takes effect at once (configure refreshes)
    optimistic.configure({"optimistic": False}, random.Random(1))
    assert optimistic.weights() == classic.weights()


def test_gaussian_thompson_uses_the_reward() -> None:
    state = counting("gaussian-thompson", ["a", "b"])
    rng = random.Random(1)
    for i in range(40):
        state.record("a", 1.0 + (i % 3) * 0.1, None, {}, rng)
        state.record("b", 2.0 + (i % 3) * 0.1, None, {}, rng)
    state.refresh(rng)
    assert state.weights()["b"] == 1.0  # pruned: a cannot be best
    few = counting("gaussian-thompson", ["a", "b"])
    few.record("a", 1.0, None, {}, rng)
    few.record("b", 1.2, None, {}, rng)
    few.refresh(rng)
    assert 0.3 < few.weights()["b"] < 0.8  # few observations: still uncertain
    rows = {r.arm: r for r in state.statistics(rng, samples=500)}
    assert rows["b"].mean_reward == pytest.approx(2.0975)
    assert rows["b"].probability_best == 1.0


def test_decay_forgets_old_feedback_and_rebases() -> None:
    state = counting("thompson-sampling", ["a", "b"], decay_half_life=10.0)
    rng = random.Random(1)
    for t in range(50):
        state.record("a", 1.0, True, {}, rng, now=float(t))
    n = state.effective("a")[0]
    assert n == pytest.approx(sum(2 ** (-(49 - t) / 10) for t in range(50)))
    # 1000 s later everything has faded; the base moved forward (no overflow)
    state.record("b", 1.0, True, {}, rng, now=1000.0)
    assert state.effective("a")[0] < 1e-20
    assert state.to_json()["base"] == 1000.0
    assert state.effective("b")[0] == pytest.approx(1.0)
    # raw totals are kept for reporting
    rows = {r.arm: r for r in state.statistics(rng)}
    assert rows["a"].successes == 50
    # turning decay off keeps the sums "as of now"
    state.configure({}, rng)
    assert state.effective("b")[0] == pytest.approx(1.0)


def test_merging_a_newer_delta_moves_the_base() -> None:
    old = counting("ucb", ["a"], decay_half_life=1.0)
    new = counting("ucb", ["a"], decay_half_life=1.0)
    rng = random.Random(1)
    old.record("a", 1.0, True, {}, rng, now=0.0)
    new.record("a", 1.0, True, {}, rng, now=100.0)
    old.merge_delta(new.take_delta())
    assert old.to_json()["base"] == 100.0
    assert old.effective("a")[0] == pytest.approx(1.0)


def test_unknown_arms_and_bad_rewards() -> None:
    state = counting("epsilon-greedy", ["a"])
    rng = random.Random(1)
    assert state.record("zzz", 1.0, True, {}, rng) is False
    assert state.record(None, 1.0, True, {}, rng) is False
    assert state.arms() == ("a",)  # unknown variant keys never become arms
    for bad in (math.nan, math.inf, True):
        with pytest.raises(ValueError, match="reward"):
            state.record("a", bad, True, {}, rng)
    assert state.record("a", 2.0, None, {}, rng) is True  # success derived from reward > 0
    assert state.statistics(rng)[0].successes == 1


def test_no_arms_means_no_choice() -> None:
    state = counting("thompson-sampling", [])
    rng = random.Random(1)
    state.refresh(rng)
    assert state.choose({}, 0.5, rng) is None
    assert state.weights() == {}
    assert state.summary()["leader"] is None
    assert state.statistics(rng) == []


def test_set_arms_reconciles_with_variants() -> None:
    state = counting("epsilon-greedy", ["a", "b"])
    rng = random.Random(1)
    feed(state, "a", 5, 5)
    feed(state, "b", 1, 1)
    state.set_arms(["a", "c"], rng)
    assert state.arms() == ("a", "c")
    rows = {r.arm: r for r in state.statistics(rng)}
    assert rows["a"].successes == 5 and rows["c"].evaluations == 0
    delta = state.take_delta()
    assert set(delta["arms"]) == {"a"}  # pending counts of removed arms are dropped


def test_statistics_and_summary() -> None:
    state = counting("epsilon-greedy", ["a", "b"])
    rng = random.Random(1)
    for _ in range(4):
        state.choose({}, 0.1, rng)
    state.record("a", 1.0, True, {}, rng)
    state.record("a", 0.0, False, {}, rng, error=True)
    rows = {r.arm: r for r in state.statistics(rng)}
    a = rows["a"]
    assert (a.evaluations, a.successes, a.failures, a.errors) == (4, 1, 1, 1)
    assert a.rate == 0.5 and a.mean_reward == 0.5 and a.rate_low < 0.5 < a.rate_high
    assert rows["b"].rate is None and rows["b"].mean_reward is None
    assert state.summary() == {"evaluations": 4, "observations": 2, "leader": "a"}


def test_merge_ignores_unknown_arms_and_rejects_bad_deltas() -> None:
    state = counting("ucb", ["a"])
    other = counting("ucb", ["a", "b"])
    rng = random.Random(1)
    other.record("b", 1.0, True, {}, rng)
    state.merge_delta(other.take_delta())
    assert state.statistics(rng)[0].successes == 0
    with pytest.raises(ValueError, match="cannot merge"):
        state.merge_delta(counting("epsilon-greedy", ["a"]).take_delta())
    with pytest.raises(ValueError, match="delta arms"):
        state.merge_delta({"slug": "ucb", "base": 0.0, "clock": 0.0, "arms": []})
    with pytest.raises(ValueError, match="delta base"):
        state.merge_delta({"slug": "ucb", "base": "x", "clock": 0.0, "arms": {}})


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format=2), "unsupported state format"),
        (lambda d: d.update(slug="ucb"), "not 'thompson-sampling'"),
        (lambda d: d.update(arms="a"), "arms must be a list"),
        (lambda d: d.update(arms=["a", "a"]), "unique"),
        (lambda d: d.update(counters=[]), "must be objects"),
        (lambda d: d["counters"].pop("a"), "cover exactly"),
        (lambda d: d.update(weights=[1.0]), "aligned with arms"),
        (lambda d: d["counters"]["a"].pop("pulls"), "miss 'pulls'"),
        (lambda d: d["counters"]["a"].update(pulls=-1), "non-negative integer"),
        (lambda d: d["counters"]["a"].update(reward_sum=None), "finite number"),
        (lambda d: d["counters"].update(a=3), "must be an object"),
        (lambda d: d.update(settings={"prior_alpha": -1}), "prior_alpha"),
    ],
)
def test_malformed_json_is_rejected(mutate: Any, message: str) -> None:
    state = counting("thompson-sampling", ["a", "b"])
    data = state.to_json()
    mutate(data)
    with pytest.raises(ValueError, match=message):
        type(state).from_json(data)


def test_state_must_be_an_object() -> None:
    with pytest.raises(ValueError, match="state must be an object"):
        CountingBandit.from_json([])  # type: ignore[arg-type]


def test_arm_counters_round_trip() -> None:
    c = ArmCounters()
    c.observe(True, 2.0, 1.5, False)
    assert ArmCounters.from_json(c.to_json()) == c


def test_epsilon_greedy_smooths_rates_unless_the_priors_are_zero() -> None:
    """One lucky success (1 of 1) must not beat 70 of 100 by default; with a = b = 0 it does."""

    def greedy(**settings: float) -> str:
        state = create_state("epsilon-greedy", {"epsilon": 0.2, **settings}, ["a", "b"])
        rng = random.Random(1)
        state.record("a", 1.0, True, {}, rng)
        for i in range(100):
            state.record("b", 1.0 if i < 70 else 0.0, i < 70, {}, rng)
        state.refresh(rng)
        weights = state.weights()
        return max(weights, key=weights.__getitem__)

    assert greedy() == "b"
    assert greedy(prior_alpha=0.0, prior_beta=0.0) == "a"
