"""Optimizers: candidates and crediting, each algorithm's step, versioned merging, JSON."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from togglr.bandits import create_state, format_value, load_state
from togglr.bandits.optimizers import (
    BayesOpt,
    CrossEntropy,
    HillClimb,
    Optimizer,
    PidController,
    SimulatedAnnealing,
)
from togglr.bandits.optimizers.bayes_opt import Gp, cholesky, expected_improvement


def make(slug: str, **settings: Any) -> Optimizer:
    state = create_state(slug, settings)
    assert isinstance(state, Optimizer)
    return state


def fill(state: Optimizer, reward: Any, rng: random.Random | None = None) -> None:
    """Give every candidate a full batch; reward is a function of the value."""
    rng = rng or random.Random(0)
    for value in list(state._candidates):
        for _ in range(int(state.settings["batch_size"])):
            state.record(format_value(value), reward(value), None, None, rng)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.05, "1.05"),
        (-0.1, "-0.1"),
        (30.0, "30"),
        (1e-7, "0.0000001"),
        (1e21, "1000000000000000000000"),
        (1.5e-7, "0.00000015"),
    ],
)
def test_format_value(value: float, text: str) -> None:
    assert format_value(value) == text
    assert float(format_value(value)) == value


def test_candidates_are_served_evenly_and_credited_by_value() -> None:
    state = make("hill_climb", step=0.5, batch_size=2)
    rng = random.Random(1)
    assert state.arms() == ("0", "0.5")
    assert state.weights() == {"0": 0.5, "0.5": 0.5}
    assert [state.choose({}, u, rng) for u in (0.0, 0.49, 0.5, 0.99)] == [0.0, 0.0, 0.5, 0.5]
    assert state.record("0.5", 1.0, True, None, rng)
    assert state.record("0.50000000001", 1.0, True, None, rng)  # the same number as text
    assert not state.record(None, 1.0, True, None, rng)  # two candidates: ambiguous
    assert not state.record("blue", 1.0, True, None, rng)
    assert not state.record("7", 1.0, True, None, rng)  # no longer (or never) served
    rows = {r.arm: r for r in state.statistics(rng, samples=100)}
    assert rows["0.5"].successes == 2 and rows["0.5"].evaluations == 2
    assert rows["0"].rate is None and rows["0"].weight == 0.5
    assert state.summary()["observations"] == 5  # every event counts in the totals
    with pytest.raises(ValueError, match="reward"):
        state.record("0", math.nan, True, None, rng)


def test_single_candidate_accepts_events_without_a_value() -> None:
    state = make("pid_controller")
    assert state.record(None, 1.0, None, None, random.Random(1))


def test_hill_climb_moves_flips_and_shrinks() -> None:
    state = make("hill_climb", step=1.0, batch_size=1)
    assert isinstance(state, HillClimb)
    rng = random.Random(1)
    fill(state, lambda x: -abs(x - 2.0))
    state.refresh(rng)
    assert state.current_value() == 1.0 and state._candidates == [1.0, 2.0]
    fill(state, lambda x: -abs(x - 2.0))
    state.refresh(rng)
    assert state.current_value() == 2.0
    fill(state, lambda x: -abs(x - 2.0))  # 3 is worse: turn round
    state.refresh(rng)
    assert state._candidates == [2.0, 1.0] and state.summary()["step_size"] == 1.0
    fill(state, lambda x: -abs(x - 2.0))  # 1 is worse too: halve the step
    state.refresh(rng)
    assert state._candidates == [2.0, 2.5] and state.summary()["step_size"] == 0.5
    assert state.summary()["best_value"] == 2.0 and state.summary()["best_reward"] == 0.0


def test_hill_climb_turns_at_bounds_and_can_be_boxed_in() -> None:
    state = make("hill_climb", min_value=0.0, max_value=1.0, step=0.5, direction=-1)
    assert state._candidates == [0.0, 0.5]
    boxed = make("hill_climb", min_value=0.0, max_value=0.4, decimals=0, batch_size=1)
    assert boxed._candidates == [0.0]
    fill(boxed, lambda x: 1.0)
    boxed.refresh(random.Random(1))
    assert boxed._candidates == [0.0]


def test_annealing_accepts_worse_moves_while_hot() -> None:
    hot = make("simulated_annealing", temp=1e6, cooling=0.5, step_scale=1.0, batch_size=1)
    assert isinstance(hot, SimulatedAnnealing)
    fill(hot, lambda x: -x)  # the probe (1.0) is worse
    hot.refresh(random.Random(1))
    assert hot.current_value() == 1.0  # accepted anyway
    assert hot.summary()["temperature"] == 5e5
    cold = make("simulated_annealing", temp=0.0, step_scale=1.0, batch_size=1)
    fill(cold, lambda x: -x)
    cold.refresh(random.Random(1))
    assert cold.current_value() == 0.0  # frozen: only improvements


def test_annealing_neighbours_respect_bounds() -> None:
    state = make("simulated_annealing", min_value=0.0, max_value=0.4, decimals=0, batch_size=1)
    assert state._candidates == [0.0]
    fill(state, lambda x: 1.0)
    state.refresh(random.Random(1))
    assert state._candidates == [0.0]
    edge = make("simulated_annealing", min_value=0.0, max_value=1.0, initial_value=1.0)
    assert edge._candidates == [1.0, 0.9]


def test_pid_controller_steps_and_anti_windup() -> None:
    state = make("pid_controller", target=1.0, kp=1.0, ki=0.5, kd=0.25, batch_size=1)
    assert isinstance(state, PidController)
    rng = random.Random(1)
    state.record(None, 0.0, None, None, rng)  # error 1
    state.refresh(rng)
    assert state.current_value() == pytest.approx(1.0 + 0.5 * 1.0)
    state.record(None, 0.5, None, None, rng)  # error 0.5, integral 1.5, derivative -0.5
    state.refresh(rng)
    assert state.current_value() == pytest.approx(0.5 + 0.75 - 0.125)
    pinned = make("pid_controller", target=100.0, min_value=-1.0, max_value=1.0, batch_size=1)
    for _ in range(5):
        pinned.record(None, 0.0, None, None, rng)
        pinned.refresh(rng)
    assert pinned.current_value() == 1.0
    assert pinned.summary()["integral"] == 0.0  # saturated: no wind-up


def test_cem_refits_to_the_elites() -> None:
    state = make("cem", population_size=5, elite_fraction=0.4, initial_std=1.0, batch_size=1)
    assert isinstance(state, CrossEntropy)
    assert len(state._candidates) == 5 and state._candidates[0] == 0.0
    fill(state, lambda x: -((x - 3.0) ** 2))
    elites = sorted(state._candidates, key=lambda x: abs(x - 3.0))[:2]
    state.refresh(random.Random(1))
    assert state.current_value() == pytest.approx(sum(elites) / 2, abs=1e-4)
    assert state.summary()["std"] == pytest.approx(abs(elites[0] - elites[1]) / 2)
    single = make("cem", population_size=4, elite_fraction=0.1, min_std=0.0, batch_size=1)
    fill(single, lambda x: x)
    single.refresh(random.Random(1))
    assert single.summary()["std"] == 0.5  # one elite: the spread halves


def test_bayes_opt_merges_repeated_points_and_explores() -> None:
    state = make("bayes_opt", batch_size=2, grid_size=11)
    assert isinstance(state, BayesOpt)
    assert state.current_value() == 0.5  # no data yet
    rng = random.Random(1)
    for _ in range(6):
        fill(state, lambda x: -((x - 0.8) ** 2))
        state.refresh(rng)
    points = state.summary()["points"]
    assert load_state(state.to_json()).to_json() == state.to_json()
    assert len({p[0] for p in points}) == len(points)
    assert sum(p[1] for p in points) == 12
    assert abs(state.current_value() - 0.8) <= 0.3
    # a repeated value adds to its point
    state._x = points[0][0]
    state._set_candidates([state._x])
    before = points[0][1]
    fill(state, lambda x: 0.0)
    state.refresh(rng)
    assert state.summary()["points"][0][1] == before + 2


def test_bayes_opt_falls_back_to_a_random_point_when_nothing_improves() -> None:
    state = make("bayes_opt", batch_size=1, grid_size=3, xi=10.0)
    rng = random.Random(2)
    fill(state, lambda x: 1.0)
    state.refresh(rng)
    assert state._candidates[0] in (0.0, 0.5, 1.0)


def test_gp_helpers() -> None:
    low = cholesky([[4.0, 2.0], [2.0, 3.0]])
    assert low == [[2.0, 0.0], [1.0, pytest.approx(math.sqrt(2.0))]]
    gp = Gp([0.0, 1.0], [1.0, -1.0], [1e-6, 1e-6], 0.5)
    assert gp.predict(0.0)[0] == pytest.approx(1.0, abs=1e-3)
    assert gp.predict(0.0)[1] < 0.01 < gp.predict(0.5)[1]
    assert expected_improvement(1.0, 1.0, 0.0, 0.0) > expected_improvement(0.0, 1.0, 0.0, 0.0) > 0


def test_merge_keeps_the_newest_epoch_and_drops_stale_batches() -> None:
    rng = random.Random(1)
    shared = make("hill_climb", batch_size=1, step=1.0)
    node = load_state(shared.to_json())
    assert isinstance(node, Optimizer)
    stale = load_state(shared.to_json())
    assert isinstance(stale, Optimizer)
    # the node steps locally: its delta carries the newer version
    fill(node, lambda x: x)
    node.refresh(rng)
    node.record(format_value(node._candidates[1]), 5.0, None, None, rng)
    shared.merge_delta(node.take_delta())
    assert shared._candidates == node._candidates and shared._epoch == 1
    assert sum(b.successes for b in shared._batch) == 1  # only the new epoch's batch
    assert shared.summary()["observations"] == 3  # totals keep every event
    # a node still on epoch 0: its totals count, its batch is dropped
    stale.record("0", 1.0, None, None, rng)
    shared.merge_delta(stale.take_delta())
    assert shared._epoch == 1 and shared.summary()["observations"] == 4
    assert sum(b.successes for b in shared._batch) == 1
    # equal versions add up
    same = load_state(shared.to_json())
    assert isinstance(same, Optimizer)
    same.take_delta()
    same.record(format_value(same._candidates[0]), 1.0, None, None, rng)
    shared.merge_delta(same.take_delta())
    assert sum(b.successes for b in shared._batch) == 2


def test_concurrent_steps_converge_to_one_version() -> None:
    base = make("simulated_annealing", batch_size=1, step_scale=1.0)
    one, two = load_state(base.to_json()), load_state(base.to_json())
    assert isinstance(one, Optimizer) and isinstance(two, Optimizer)
    for node, seed in ((one, 1), (two, 2)):
        fill(node, lambda x: x)
        node.refresh(random.Random(seed))
    d1, d2 = one.take_delta(), two.take_delta()
    a, b = load_state(base.to_json()), load_state(base.to_json())
    a.merge_delta(d1)
    a.merge_delta(d2)
    b.merge_delta(d2)
    b.merge_delta(d1)
    assert a.to_json() == b.to_json()


def test_concurrent_steps_to_the_same_values_converge_on_the_variables() -> None:
    """Two nodes step to the same candidates with different variables (best reward): the
    larger core wins whatever the merge order, and both batches count."""
    base = make("hill_climb", batch_size=1, step=0.05, min_value=-5.0, max_value=5.0)
    one, two = load_state(base.to_json()), load_state(base.to_json())
    assert isinstance(one, Optimizer) and isinstance(two, Optimizer)
    fill(one, lambda x: 0.0)  # a miss on each node, with different rewards
    fill(two, lambda x: 1.0)
    for node in (one, two):
        node.refresh(random.Random(1))
        node.record(format_value(node._candidates[0]), 1.0, None, None, random.Random(1))
    assert one._version() == two._version() and one._best_reward != two._best_reward
    d1, d2 = one.take_delta(), two.take_delta()
    a, b = load_state(base.to_json()), load_state(base.to_json())
    a.merge_delta(d1)
    a.merge_delta(d2)
    b.merge_delta(d2)
    b.merge_delta(d1)
    assert a.to_json() == b.to_json()
    assert isinstance(a, Optimizer) and sum(x.successes for x in a._batch) == 2


def test_rounding_never_crosses_a_bound() -> None:
    # 1.84375 rounds to 1.8438 at 4 decimals, above the bound: the multiple inside is served
    state = make("hill_climb", initial_value=0.0, min_value=0.0, max_value=1.84375, step=2.0)
    assert state._candidates == [0.0, 1.8437]
    assert make(
        "pid_controller", initial_value=-0.33335, min_value=-0.33335, max_value=1.0
    )._candidates == [-0.3333]
    # no multiple of the resolution inside the bounds: the bounds win over the rounding
    tight = make("pid_controller", initial_value=0.00001, min_value=0.00001, max_value=0.00002)
    assert tight._candidates == [0.00001]


def test_gp_kernel_survives_a_vanishing_length_scale() -> None:
    gp = Gp([0.0, 1.0], [1.0, -1.0], [1e-3, 1e-3], 0.0)
    assert gp.kernel(0.5, 0.5) == 1.0 and gp.kernel(0.0, 1.0) == 0.0
    assert Gp([0.0], [0.0], [1e-3], 5e-324).kernel(0.0, 1e300) == 0.0
    state = make("bayes_opt", length_scale=5e-324, batch_size=1)
    fill(state, lambda x: x)
    state.refresh(random.Random(1))
    assert 0.0 <= state._candidates[0] <= 1.0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(core=[]), "core must be an object"),
        (lambda d: d["core"].update(candidates=[]), "non-empty list"),
        (lambda d: d["core"].update(vars=None), "vars must be an object"),
        (lambda d: d.update(batch=[]), "aligned with the candidates"),
        (lambda d: d["core"]["vars"].update(direction=0), "direction"),
        (lambda d: d["core"].update(best_reward="x"), "best_reward"),
    ],
)
def test_malformed_json_is_rejected(mutate: Any, message: str) -> None:
    data = make("hill_climb").to_json()
    mutate(data)
    with pytest.raises(ValueError, match=message):
        load_state(data)


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("x", "points must be a list"),
        ([[0.5, 1.0]], r"\[x, n, sum, sum_sq\]"),
        ([[0.5, 0, 0.0, 0.0]], "at least one observation"),
        ([[0.5, -1, 0.0, 0.0]], "non-negative"),
    ],
)
def test_bayes_points_are_validated(points: Any, message: str) -> None:
    data = make("bayes_opt").to_json()
    data["core"]["vars"]["points"] = points
    with pytest.raises(ValueError, match=message):
        load_state(data)


def test_bad_optimizer_deltas_are_rejected() -> None:
    state = make("hill_climb")
    good = make("hill_climb").take_delta()
    for key, value, message in (
        ("batch", None, "batch must be a list"),
        ("core", None, "core must be an object"),
        ("batch", [], "does not match the candidates"),
    ):
        with pytest.raises(ValueError, match=message):
            state.merge_delta({**good, key: value})
    newer = {**good, "core": {**good["core"], "epoch": 5}, "tag": "nonsense"}
    with pytest.raises(ValueError, match="tag does not match"):
        state.merge_delta(newer)


def test_configure_reclamps_and_starts_a_new_epoch() -> None:
    state = make("hill_climb", step=2.0)
    rng = random.Random(1)
    state.configure({"step": 2.0, "min_value": -1.0, "max_value": 1.0}, rng)
    assert state._candidates == [0.0, 1.0] and state._epoch == 1
    state.configure({"step": 2.0, "min_value": -1.0, "max_value": 1.0}, rng)
    assert state._epoch == 1  # nothing changed
    for slug in ("simulated_annealing", "pid_controller", "cem", "bayes_opt"):
        other = make(slug, initial_value=0.5, max_value=1.0)
        other.configure({"initial_value": 0.0, "max_value": 0.2}, rng)
        assert other.current_value() <= 0.2
        assert all(c <= 0.2 for c in other._candidates)


def test_optimizers_ignore_variants() -> None:
    state = make("cem")
    before = state.to_json()
    state.set_arms(["a", "b"], random.Random(1))
    assert state.to_json() == before
