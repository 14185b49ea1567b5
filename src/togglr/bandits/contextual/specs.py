"""Catalogue entries of the contextual bandits (importable without numpy)."""

from __future__ import annotations

from togglr.bandits.settings import FEATURE_DIM, MIN_SHARE, AlgorithmSpec, Setting

LIN_UCB_SPEC = AlgorithmSpec(
    slug="lin_ucb",
    name="LinUCB (contextual)",
    kind="contextual_bandit",
    description=(
        "Learns a linear reward model per variant from the evaluation context and serves the "
        "variant with the highest upper confidence bound for each request."
    ),
    settings=(
        Setting("alpha", "Exploration width: score = x·θ + alpha·sqrt(x·A⁻¹·x).", 1.0, 0.0, 100.0),
        FEATURE_DIM,
        MIN_SHARE,
    ),
)
THOMPSON_SPEC = AlgorithmSpec(
    slug="contextual_thompson",
    name="Thompson sampling (contextual)",
    kind="contextual_bandit",
    description=(
        "Linear Thompson sampling: samples each variant's reward for the request's context "
        "from its posterior and serves the best draw."
    ),
    settings=(
        Setting(
            "prior_variance",
            "Scale of the posterior variance v in θ̃ ~ N(θ, v·A⁻¹); larger explores more.",
            1.0,
            0.0,
            1e6,
            exclusive_minimum=True,
        ),
        FEATURE_DIM,
        MIN_SHARE,
    ),
)
EPSILON_SPEC = AlgorithmSpec(
    slug="contextual_epsilon",
    name="Epsilon-greedy (contextual)",
    kind="contextual_bandit",
    description=(
        "Serves the variant with the best predicted reward for the request's context, and a "
        "random variant with probability epsilon."
    ),
    settings=(
        Setting("epsilon", "Share of traffic spread evenly over all arms.", 0.1, 0.0, 1.0),
        FEATURE_DIM,
        MIN_SHARE,
    ),
)
