"""Shared machinery of the optimizers: candidates, batches, epochs and last-writer-wins merging.

An optimizer serves one or more *candidate* values at a time (hill climbing and annealing: the
incumbent and a probe; PID and Bayesian optimisation: one value; CEM: a population). Users are
spread evenly over the candidates (sticky by unit). Feedback is credited to the candidate named
by the event's `variant_key` (the served value as text); with a single candidate a missing key is
fine. When every candidate has `batch_size` observations, `refresh` takes one step on the batch
means and starts a new *epoch* with new candidates.

Multi-node: the batch counters of an epoch are additive and merge like bandit counters. The rest
(candidates and algorithm variables) is not additive; it carries a version (epoch, tag), tag =
the candidates' text, and merging keeps the higher version (last-writer-wins; ties broken by the
tag, then by the variables' canonical JSON, so every node converges to the same state whatever
the merge order). Batches of an older
version are dropped (their events still count in the totals). Take the steps in one place: call
`refresh` on the shared state inside the merge transaction.
"""

from __future__ import annotations

import json
import math
import random
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Self

from togglr.bandits.counting import ArmCounters
from togglr.bandits.settings import Settings
from togglr.bandits.state import (
    AlgorithmState,
    Json,
    check_envelope,
    check_reward,
    count,
    finite,
)
from togglr.bandits.stats import (
    DEFAULT_SAMPLES,
    MC_SEED,
    ArmStatistics,
    Sampler,
    sampled_probability_best,
)


