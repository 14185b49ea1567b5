"""Per-arm ridge-regression models over hashed context features (numpy; see ADR 0003).

Each arm keeps A = Σ x xᵀ and b = Σ r x over its feedback (both additive, so deltas merge by
addition); the model is θ = (I + A)⁻¹ b. `refresh` inverts (I + A) for every arm once and caches
θ and (I + A)⁻¹; `choose` then only needs the few non-zero slots of the request's feature
vector, so serving never inverts a matrix and stays sticky between refreshes.
"""

from __future__ import annotations

import random
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from togglr.bandits.allocation import apply_floor, cumulative, pick, tie_priority
from togglr.bandits.contextual.features import hash_context
from togglr.bandits.counting import ArmCounters
from togglr.bandits.settings import Settings
from togglr.bandits.state import AlgorithmState, Json, check_envelope, check_reward, finite
from togglr.bandits.stats import (
    DEFAULT_SAMPLES,
    ArmStatistics,
    beta_probability_best,
)

Matrix = npt.NDArray[np.float64]


@dataclass(slots=True)
class ArmModel:
    """Sufficient statistics of one arm: counters plus A = Σ x xᵀ and b = Σ r x."""

    dim: int
    counts: ArmCounters = field(default_factory=ArmCounters)
    a: Matrix = field(init=False)
    b: Matrix = field(init=False)

    def __post_init__(self) -> None:
        self.a = np.zeros((self.dim, self.dim))
        self.b = np.zeros(self.dim)

    def learn(self, idx: Sequence[int], vals: Matrix, reward: float) -> None:
        """Add one observation's outer product and reward-weighted features."""
        self.a[np.ix_(idx, idx)] += np.outer(vals, vals)
        self.b[list(idx)] += reward * vals

    def add(self, other: ArmModel) -> None:
        """Add another model's sums."""
        self.counts.add(other.counts, 1.0)
        self.a += other.a
        self.b += other.b

    def to_json(self) -> Json:
        """Counters, A (flat, row-major) and b."""
        return {
            "counts": self.counts.to_json(),
            "a": [float(v) for v in self.a.ravel()],
            "b": [float(v) for v in self.b],
        }

    @classmethod
    def from_json(cls, data: object, dim: int) -> ArmModel:
        """Parse and check the array sizes against the feature dimension."""
        if not isinstance(data, Mapping):
            raise ValueError("arm model must be an object")
        a, b = data.get("a"), data.get("b")
        if not isinstance(a, list) or len(a) != dim * dim:
            raise ValueError(f"arm model 'a' must hold {dim * dim} numbers")
        if not isinstance(b, list) or len(b) != dim:
            raise ValueError(f"arm model 'b' must hold {dim} numbers")
        out = cls(dim, ArmCounters.from_json(data.get("counts")))
        out.a = np.array([finite(v, "a") for v in a], dtype=np.float64).reshape(dim, dim)
        out.b = np.array([finite(v, "b") for v in b], dtype=np.float64)
        return out


