"""Property tests: invariants that hold for every algorithm and any sequence of events."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from togglr.bandits import ALGORITHMS, AlgorithmState, create_state, format_value, load_state

ARMED = [s for s, spec in ALGORITHMS.items() if spec.kind != "optimizer"]
COUNTING = [s for s, spec in ALGORITHMS.items() if spec.kind == "bandit"]
OPTIMIZERS = [s for s, spec in ALGORITHMS.items() if spec.kind == "optimizer"]
CONTEXTS: list[dict[str, Any]] = [
    {},
    {"country": "US"},
    {"country": "DE", "age": 0.5},
    {"plan": "pro", "beta": True, "tags": ["a", "b"], "n": 3},
]

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

units = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)
choose_op = st.tuples(st.just("choose"), st.integers(0, 3), st.none() | units)
record_op = st.tuples(
    st.just("record"),
    st.integers(0, 5),  # arm index (modulo the arm count)
    st.booleans(),
    st.sampled_from([0.0, 1.0, 2.5, -1.0]),
    st.integers(0, 3),  # context
    st.integers(0, 30),  # seconds since the previous event
)
refresh_op = st.just(("refresh",))
scripts = st.lists(st.one_of(choose_op, record_op, refresh_op), max_size=40)


def armed_settings(slug: str, min_share: float, half_life: float) -> dict[str, float]:
    out = {"min_share": min_share}
    if "decay_half_life" in ALGORITHMS[slug].default_settings:
        out["decay_half_life"] = half_life
    return out


def play(state: AlgorithmState, script: list[tuple[Any, ...]], seed: int = 1) -> list[Any]:
    """Apply a script of operations; return what `choose` served."""
    rng = random.Random(seed)
    arms = state.arms()
    served: list[Any] = []
    now = 0.0
    for op in script:
        if op[0] == "choose":
            served.append(state.choose(CONTEXTS[op[1]], op[2], rng))
        elif op[0] == "record":
            _, i, ok, reward, c, dt = op
            now += dt
            arm: str | None = arms[i % len(arms)]
            if state.kind == "optimizer":  # optimizers are credited by the served value
                arm = format_value(served[-1]) if served else None
            state.record(arm, reward if reward else float(ok), ok, CONTEXTS[c], rng, now=now)
        else:
            state.refresh(rng, now=now)
    return served


@pytest.mark.parametrize("slug", ARMED)
@given(
    k=st.integers(1, 5),
    min_share=st.sampled_from([0.0, 0.01, 0.1, 0.3, 0.5]),
    half_life=st.sampled_from([0.0, 5.0, 100.0]),
    script=scripts,
)
@SETTINGS
def test_weights_sum_to_one_and_respect_the_floor(
    slug: str, k: int, min_share: float, half_life: float, script: list[tuple[Any, ...]]
) -> None:
    arms = [f"v{i}" for i in range(k)]
    state = create_state(slug, armed_settings(slug, min_share, half_life), arms)
    served = play(state, script)
    assert all(a in arms for a in served)  # choose always returns a known arm
    state.refresh(random.Random(2))
    weights = state.weights()
    assert sorted(weights) == arms
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-9)
    floor = min(min_share, 1.0 / k)
    assert all(w >= floor - 1e-9 for w in weights.values())
    for row in state.statistics(random.Random(3), samples=200):
        assert 0.0 <= row.probability_best <= 1.0
        assert 0.0 <= row.rate_low <= row.rate_high <= 1.0


@pytest.mark.parametrize("slug", OPTIMIZERS)
@given(script=scripts)
@SETTINGS
def test_optimizers_serve_values_within_bounds(slug: str, script: list[tuple[Any, ...]]) -> None:
    state = create_state(
        slug, {"min_value": -1.0, "max_value": 1.0, "initial_value": 0.0, "batch_size": 1}
    )
    for value in play(state, script):
        assert isinstance(value, float)
        assert -1.0 <= value <= 1.0
    assert sum(state.weights().values()) == pytest.approx(1.0)


@pytest.mark.parametrize("slug", list(ALGORITHMS))
@given(script=scripts)
@SETTINGS
def test_state_round_trips_through_json(slug: str, script: list[tuple[Any, ...]]) -> None:
    state = create_state(slug, {}, ["a", "b", "c"])
    play(state, script)
    data = state.to_json()
    text = json.dumps(data, allow_nan=False)  # strictly JSON-compatible
    again = load_state(json.loads(text))
    assert again.to_json() == data
    assert type(again) is type(state)
    delta = state.take_delta()
    json.dumps(delta, allow_nan=False)


@pytest.mark.parametrize("slug", list(ALGORITHMS))
@given(script=scripts, seed=st.integers(0, 2**32))
@SETTINGS
def test_same_seed_same_result(slug: str, script: list[tuple[Any, ...]], seed: int) -> None:
    one = create_state(slug, {}, ["a", "b", "c"])
    two = create_state(slug, {}, ["a", "b", "c"])
    assert play(one, script, seed) == play(two, script, seed)
    assert one.to_json() == two.to_json()


@pytest.mark.parametrize("slug", list(ALGORITHMS))
@given(script=scripts, probes=st.lists(units, min_size=1, max_size=8))
@SETTINGS
def test_same_unit_same_arm_between_refreshes(
    slug: str, script: list[tuple[Any, ...]], probes: list[float]
) -> None:
    state = create_state(slug, {"min_share": 0.05} if slug in ARMED else {}, ["a", "b", "c"])
    play(state, script)
    rng = random.Random(5)
    state.refresh(rng)
    before = [state.choose(CONTEXTS[i % 4], u, rng) for i, u in enumerate(probes)]
    # more feedback arrives, but no refresh: every user keeps their arm
    play(state, [op for op in script if op[0] != "refresh"], seed=9)
    after = [state.choose(CONTEXTS[i % 4], u, rng) for i, u in enumerate(probes)]
    assert before == after


def split_script(
    script: list[tuple[Any, ...]], owners: list[bool]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    a = [op for op, mine in zip(script, owners, strict=False) if mine]
    b = [op for op, mine in zip(script, owners, strict=False) if not mine]
    return a, b


def learned(state: AlgorithmState) -> dict[str, Any]:
    """The additive part of a state, comparable across decay bases."""
    data = state.to_json()
    if "models" in data:
        return {"models": data["models"]}
    out = {}
    for arm in state.arms():
        n, s, r, r2 = state.effective(arm)  # type: ignore[attr-defined]
        counters = dict(data["counters"][arm])
        for key in ("w_n", "w_successes", "w_reward", "w_reward_sq"):
            counters.pop(key)
        out[arm] = {"raw": counters, "effective": [n, s, r, r2]}
    return out


@pytest.mark.parametrize("slug", ARMED)
@given(
    events=st.lists(st.one_of(choose_op, record_op), max_size=40),
    owners=st.lists(st.booleans(), min_size=40, max_size=40),
    half_life=st.sampled_from([0.0, 7.0]),
)
@SETTINGS
def test_merging_two_nodes_equals_one_node(
    slug: str,
    events: list[tuple[Any, ...]],
    owners: list[bool],
    half_life: float,
    close_json: Any,
) -> None:
    cfg = armed_settings(slug, 0.0, half_life)
    arms = ["a", "b", "c"]
    # times must be absolute so that both nodes stamp an event identically
    timed, now = [], 0.0
    for op in events:
        if op[0] == "record":
            now += op[5]
            op = (*op[:5], now)
        timed.append(op)

    def apply(state: AlgorithmState, ops: list[tuple[Any, ...]]) -> None:
        rng = random.Random(1)
        for op in ops:
            if op[0] == "choose":  # a unit, so that both set-ups serve the same arm
                state.choose(CONTEXTS[op[1]], 0.37 if op[2] is None else op[2], rng)
            else:
                _, i, ok, reward, c, t = op
                state.record(arms[i % 3], reward or float(ok), ok, CONTEXTS[c], rng, now=t)

    single = create_state(slug, cfg, arms)
    apply(single, timed)
    node_a, node_b = create_state(slug, cfg, arms), create_state(slug, cfg, arms)
    ops_a, ops_b = split_script(timed, owners)
    apply(node_a, ops_a)
    apply(node_b, ops_b)
    delta_a, delta_b = node_a.take_delta(), node_b.take_delta()
    for first, second in ((delta_a, delta_b), (delta_b, delta_a)):
        shared = create_state(slug, cfg, arms)
        shared.merge_delta(first)
        shared.merge_delta(second)
        assert close_json(learned(shared), learned(single))
    assert node_a.take_delta()["arms"] == {}  # taking a delta resets it


@pytest.mark.parametrize("slug", list(ALGORITHMS))
@given(before=scripts, after=scripts)
@SETTINGS
def test_rebase_keeps_unflushed_events(
    slug: str, before: list[tuple[Any, ...]], after: list[tuple[Any, ...]], close_json: Any
) -> None:
    arms = ["a", "b", "c"]
    cfg = {"batch_size": 1000} if slug in OPTIMIZERS else {}  # no optimizer step in between
    node = create_state(slug, cfg, arms)
    play(node, [op for op in before if op[0] != "refresh"])
    shared = create_state(slug, cfg, arms)
    shared.merge_delta(node.take_delta())
    shared.refresh(random.Random(3))
    # feedback that arrives while the flush is in flight (no choices: weights differ)
    late = [op for op in after if op[0] == "record"]
    play(node, late, seed=4)
    expected = load_state(shared.to_json())
    play(expected, late, seed=4)
    node.rebase(shared.to_json())
    assert close_json(node.take_delta(), expected.take_delta())
    assert close_json(node.to_json(), expected.to_json())


# -- every algorithm under any valid settings ----------------------------------------------

# Small integer ranges keep the examples fast (and make steps happen within a short script).
INTEGER_CAPS = {"batch_size": 3, "population_size": 8, "grid_size": 41, "feature_dim": 40}


@st.composite
def valid_settings(draw: st.DrawFn, slug: str) -> dict[str, Any]:
    """Any settings object the catalogue accepts for `slug`, drawn from its schema rows."""
    spec = ALGORITHMS[slug]
    out: dict[str, Any] = {}
    for s in spec.settings:
        if s.name in ("initial_value", "min_value", "max_value"):
            continue  # drawn together below, so that min < initial < max
        if not draw(st.booleans()):
            continue  # left out: the default applies
        if s.boolean:
            out[s.name] = draw(st.booleans())
        elif s.choices is not None:
            out[s.name] = draw(st.sampled_from(s.choices))
        elif s.integer:
            lo = int(s.minimum if s.minimum is not None else -1000)
            hi = int(s.maximum if s.maximum is not None else 1000)
            out[s.name] = draw(st.integers(lo, min(hi, INTEGER_CAPS.get(s.name, hi))))
        else:
            lo_f = s.minimum if s.minimum is not None else -1e9
            hi_f = s.maximum if s.maximum is not None else 1e9
            out[s.name] = draw(
                st.floats(lo_f, hi_f, exclude_min=s.exclusive_minimum, allow_nan=False)
            )
    if spec.kind == "optimizer" and draw(st.booleans()):
        lo = draw(st.floats(-1e6, 1e6))
        width = draw(st.floats(1e-3, 1e6))
        out["min_value"], out["max_value"] = lo, lo + width
        out["initial_value"] = lo + draw(st.floats(0.0, 1.0)) * width
    return out


def credited_script(state: AlgorithmState, script: list[tuple[Any, ...]], seed: int) -> list[Any]:
    """Like `play`, but optimizer feedback names a current candidate, so that batches fill."""
    rng = random.Random(seed)
    served: list[Any] = []
    now = 0.0
    for op in script:
        if op[0] == "choose":
            served.append(state.choose(CONTEXTS[op[1]], op[2], rng))
        elif op[0] == "record":
            _, i, ok, reward, c, dt = op
            now += dt
            names = state.arms()
            arm = names[i % len(names)] if names else None
            state.record(arm, reward if reward else float(ok), ok, CONTEXTS[c], rng, now=now)
        else:
            state.refresh(rng, now=now)
    return served


@pytest.mark.parametrize("slug", list(ALGORITHMS))
@given(data=st.data(), script=scripts, seed=st.integers(0, 2**32))
@SETTINGS
def test_any_valid_settings_and_events_never_raise(
    slug: str, data: st.DataObject, script: list[tuple[Any, ...]], seed: int
) -> None:
    raw = data.draw(valid_settings(slug), label="settings")
    arms = ["a", "b", "c"]
    state = create_state(slug, raw, arms)
    served = credited_script(state, script, seed)
    state.refresh(random.Random(seed))
    weights = state.weights()
    assert weights and all(w >= 0.0 for w in weights.values())
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-9)
    if state.kind == "optimizer":
        lo, hi = float(state.settings["min_value"]), float(state.settings["max_value"])
        assert all(isinstance(v, float) and lo <= v <= hi for v in served)
        assert lo <= state.summary()["current_value"] <= hi
    else:
        assert all(a in arms for a in served)
        assert sorted(weights) == arms
    for row in state.statistics(random.Random(seed), samples=100):
        assert 0.0 <= row.probability_best <= 1.0
        assert 0.0 <= row.weight <= 1.0 + 1e-12
    again = load_state(json.loads(json.dumps(state.to_json(), allow_nan=False)))
    assert again.to_json() == state.to_json()


@pytest.mark.parametrize("slug", list(ALGORITHMS))
@given(
    start=scripts,
    nodes=st.lists(scripts, min_size=3, max_size=3),
    order=st.permutations([0, 1, 2]),
    half_life=st.sampled_from([0.0, 7.0]),
)
@SETTINGS
def test_merging_deltas_in_any_order_gives_the_same_state(
    slug: str,
    start: list[tuple[Any, ...]],
    nodes: list[list[tuple[Any, ...]]],
    order: list[int],
    half_life: float,
    close_json: Any,
) -> None:
    """Three nodes start from the shared state, each serves, learns and (optimizers) may step;
    their deltas merged in any order give the same shared state."""
    if slug in OPTIMIZERS:
        cfg: dict[str, float] = {"batch_size": 1, "min_value": -5.0, "max_value": 5.0}
    else:
        cfg = armed_settings(slug, 0.0, half_life)
    shared = create_state(slug, cfg, ["a", "b", "c"])
    credited_script(shared, start, 1)
    shared.take_delta()  # the shared state's own events are already in it
    deltas = []
    for i, script in enumerate(nodes):
        node = load_state(shared.to_json())
        node.take_delta()
        credited_script(node, script, 10 + i)
        deltas.append(node.take_delta())

    def merged(sequence: list[int]) -> AlgorithmState:
        out = load_state(shared.to_json())
        for i in sequence:
            out.merge_delta(json.loads(json.dumps(deltas[i])))
        return out

    one, other = merged([0, 1, 2]), merged(order)
    if slug in OPTIMIZERS:
        assert close_json(one.to_json(), other.to_json())
    else:
        assert close_json(learned(one), learned(other))