def format_value(value: float) -> str:
    """Positional text of a served value ("1.05", "0", "-0.1"), as the SDK API returns it."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # also turns -0.0 into "0"
    text = repr(value)
    return format(Decimal(text), "f") if "e" in text else text


def observations(c: ArmCounters) -> int:
    """Feedback events counted in a counter set."""
    return c.successes + c.failures


def batch_mean(c: ArmCounters) -> float:
    """Mean reward of a batch (0 when empty)."""
    n = observations(c)
    return c.reward_sum / n if n else 0.0


class Optimizer(AlgorithmState):
    """Base class: subclasses define the candidates, the step and their own variables."""

    def __init__(
        self,
        settings: Mapping[str, object] | None = None,
        arms: Sequence[str] = (),
        *,
        now: float = 0.0,
    ) -> None:
        super().__init__(settings, arms, now=now)
        self._epoch = 0
        self._best_value = self._clamp(float(self.settings["initial_value"]))
        self._best_reward: float | None = None
        self._totals = ArmCounters()
        self._pending_totals = ArmCounters()
        self._init_vars()
        self._candidates: list[float] = []
        self._set_candidates(self._first_candidates())

    # -- hooks -----------------------------------------------------------------------------
    @abstractmethod
    def _init_vars(self) -> None:
        """Set the algorithm's own variables from the settings."""

    @abstractmethod
    def _first_candidates(self) -> list[float]:
        """Candidates of epoch 0 (no randomness available yet)."""

    @abstractmethod
    def _step(self, means: list[float], rng: random.Random) -> list[float]:
        """Update the variables from the batch means; return the next candidates."""

    @abstractmethod
    def current_value(self) -> float:
        """The value the optimizer currently recommends."""

    @abstractmethod
    def _vars_json(self) -> Json:
        """The algorithm's own variables."""

    @abstractmethod
    def _load_vars(self, data: Mapping[str, Any]) -> None:
        """Restore `_vars_json` output."""

    # -- candidates ------------------------------------------------------------------------
    @property
    def _decimals(self) -> int:
        return int(self.settings["decimals"])

    @property
    def resolution(self) -> float:
        """Smallest distinguishable difference between served values."""
        return 10.0**-self._decimals

    def _clamp(self, value: float) -> float:
        """Round to `decimals` inside [min_value, max_value].

        Rounding a clamped value can cross a bound that is not a multiple of the resolution
        (max 1.84375, 4 decimals: 1.8438); then the nearest multiple inside is used. If no
        multiple lies inside the bounds, the bounds win over the rounding.
        """
        lo, hi = float(self.settings["min_value"]), float(self.settings["max_value"])
        d = self._decimals
        clamped = min(max(value, lo), hi)
        out = round(clamped, d)
        if out > hi:
            out = round(math.floor(hi * 10.0**d) / 10.0**d, d)
        elif out < lo:
            out = round(math.ceil(lo * 10.0**d) / 10.0**d, d)
        if not lo <= out <= hi:
            out = clamped
        return out + 0.0  # + 0.0 drops -0.0

    def _set_candidates(self, values: Sequence[float]) -> None:
        """Round, clamp and de-duplicate (a duplicate could never be credited) and reset batches."""
        seen: list[float] = []
        for v in values:
            c = self._clamp(v)
            if c not in seen:
                seen.append(c)
        self._candidates = seen or [self._clamp(float(self.settings["initial_value"]))]
        self._batch = [ArmCounters() for _ in self._candidates]
        self._pending_batch = [ArmCounters() for _ in self._candidates]

    def _tag(self) -> str:
        return ",".join(format_value(c) for c in self._candidates)

    def _index(self, arm: str | None) -> int | None:
        if arm is None:
            return 0 if len(self._candidates) == 1 else None
        try:
            value = float(arm)
        except ValueError:
            return None
        for i, c in enumerate(self._candidates):
            if value == c or math.isclose(value, c, rel_tol=1e-9, abs_tol=1e-12):
                return i
        return None

    # -- serving ---------------------------------------------------------------------------
    def choose(self, context: Mapping[str, Any], unit: float | None, rng: random.Random) -> float:
        """The candidate for this unit (even split), or a random one without a unit."""
        n = len(self._candidates)
        u = rng.random() if unit is None else unit
        i = min(max(int(u * n), 0), n - 1)
        for target in (self._batch[i], self._pending_batch[i], self._totals, self._pending_totals):
            target.pulls += 1
        return self._candidates[i]

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
        """Count the event; credit its reward to the candidate it names (False if none)."""
        reward = check_reward(reward)
        ok = reward > 0 if success is None else bool(success)
        self._totals.observe(ok, reward, 1.0, error)
        self._pending_totals.observe(ok, reward, 1.0, error)
        i = self._index(arm)
        if i is None:
            return False
        self._batch[i].observe(ok, reward, 1.0, error)
        self._pending_batch[i].observe(ok, reward, 1.0, error)
        return True

    def _ready(self) -> bool:
        size = int(self.settings["batch_size"])
        return all(observations(b) >= size for b in self._batch)

    def refresh(self, rng: random.Random, now: float | None = None) -> None:
        """Take one step when every candidate has a full batch."""
        if not self._ready():
            return
        means = [batch_mean(b) for b in self._batch]
        top = max(range(len(means)), key=means.__getitem__)
        if self._best_reward is None or means[top] > self._best_reward:
            self._best_reward, self._best_value = means[top], self._candidates[top]
        nxt = self._step(means, rng)
        self._epoch += 1
        self._set_candidates(nxt)

    def weights(self) -> dict[str, float]:
        """Even split over the candidates."""
        share = 1.0 / len(self._candidates)
        return {format_value(c): share for c in self._candidates}

    def arms(self) -> tuple[str, ...]:
        """The candidates as served text."""
        return tuple(format_value(c) for c in self._candidates)

    def set_arms(self, arms: Sequence[str], rng: random.Random) -> None:
        """Optimizers serve numbers, not variants: nothing to reconcile."""

    # -- results ---------------------------------------------------------------------------
    def statistics(self, rng: random.Random, samples: int = DEFAULT_SAMPLES) -> list[ArmStatistics]:
        """One row per candidate of the current epoch (its batch so far)."""
        p_best = self._probability_best(samples)
        share = 1.0 / len(self._candidates)
        return [
            b.statistics(format_value(c), p_best[i], share)
            for i, (c, b) in enumerate(zip(self._candidates, self._batch, strict=True))
        ]

    def _probability_best(self, samples: int) -> list[float]:
        """P(candidate has the best mean reward), normal approximation of the batch means."""
        all_n = sum(observations(b) for b in self._batch)
        pooled_mean = sum(b.reward_sum for b in self._batch) / all_n if all_n else 0.0
        pooled_sq = sum(b.reward_sq for b in self._batch) / all_n if all_n else 1.0
        pooled_var = max(pooled_sq - pooled_mean**2, 1e-12)
        samplers = []
        for b in self._batch:
            n = observations(b)
            mean = b.reward_sum / n if n else pooled_mean
            var = (b.reward_sq - n * mean * mean) / (n - 1) if n >= 2 else pooled_var
            samplers.append(_normal(mean, math.sqrt(max(var, 1e-12) / max(n, 1))))
        return sampled_probability_best(samplers, random.Random(MC_SEED), samples)

    def summary(self) -> dict[str, Any]:
        """Current/best value, iteration (epoch), totals and the algorithm's variables."""
        t = self._totals
        out: dict[str, Any] = {
            "current_value": self.current_value(),
            "best_value": self._best_value,
            "best_reward": self._best_reward,
            "iteration": self._epoch,
            "candidates": list(self._candidates),
            "evaluations": t.pulls,
            "observations": observations(t),
            "metric_sum": t.reward_sum,
        }
        out.update(self._vars_json())
        return out

    # -- deltas ----------------------------------------------------------------------------
    def _core_json(self) -> Json:
        return {
            "epoch": self._epoch,
            "candidates": list(self._candidates),
            "best_value": self._best_value,
            "best_reward": self._best_reward,
            "vars": self._vars_json(),
        }

    def _load_core(self, core: object) -> None:
        if not isinstance(core, Mapping):
            raise ValueError("optimizer core must be an object")
        candidates = core.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            raise ValueError("candidates must be a non-empty list")
        vars_ = core.get("vars")
        if not isinstance(vars_, Mapping):
            raise ValueError("optimizer vars must be an object")
        self._load_vars(vars_)
        self._epoch = count(core.get("epoch"), "epoch")
        self._best_value = finite(core.get("best_value"), "best_value")
        best = core.get("best_reward")
        self._best_reward = None if best is None else finite(best, "best_reward")
        self._set_candidates([finite(c, "candidate") for c in candidates])

    def _version(self) -> tuple[int, str]:
        return self._epoch, self._tag()

    def take_delta(self) -> Json:
        """Pending totals and batch, with the core and its version for last-writer-wins."""
        out = {
            "slug": self.slug,
            "tag": self._tag(),
            "core": self._core_json(),
            "batch": [b.to_json() for b in self._pending_batch],
            "totals": self._pending_totals.to_json(),
        }
        self._pending_batch = [ArmCounters() for _ in self._candidates]
        self._pending_totals = ArmCounters()
        return out

    def _merge(self, delta: Mapping[str, Any], *, into_pending: bool) -> None:
        self._check_delta(delta)
        totals = ArmCounters.from_json(delta.get("totals"))
        raw_batch = delta.get("batch")
        if not isinstance(raw_batch, list):
            raise ValueError("delta batch must be a list")
        batch = [ArmCounters.from_json(b) for b in raw_batch]
        self._totals.add(totals, 1.0)
        if into_pending:
            self._pending_totals.add(totals, 1.0)
        core = delta.get("core")
        if not isinstance(core, Mapping):
            raise ValueError("delta core must be an object")
        theirs = (count(core.get("epoch"), "epoch"), str(delta.get("tag")))
        ours = self._version()
        if theirs > ours:
            self._load_core(core)  # resets our batches: they belong to an older version
            if self._tag() != theirs[1] or len(batch) != len(self._candidates):
                raise ValueError("delta tag does not match its candidates")
        elif theirs < ours:
            return  # a stale epoch: its rewards were for values no longer served
        elif _canonical(core) > _canonical(self._core_json()):
            # Same epoch and candidates, other variables: two nodes stepped concurrently and
            # landed on the same values (e.g. with different best rewards or step sizes). The
            # larger core wins, so every merge order agrees; the batches belong to both.
            batches = self._batch, self._pending_batch
            self._load_core(core)
            if self._tag() != theirs[1]:
                raise ValueError("delta tag does not match its candidates")
            self._batch, self._pending_batch = batches
        if len(batch) != len(self._candidates):
            raise ValueError("delta batch does not match the candidates")
        for mine, inc in zip(self._batch, batch, strict=True):
            mine.add(inc, 1.0)
        if into_pending:
            for mine, inc in zip(self._pending_batch, batch, strict=True):
                mine.add(inc, 1.0)

    # -- configuration and JSON ------------------------------------------------------------
    def _configured(self, old: Settings, rng: random.Random) -> None:
        clamped = [self._clamp(c) for c in self._candidates]
        if clamped != self._candidates:  # bounds or rounding changed: a new epoch
            self._epoch += 1
            self._set_candidates(clamped)
        self._best_value = self._clamp(self._best_value)
        self._rebound()

    def _rebound(self) -> None:
        """Re-clamp the algorithm's own variables after a settings change (default: nothing)."""

    def to_json(self) -> Json:
        """Settings, core (versioned), batches and totals."""
        out = self._envelope()
        out.update(
            {
                "core": self._core_json(),
                "batch": [b.to_json() for b in self._batch],
                "pending_batch": [b.to_json() for b in self._pending_batch],
                "totals": self._totals.to_json(),
                "pending_totals": self._pending_totals.to_json(),
            }
        )
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild from `to_json` output."""
        settings = check_envelope(cls, data)
        state = cls(settings)
        state._load_core(data.get("core"))
        batch, pending = data.get("batch"), data.get("pending_batch")
        if (
            not isinstance(batch, list)
            or not isinstance(pending, list)
            or len(batch) != len(state._candidates)
            or len(pending) != len(state._candidates)
        ):
            raise ValueError("batches must be lists aligned with the candidates")
        state._batch = [ArmCounters.from_json(b) for b in batch]
        state._pending_batch = [ArmCounters.from_json(b) for b in pending]
        state._totals = ArmCounters.from_json(data.get("totals"))
        state._pending_totals = ArmCounters.from_json(data.get("pending_totals"))
        return state


def _canonical(core: Mapping[str, Any]) -> str:
    """A total order on optimizer cores of the same version (canonical JSON text)."""
    return json.dumps(core, sort_keys=True, separators=(",", ":"))


def _normal(mean: float, sd: float) -> Sampler:
    def draw(rng: random.Random) -> float:
        return rng.gauss(mean, sd)

    return draw
