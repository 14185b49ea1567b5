"""Contextual bandits: the feature-hashing specification, the linear models and their JSON."""

from __future__ import annotations

import hashlib
import math
import random
import statistics
from typing import Any

import numpy as np
import pytest

from togglr.bandits import create_state, load_state
from togglr.bandits.contextual.features import hash_context, slot, tokens
from togglr.bandits.contextual.linear import ArmModel, LinearBandit
from togglr.bandits.contextual.policies import unit_normal


def linear(slug: str, arms: list[str], **settings: Any) -> LinearBandit:
    state = create_state(slug, settings, arms)
    assert isinstance(state, LinearBandit)
    return state


def test_tokens_follow_the_specification() -> None:
    context = {
        "country": "DE",
        "age": 30,
        "score": 0.5,
        "beta": True,
        "legacy": False,
        "tags": ["a", 2, 2.0, True, None, {"x": 1}],
        "nothing": None,
        "nested": {"a": 1},
        "bad": math.nan,
    }
    assert list(tokens(context)) == [
        ("age", 30.0),
        ("beta=true", 1.0),
        ("country=DE", 1.0),
        ("legacy=false", 1.0),
        ("score", 0.5),
        ("tags=a", 1.0),
        ("tags=2", 1.0),
        ("tags=2", 1.0),
        ("tags=true", 1.0),
    ]


def test_slot_is_the_specified_hash() -> None:
    for token in ("country=DE", "country=US", "age", "beta=true", "ünïcode=✓"):
        h = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big")
        assert slot(token, 32) == (1 + (h >> 1) % 31, -1.0 if h & 1 else 1.0)
    signs = {slot(f"user={i}", 32)[1] for i in range(50)}
    assert signs == {1.0, -1.0}


def test_hash_context_builds_a_sparse_vector_with_bias() -> None:
    assert hash_context(None, 32) == {0: 1.0}
    assert hash_context({}, 32) == {0: 1.0}
    x = hash_context({"age": 2.0, "country": "US"}, 32)
    assert x[0] == 1.0 and len(x) == 3
    index, sign = slot("age", 32)
    assert x[index] == 2.0 * sign
    # with two buckets every token collides in slot 1: their signed values add up
    y = hash_context({"a": 1.0, "b": 1.0, "c": 1.0}, 2)
    assert set(y) == {0, 1}
    assert y[1] == sum(slot(t, 2)[1] for t in ("a", "b", "c"))


def test_unit_normal_is_deterministic_and_standard_normal() -> None:
    assert unit_normal(0.25, 3) == unit_normal(0.25, 3)
    assert unit_normal(0.25, 3) != unit_normal(0.25, 4)
    draws = [unit_normal(i / 5000, 0) for i in range(5000)]
    assert statistics.fmean(draws) == pytest.approx(0.0, abs=0.06)
    assert statistics.pstdev(draws) == pytest.approx(1.0, abs=0.06)


def test_linear_model_learns_a_and_b() -> None:
    state = linear("lin_ucb", ["a", "b"], feature_dim=8)
    rng = random.Random(1)
    assert state.record("a", 2.0, True, {"x": 1.0}, rng)
    model = state.to_json()["models"]["a"]
    a = np.array(model["a"]).reshape(8, 8)
    idx, sign = slot("x", 8)
    assert a[0, 0] == 1.0 and a[idx, idx] == 1.0 and a[0, idx] == sign
    assert model["b"][0] == 2.0 and model["b"][idx] == 2.0 * sign
    assert state.record("nope", 1.0, True, {}, rng) is False
    assert state.record(None, 1.0, True, {}, rng) is False
    with pytest.raises(ValueError, match="reward"):
        state.record("a", math.inf, True, {}, rng)


def test_lin_ucb_prefers_uncertain_arms_then_the_best() -> None:
    state = linear("lin_ucb", ["a", "b"], alpha=1.0)
    rng = random.Random(1)
    for _ in range(20):
        state.record("a", 0.2, None, {}, rng)
    state.refresh(rng)
    assert state.weights() == {"a": 0.0, "b": 1.0}  # b: mean 0 but a big bonus
    for _ in range(200):
        state.record("b", 0.0, None, {}, rng)
    state.refresh(rng)
    assert state.weights() == {"a": 1.0, "b": 0.0}