class LinearBandit(AlgorithmState):
    """Shared state of lin_ucb, contextual_thompson and contextual_epsilon."""

    def __init__(
        self,
        settings: Mapping[str, object] | None = None,
        arms: Sequence[str] = (),
        *,
        now: float = 0.0,
    ) -> None:
        super().__init__(settings, arms, now=now)
        self._arms: tuple[str, ...] = tuple(sorted(set(arms)))
        self._models: dict[str, ArmModel] = {a: ArmModel(self.dim) for a in self._arms}
        self._pending: dict[str, ArmModel] = {}
        self._theta: Matrix = np.zeros((0, self.dim))
        self._a_inv: Matrix = np.zeros((0, self.dim, self.dim))
        self._weights: list[float] = []
        self._bias: tuple[list[float], list[float]] = ([], [])
        self._priority: list[int] = []
        self._snapshot()

    @property
    def dim(self) -> int:
        """Feature dimension (bias included)."""
        return int(self.settings["feature_dim"])

    @property
    def _min_share(self) -> float:
        return float(self.settings["min_share"])

    # -- model snapshot --------------------------------------------------------------------
    def _snapshot(self) -> None:
        """Invert every arm's (I + A) once and cache θ and the inverse for serving."""
        k, d = len(self._arms), self.dim
        if not k:
            self._theta, self._a_inv, self._weights = np.zeros((0, d)), np.zeros((0, d, d)), []
            self._bias = ([], [])
            return
        eye = np.eye(d)
        stacked = np.stack([eye + self._models[a].a for a in self._arms])
        self._a_inv = np.asarray(np.linalg.inv(stacked), dtype=np.float64)  # I + A is SPD
        b = np.stack([self._models[a].b for a in self._arms])
        self._theta = np.einsum("kij,kj->ki", self._a_inv, b)
        seen = sum(m.counts.successes + m.counts.failures for m in self._models.values())
        self._priority = tie_priority(self._arms, seen)
        # a context without usable attributes is just the bias slot: precompute its scores
        self._bias = (self._theta[:, 0].tolist(), self._a_inv[:, 0, 0].tolist())
        self._weights = apply_floor(self._allocation(*self._bias), self._min_share)

    @abstractmethod
    def _allocation(self, means: list[float], spread: list[float]) -> list[float]:
        """Allocation weights from per-arm predicted means and x·A⁻¹·x (before the floor)."""

    def _scores(self, context: Mapping[str, Any] | None) -> tuple[list[float], list[float]]:
        """Predicted mean reward and x·A⁻¹·x of every arm for this context."""
        x = hash_context(context, self.dim)
        if len(x) == 1:
            return self._bias
        idx = np.fromiter(x.keys(), dtype=np.intp, count=len(x))
        vals = np.fromiter(x.values(), dtype=np.float64, count=len(x))
        means = self._theta[:, idx] @ vals
        spread = (self._a_inv[:, idx[:, None], idx] @ vals) @ vals
        return means.tolist(), np.maximum(spread, 0.0).tolist()

    # -- serving ---------------------------------------------------------------------------
    def choose(
        self, context: Mapping[str, Any], unit: float | None, rng: random.Random
    ) -> str | None:
        """Pick an arm for this context from the cached models; sticky for a given unit."""
        if not self._arms:
            return None
        means, spread = self._scores(context)
        i = self._pick(means, spread, unit, rng)
        arm = self._arms[i]
        self._models[arm].counts.pulls += 1
        pending = self._pending.get(arm)
        if pending is None:
            pending = self._pending[arm] = ArmModel(self.dim)
        pending.counts.pulls += 1
        return arm

    def _pick(
        self, means: list[float], spread: list[float], unit: float | None, rng: random.Random
    ) -> int:
        weights = apply_floor(self._allocation(means, spread), self._min_share)
        return pick(cumulative(weights), rng.random() if unit is None else unit)

    def record(
        self,
        arm: str | None,
        reward: float,
        success: bool | None,
        context: Mapping[str, Any] | None = None,
        rng: random.Random | None = None,
        *,
        now: float | None = None,
        error: bool = False,
    ) -> bool:
        """Teach the arm's model with the feedback's context (the model is used after refresh)."""
        reward = check_reward(reward)
        model = self._models.get(arm) if arm is not None else None
        if model is None or arm is None:
            return False
        ok = reward > 0 if success is None else bool(success)
        x = hash_context(context, self.dim)
        idx = list(x)
        vals = np.fromiter(x.values(), dtype=np.float64, count=len(idx))
        pending = self._pending.get(arm)
        if pending is None:
            pending = self._pending[arm] = ArmModel(self.dim)
        for target in (model, pending):
            target.counts.observe(ok, reward, 1.0, error)
            target.learn(idx, vals, reward)
        return True

    def refresh(self, rng: random.Random, now: float | None = None) -> None:
        """Rebuild the cached models from A and b."""
        self._snapshot()

    def weights(self) -> dict[str, float]:
        """Allocation for an attribute-less context (per-request allocations depend on context)."""
        return dict(zip(self._arms, self._weights, strict=True))

    def arms(self) -> tuple[str, ...]:
        """Arm names, sorted."""
        return self._arms

    def set_arms(self, arms: Sequence[str], rng: random.Random) -> None:
        """Keep surviving arms' models, start new arms from scratch, drop removed ones."""
        new = tuple(sorted(set(arms)))
        self._models = {a: self._models.get(a) or ArmModel(self.dim) for a in new}
        self._pending = {a: m for a, m in self._pending.items() if a in self._models}
        self._arms = new
        self._snapshot()

    # -- results ---------------------------------------------------------------------------
    def statistics(self, rng: random.Random, samples: int = DEFAULT_SAMPLES) -> list[ArmStatistics]:
        """Per-arm totals; probability_best compares context-free success rates."""
        counts = [self._models[a].counts for a in self._arms]
        p_best = beta_probability_best([(1.0 + c.successes, 1.0 + c.failures) for c in counts])
        return [
            c.statistics(arm, p_best[i], self._weights[i])
            for i, (arm, c) in enumerate(zip(self._arms, counts, strict=True))
        ]

    def summary(self) -> dict[str, Any]:
        """Totals and the feature dimension."""
        return {
            "evaluations": sum(m.counts.pulls for m in self._models.values()),
            "observations": sum(
                m.counts.successes + m.counts.failures for m in self._models.values()
            ),
            "feature_dim": self.dim,
        }

    # -- deltas ----------------------------------------------------------------------------
    def take_delta(self) -> Json:
        """Pending counters, A and b per arm."""
        out = {
            "slug": self.slug,
            "feature_dim": self.dim,
            "arms": {a: m.to_json() for a, m in sorted(self._pending.items())},
        }
        self._pending = {}
        return out

    def _merge(self, delta: Mapping[str, Any], *, into_pending: bool) -> None:
        self._check_delta(delta)
        if delta.get("feature_dim") != self.dim:
            raise ValueError("delta has a different feature_dim; it cannot be merged")
        arms = delta.get("arms")
        if not isinstance(arms, Mapping):
            raise ValueError("delta arms must be an object")
        for arm, raw in arms.items():
            model = self._models.get(arm)
            if model is None:
                continue
            inc = ArmModel.from_json(raw, self.dim)
            model.add(inc)
            if into_pending:
                self._pending.setdefault(arm, ArmModel(self.dim)).add(inc)

    # -- configuration and JSON ------------------------------------------------------------
    def _configured(self, old: Settings, rng: random.Random) -> None:
        if int(old["feature_dim"]) != self.dim:
            # a different hashing space makes A and b meaningless; counters survive
            self._models = {a: ArmModel(self.dim, m.counts) for a, m in self._models.items()}
            self._pending = {a: ArmModel(self.dim, m.counts) for a, m in self._pending.items()}
        self._snapshot()

    def to_json(self) -> Json:
        """Settings, arms, per-arm models and pending deltas (the cache is rebuilt on load)."""
        out = self._envelope()
        out.update(
            {
                "arms": list(self._arms),
                "models": {a: self._models[a].to_json() for a in self._arms},
                "pending": {a: m.to_json() for a, m in sorted(self._pending.items())},
            }
        )
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild from `to_json` output; the serving cache is recomputed from A and b."""
        settings = check_envelope(cls, data)
        arms = data.get("arms")
        if not isinstance(arms, list) or not all(isinstance(a, str) for a in arms):
            raise ValueError("arms must be a list of strings")
        if len(set(arms)) != len(arms):
            raise ValueError("arms must be unique")
        state = cls(settings, arms)
        models, pending = data.get("models"), data.get("pending")
        if not isinstance(models, Mapping) or not isinstance(pending, Mapping):
            raise ValueError("models and pending must be objects")
        if set(models) != set(state._arms) or not set(pending) <= set(state._arms):
            raise ValueError("models must cover exactly the arms")
        state._models = {a: ArmModel.from_json(models[a], state.dim) for a in state._arms}
        state._pending = {str(a): ArmModel.from_json(m, state.dim) for a, m in pending.items()}
        state._snapshot()
        return state
