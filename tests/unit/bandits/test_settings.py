"""The catalogue, the settings schema and validation, and the registry factories."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from togglr.bandits import (
    ALGORITHMS,
    Setting,
    create_state,
    get_spec,
    load_state,
    state_type,
    validate_settings,
)
from togglr.bandits.settings import AlgorithmSpec

REFERENCE_DEFAULTS = {  # the original's seeded defaults must still hold
    "epsilon-greedy": {"epsilon": 0.1},
    "thompson-sampling": {"prior_alpha": 1, "prior_beta": 1},
    "ucb": {"confidence": 2.0},
    "hill_climb": {"step": 0.05, "direction": 1},
    "simulated_annealing": {"temp": 1.0, "cooling": 0.95, "step_scale": 0.1},
    "cem": {"population_size": 20, "elite_fraction": 0.2},
    "pid_controller": {"target": 1.0, "kp": 0.2, "ki": 0.05, "kd": 0.01},
    "lin_ucb": {"alpha": 1.0, "feature_dim": 32},
    "contextual_thompson": {"prior_variance": 1.0, "feature_dim": 32},
    "contextual_epsilon": {"epsilon": 0.1, "feature_dim": 32},
}


def test_catalogue_has_every_slug_with_its_kind() -> None:
    kinds = {slug: spec.kind for slug, spec in ALGORITHMS.items()}
    assert kinds == {
        "epsilon-greedy": "bandit",
        "thompson-sampling": "bandit",
        "gaussian-thompson": "bandit",
        "ucb": "bandit",
        "lin_ucb": "contextual_bandit",
        "contextual_thompson": "contextual_bandit",
        "contextual_epsilon": "contextual_bandit",
        "hill_climb": "optimizer",
        "simulated_annealing": "optimizer",
        "pid_controller": "optimizer",
        "cem": "optimizer",
        "bayes_opt": "optimizer",
    }


@pytest.mark.parametrize("slug", list(REFERENCE_DEFAULTS))
def test_reference_defaults_are_kept(slug: str) -> None:
    defaults = ALGORITHMS[slug].default_settings
    for key, value in REFERENCE_DEFAULTS[slug].items():
        assert defaults[key] == value


@pytest.mark.parametrize("slug", list(ALGORITHMS))
def test_schema_describes_every_setting_and_defaults_validate(slug: str) -> None:
    spec = ALGORITHMS[slug]
    schema = spec.settings_schema
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(spec.default_settings)
    for name, prop in schema["properties"].items():
        assert prop["type"] in ("number", "integer", "boolean")
        assert prop["description"]
        assert prop["default"] == spec.default_settings[name]
        if prop["type"] == "boolean":  # a switch: a real bool default, no bounds
            assert isinstance(prop["default"], bool)
            assert set(prop) == {"type", "description", "default"}
            continue
        assert not isinstance(prop["default"], bool)
        lo = prop.get("minimum", prop.get("exclusiveMinimum", -math.inf))
        assert lo <= prop["default"] <= prop.get("maximum", math.inf)
    assert validate_settings(slug, None) == spec.default_settings
    assert validate_settings(slug, spec.default_settings) == spec.default_settings
    assert spec.name and spec.description


def test_setting_schema_shapes() -> None:
    s = Setting("x", "an x", 1, minimum=0, maximum=5, exclusive_minimum=True, integer=True)
    assert s.schema() == {
        "type": "integer",
        "description": "an x",
        "default": 1,
        "exclusiveMinimum": 0,
        "maximum": 5,
    }
    assert Setting("d", "dir", 1, integer=True, choices=(-1, 1)).schema()["enum"] == [-1, 1]
    assert "minimum" in Setting("m", "m", 0.0, minimum=0.0).schema()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"epsilon": "0.1"}, "must be a number"),
        ({"epsilon": True}, "must be a number"),
        ({"epsilon": None}, "must be a number"),
        ({"epsilon": math.nan}, "must be finite"),
        ({"epsilon": math.inf}, "must be finite"),
        ({"epsilon": 1.5}, "must be <= 1.0"),
        ({"epsilon": -0.1}, "must be >= 0.0"),
        (
            {"epsilon": 0.1, "bogus": 1, "other": 2},
            "unknown setting(s) for 'epsilon-greedy': bogus, other",
        ),
    ],
)
def test_invalid_settings_are_rejected_with_a_clear_message(
    raw: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_settings("epsilon-greedy", raw)


def test_integers_exclusive_minimum_and_choices() -> None:
    assert validate_settings("lin_ucb", {"feature_dim": 64.0})["feature_dim"] == 64
    assert isinstance(validate_settings("lin_ucb", {"feature_dim": 64.0})["feature_dim"], int)
    with pytest.raises(ValueError, match="must be an integer"):
        validate_settings("lin_ucb", {"feature_dim": 3.5})
    with pytest.raises(ValueError, match=r"must be > 0\.0"):
        validate_settings("thompson-sampling", {"prior_alpha": 0})
    with pytest.raises(ValueError, match="must be one of -1, 1"):
        validate_settings("hill_climb", {"direction": 0})
    assert validate_settings("epsilon-greedy", {"epsilon": 1})["epsilon"] == 1.0


def test_boolean_settings() -> None:
    switch = Setting("on", "a switch", True, boolean=True)
    assert switch.schema() == {"type": "boolean", "description": "a switch", "default": True}
    assert switch.coerce(False) is False
    for bad in (0, 1, 1.0, "true", None):
        with pytest.raises(ValueError, match="must be true or false"):
            switch.coerce(bad)
    with pytest.raises(TypeError, match="bool default"):
        Setting("bad", "not a bool default", 1, boolean=True)
    with pytest.raises(TypeError, match="no bounds"):
        Setting("bad", "bounded", True, minimum=0.0, boolean=True)
    assert validate_settings("thompson-sampling", {"optimistic": False})["optimistic"] is False
    assert validate_settings("thompson-sampling", None)["optimistic"] is True
    with pytest.raises(ValueError, match="'optimistic' must be true or false"):
        validate_settings("thompson-sampling", {"optimistic": 1})
    # numbers still refuse booleans
    with pytest.raises(ValueError, match="must be a number"):
        validate_settings("thompson-sampling", {"prior_alpha": True})


def test_cross_field_checks_for_optimizer_bounds() -> None:
    with pytest.raises(ValueError, match="min_value"):
        validate_settings("cem", {"min_value": 2.0, "max_value": 1.0})
    with pytest.raises(ValueError, match="initial_value"):
        validate_settings("hill_climb", {"min_value": 0.0, "max_value": 1.0, "initial_value": 3.0})


def test_settings_must_be_an_object() -> None:
    with pytest.raises(ValueError, match="must be an object"):
        validate_settings("ucb", [1, 2])  # type: ignore[arg-type]
    spec = AlgorithmSpec("none", "None", "bandit", "no settings", ())
    with pytest.raises(ValueError, match="allowed: none"):
        spec.validate({"x": 1})


def test_unknown_slugs_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown algorithm 'nope'"):
        get_spec("nope")
    with pytest.raises(ValueError, match="unknown algorithm"):
        validate_settings("nope", {})
    with pytest.raises(ValueError, match="unknown algorithm"):
        create_state("nope")
    with pytest.raises(ValueError, match="unknown algorithm"):
        get_spec(["unhashable"])  # type: ignore[arg-type]


def test_factories_build_and_load_every_kind() -> None:
    for slug in ALGORITHMS:
        state = create_state(slug, {}, ["x", "y"], now=5.0)
        assert isinstance(state, state_type(slug))
        assert state.slug == slug and state.kind == ALGORITHMS[slug].kind
        assert load_state(state.to_json()).to_json() == state.to_json()
    with pytest.raises(ValueError, match="must be an object"):
        load_state([])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown algorithm"):
        load_state({"slug": "nope"})


def test_configure_validates_and_applies() -> None:
    state = create_state("epsilon-greedy", {"epsilon": 0.5}, ["a", "b"])
    rng = random.Random(1)
    state.record("a", 1.0, True, {}, rng)
    state.record("b", 0.0, False, {}, rng)
    state.configure({"epsilon": 0.2}, rng)
    assert state.settings["epsilon"] == 0.2
    assert state.weights()["a"] == pytest.approx(0.9)
    with pytest.raises(ValueError):
        state.configure({"epsilon": 2}, rng)
