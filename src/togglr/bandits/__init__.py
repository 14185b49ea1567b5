"""Adaptive rollout algorithms: pure, serialisable state objects with randomness and time passed in.

Pure core: no I/O, no clock, no module-level randomness. Standard library only, except the
contextual models, which use numpy (docs/adr/0003-numpy-for-contextual-bandits.md) and are
imported lazily, so importing this package and listing the catalogue needs no numpy.
The algorithms, settings, feature hashing and benchmarks are described in docs/algorithms.md.

Catalogue
---------
``ALGORITHMS: dict[str, AlgorithmSpec]``. Each spec has ``slug``, ``name``,
``kind`` ("bandit" | "contextual_bandit" | "optimizer"), ``description``,
``settings_schema`` (JSON Schema) and ``default_settings``.
``validate_settings(slug, raw) -> dict`` fills in defaults and raises ``ValueError`` naming
the problem (unknown slug or key, wrong type, out of range, min_value >= max_value, ...).

Slugs: bandits ``epsilon-greedy``, ``thompson-sampling``, ``gaussian-thompson``, ``ucb``;
contextual ``lin_ucb``, ``contextual_thompson``, ``contextual_epsilon``; optimizers
``hill_climb``, ``simulated_annealing``, ``pid_controller``, ``cem``, ``bayes_opt``.

State lifecycle (one state per feature and environment)
-------------------------------------------------------
::

    state = create_state(slug, settings, arms=variant_names, now=t)   # or load_state(json)
    state.refresh(rng, now=t)             # on the update interval (e.g. every 5 s)
    value = state.choose(context, unit, rng)   # per evaluation: variant name | float | None
    obs = observation(event_type, reward)      # per track event: success / failure / error
    state.record(variant_key, obs.reward, obs.success, context, rng, now=t, error=obs.error)
    state.weights(); state.statistics(rng); state.summary()    # results page
    state.set_arms(variant_names, rng)    # when the feature's variants change
    state.configure(settings, rng)        # when the settings change
    data = state.to_json(); state = load_state(data)    # JSON-compatible dict

- ``choose(context, unit, rng)``: ``unit`` is the user's stable position in [0, 1) from the
  rollout hash when the feature's rollout key is in the context, else None. With a unit the
  answer is a pure function of (unit, context, cached weights): sticky until the next
  ``refresh``. None means "draw from rng". Returns None when there is nothing to choose (no
  arms): fall back to the rollout. Optimizers return the float to serve (format it with
  ``format_value``; it is already rounded to the ``decimals`` setting). Each call counts one
  evaluation for the chosen arm.
- ``record(...)`` returns False when the event could not be credited (unknown arm, or an
  optimizer value that is no longer served); unknown arms are never created. A non-finite reward
  raises ValueError. ``now`` feeds the optional ``decay_half_life`` of the context-free bandits.
- ``weights()`` sums to 1 and every arm gets at least ``min_share`` (capped at 1/k). Context-free
  bandits: Thompson = P(best) by numerical integration of the Beta posteriors (Gaussian
  version: fixed-seed Monte-Carlo), epsilon-greedy = 1 - eps + eps/k on the best rate, UCB = all
  on the best bound. Contextual: the allocation for a context without attributes (requests get
  per-context allocations). Optimizers: an even split over the values being served.
  Weights are pure functions of the counters, so every node computes the same ones.

Multi-node convergence (write deltas, not absolute values)
----------------------------------------------------------
All learned numbers are sums over events (counts, reward sums and squares, LinUCB A and b) and
merge by addition. Each node periodically flushes::

    delta = state.take_delta()                  # what this node saw since the last flush
    # in one DB transaction (row lock or version check on the stored JSON):
    shared = load_state(stored_json)            # create_state(...) if there is none yet
    shared.set_arms(variant_names, rng)         # if the variants may have changed
    shared.merge_delta(delta)
    shared.refresh(rng, now=t)                  # optimizers take their steps here, once
    store(shared.to_json())
    # after commit:
    state.rebase(shared.to_json())              # = shared + events recorded since take_delta

Optimizer variables that are not sums (candidates, step, temperature, GP points, ...) travel
with a version (epoch, tag) and merge last-writer-wins; batches of a superseded epoch are
dropped (see ``togglr.bandits.optimizers.base``). Contextual states do not support decay yet.
"""

from togglr.bandits.allocation import apply_floor, cumulative, pick
from togglr.bandits.feedback import EVENT_TYPES, Observation, observation
from togglr.bandits.optimizers.base import format_value
from togglr.bandits.registry import (
    ALGORITHMS,
    create_state,
    get_spec,
    load_state,
    state_type,
    validate_settings,
)
from togglr.bandits.settings import AlgorithmSpec, Kind, Setting, Settings
from togglr.bandits.state import AlgorithmState
from togglr.bandits.stats import ArmStatistics

__all__ = [
    "ALGORITHMS",
    "EVENT_TYPES",
    "AlgorithmSpec",
    "AlgorithmState",
    "ArmStatistics",
    "Kind",
    "Observation",
    "Setting",
    "Settings",
    "apply_floor",
    "create_state",
    "cumulative",
    "format_value",
    "get_spec",
    "load_state",
    "observation",
    "pick",
    "state_type",
    "validate_settings",
]
