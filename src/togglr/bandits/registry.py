"""The catalogue (`ALGORITHMS`) and the factories that build or load a state by slug."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from togglr.bandits import epsilon_greedy, thompson, ucb
from togglr.bandits.contextual import specs as contextual_specs
from togglr.bandits.optimizers import annealing, bayes_opt, cem, hill_climb, pid
from togglr.bandits.settings import AlgorithmSpec, Settings
from togglr.bandits.state import AlgorithmState

# slug → (module, class); contextual modules import numpy, so they load on first use
_STATE_TYPES: dict[str, tuple[str, str]] = {
    "epsilon-greedy": ("togglr.bandits.epsilon_greedy", "EpsilonGreedy"),
    "thompson-sampling": ("togglr.bandits.thompson", "ThompsonSampling"),
    "gaussian-thompson": ("togglr.bandits.thompson", "GaussianThompson"),
    "ucb": ("togglr.bandits.ucb", "Ucb"),
    "lin_ucb": ("togglr.bandits.contextual.policies", "LinUcb"),
    "contextual_thompson": ("togglr.bandits.contextual.policies", "ContextualThompson"),
    "contextual_epsilon": ("togglr.bandits.contextual.policies", "ContextualEpsilon"),
    "hill_climb": ("togglr.bandits.optimizers.hill_climb", "HillClimb"),
    "simulated_annealing": ("togglr.bandits.optimizers.annealing", "SimulatedAnnealing"),
    "pid_controller": ("togglr.bandits.optimizers.pid", "PidController"),
    "cem": ("togglr.bandits.optimizers.cem", "CrossEntropy"),
    "bayes_opt": ("togglr.bandits.optimizers.bayes_opt", "BayesOpt"),
}

ALGORITHMS: dict[str, AlgorithmSpec] = {
    spec.slug: spec
    for spec in (
        epsilon_greedy.SPEC,
        thompson.SPEC,
        thompson.GAUSSIAN_SPEC,
        ucb.SPEC,
        contextual_specs.LIN_UCB_SPEC,
        contextual_specs.THOMPSON_SPEC,
        contextual_specs.EPSILON_SPEC,
        hill_climb.SPEC,
        annealing.SPEC,
        pid.SPEC,
        cem.SPEC,
        bayes_opt.SPEC,
    )
}


def get_spec(slug: str) -> AlgorithmSpec:
    """The catalogue entry for a slug; ValueError for an unknown slug."""
    try:
        return ALGORITHMS[slug]
    except (KeyError, TypeError):
        known = ", ".join(sorted(ALGORITHMS))
        raise ValueError(f"unknown algorithm {slug!r} (known: {known})") from None


def validate_settings(slug: str, raw: Mapping[str, object] | None) -> Settings:
    """Complete, checked settings for an algorithm; ValueError with a clear message otherwise."""
    return get_spec(slug).validate(raw)


def state_type(slug: str) -> type[AlgorithmState]:
    """The state class implementing a slug."""
    get_spec(slug)
    module, name = _STATE_TYPES[slug]
    cls = getattr(importlib.import_module(module), name)
    if not (isinstance(cls, type) and issubclass(cls, AlgorithmState)):  # pragma: no cover
        raise TypeError(f"{module}.{name} is not an AlgorithmState")
    return cls


def create_state(
    slug: str,
    settings: Mapping[str, object] | None = None,
    arms: Sequence[str] = (),
    *,
    now: float = 0.0,
) -> AlgorithmState:
    """A fresh state: bandits over `arms` (the variant names); optimizers ignore arms."""
    cls = state_type(slug)
    return cls(validate_settings(slug, settings), arms, now=now)


def load_state(data: Mapping[str, Any]) -> AlgorithmState:
    """Rebuild any state from its `to_json()` output (dispatching on its slug)."""
    if not isinstance(data, Mapping):
        raise ValueError("state must be an object")
    return state_type(str(data.get("slug"))).from_json(data)