def test_contextual_thompson_floor_and_sticky_draws() -> None:
    state = linear("contextual_thompson", ["a", "b", "c"], min_share=0.1)
    rng = random.Random(1)
    # the first 3 x 0.1 of the unit line is the exploration floor, one slice per arm
    assert [state.choose({}, u, rng) for u in (0.05, 0.15, 0.25)] == ["a", "b", "c"]
    picks = {state.choose({"k": "v"}, 0.31 + i / 100, rng) for i in range(60)}
    assert picks <= {"a", "b", "c"} and len(picks) > 1  # untrained: the draws spread users
    assert sum(state.weights().values()) == pytest.approx(1.0)
    assert all(w >= 0.1 - 1e-12 for w in state.weights().values())


def test_contextual_epsilon_weights() -> None:
    state = linear("contextual_epsilon", ["a", "b"], epsilon=0.2)
    rng = random.Random(1)
    state.record("b", 1.0, True, {}, rng)
    state.refresh(rng)
    assert state.weights() == pytest.approx({"a": 0.1, "b": 0.9})


def test_empty_arms_and_reconciliation() -> None:
    state = linear("lin_ucb", [])
    rng = random.Random(1)
    assert state.choose({}, 0.5, rng) is None
    assert state.weights() == {} and state.statistics(rng) == []
    state.set_arms(["a", "b"], rng)
    state.record("a", 1.0, True, {}, rng)
    state.set_arms(["a", "c"], rng)
    assert state.arms() == ("a", "c")
    assert state.statistics(rng)[0].successes == 1
    assert set(state.take_delta()["arms"]) == {"a"}


def test_statistics_and_summary() -> None:
    state = linear("contextual_epsilon", ["a", "b"])
    rng = random.Random(1)
    state.choose({}, 0.9, rng)
    for _ in range(30):
        state.record("a", 1.0, True, {}, rng)
        state.record("b", 0.0, False, {}, rng, error=True)
    rows = {r.arm: r for r in state.statistics(rng)}
    assert rows["a"].probability_best == 1.0 and rows["b"].errors == 30
    assert rows["a"].rate == 1.0 and rows["b"].mean_reward == 0.0
    summary = state.summary()
    assert summary == {"evaluations": 1, "observations": 60, "feature_dim": 32}


def test_changing_feature_dim_resets_models_but_keeps_counts() -> None:
    state = linear("lin_ucb", ["a"], feature_dim=8)
    rng = random.Random(1)
    state.record("a", 1.0, True, {"x": 1}, rng)
    state.configure({"feature_dim": 16}, rng)
    data = state.to_json()
    assert len(data["models"]["a"]["a"]) == 256 and not any(data["models"]["a"]["a"])
    assert data["models"]["a"]["counts"]["successes"] == 1
    assert data["pending"]["a"]["counts"]["successes"] == 1
    state.configure({"feature_dim": 16, "alpha": 2.0}, rng)  # same dimension: models kept
    with pytest.raises(ValueError, match="feature_dim"):
        state.merge_delta(linear("lin_ucb", ["a"], feature_dim=8).take_delta())


def test_merge_rejects_bad_deltas_and_skips_unknown_arms() -> None:
    state = linear("lin_ucb", ["a"])
    other = linear("lin_ucb", ["a", "b"])
    rng = random.Random(1)
    other.record("b", 1.0, True, {}, rng)
    state.merge_delta(other.take_delta())
    assert state.statistics(rng)[0].successes == 0
    with pytest.raises(ValueError, match="delta arms"):
        state.merge_delta({"slug": "lin_ucb", "feature_dim": 32, "arms": []})


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(arms=[1]), "arms must be a list"),
        (lambda d: d.update(arms=["a", "a"]), "unique"),
        (lambda d: d.update(models=[]), "must be objects"),
        (lambda d: d["models"].pop("a"), "cover exactly"),
        (lambda d: d["models"]["a"].update(a=[0.0]), "'a' must hold 64"),
        (lambda d: d["models"]["a"].update(b=[0.0]), "'b' must hold 8"),
        (lambda d: d["models"].update(a=None), "must be an object"),
        (lambda d: d["models"]["a"]["a"].__setitem__(0, "x"), "must be a finite number"),
    ],
)
def test_malformed_json_is_rejected(mutate: Any, message: str) -> None:
    data = linear("lin_ucb", ["a"], feature_dim=8).to_json()
    mutate(data)
    with pytest.raises(ValueError, match=message):
        load_state(data)


def test_arm_model_json_round_trip() -> None:
    model = ArmModel(4)
    model.learn([0, 2], np.array([1.0, -2.0]), 0.5)
    again = ArmModel.from_json(model.to_json(), 4)
    assert np.array_equal(again.a, model.a) and np.array_equal(again.b, model.b)
