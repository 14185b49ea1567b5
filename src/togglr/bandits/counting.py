"""Shared machinery of the context-free bandits: additive per-arm counters, decay, deltas.

Every number an algorithm learns from is a sum over events, so two nodes' deltas can be added
in any order and give the same totals as one node that saw every event.

Decay (`decay_half_life` = h seconds) keeps sums additive too: an observation at time t is
added with weight 2**((t - base) / h) and every sum is read back multiplied by
2**(-(clock - base) / h). Old events therefore fade exactly as with exponential forgetting,
but nothing is ever multiplied in place except when `base` moves forward (every 32 half-lives,
to keep the weights small); a delta carries its base, and merging rescales it.
"""

from __future__ import annotations

import random
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self

from togglr.bandits.allocation import apply_floor, cumulative, pick, tie_priority
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
    ArmStatistics,
    beta_probability_best,
    wilson_interval,
)

REBASE_HALF_LIVES = 32.0  # move `base` once the newest weight would exceed 2**32


@dataclass(slots=True)
class ArmCounters:
    """Raw totals for reporting plus the (possibly decayed) sums the algorithm reads."""

    pulls: int = 0
    successes: int = 0
    failures: int = 0
    errors: int = 0
    reward_sum: float = 0.0
    reward_sq: float = 0.0
    w_n: float = 0.0  # weighted number of observations
    w_successes: float = 0.0
    w_reward: float = 0.0
    w_reward_sq: float = 0.0

    INTS: ClassVar[tuple[str, ...]] = ("pulls", "successes", "failures", "errors")
    WEIGHTED: ClassVar[tuple[str, ...]] = ("w_n", "w_successes", "w_reward", "w_reward_sq")

    def observe(self, ok: bool, reward: float, weight: float, error: bool) -> None:
        """Count one observation."""
        if ok:
            self.successes += 1
            self.w_successes += weight
        else:
            self.failures += 1
        if error:
            self.errors += 1
        self.reward_sum += reward
        self.reward_sq += reward * reward
        self.w_n += weight
        self.w_reward += weight * reward
        self.w_reward_sq += weight * reward * reward

    def add(self, other: ArmCounters, scale: float) -> None:
        """Add another set of counters; its weighted sums are multiplied by `scale`."""
        self.pulls += other.pulls
        self.successes += other.successes
        self.failures += other.failures
        self.errors += other.errors
        self.reward_sum += other.reward_sum
        self.reward_sq += other.reward_sq
        self.w_n += other.w_n * scale
        self.w_successes += other.w_successes * scale
        self.w_reward += other.w_reward * scale
        self.w_reward_sq += other.w_reward_sq * scale

    def rescale(self, factor: float) -> None:
        """Multiply the weighted sums (moving the decay base)."""
        self.w_n *= factor
        self.w_successes *= factor
        self.w_reward *= factor
        self.w_reward_sq *= factor

    def to_json(self) -> Json:
        """As a JSON object."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def statistics(self, arm: str, probability_best: float, weight: float) -> ArmStatistics:
        """This arm's results row: raw counts, the rate with its Wilson interval, mean reward."""
        trials = self.successes + self.failures
        lo, hi = wilson_interval(self.successes, trials)
        return ArmStatistics(
            arm=arm,
            evaluations=self.pulls,
            successes=self.successes,
            failures=self.failures,
            errors=self.errors,
            reward_sum=self.reward_sum,
            mean_reward=self.reward_sum / trials if trials else None,
            rate=self.successes / trials if trials else None,
            rate_low=lo,
            rate_high=hi,
            probability_best=probability_best,
            weight=weight,
        )

    @classmethod
    def from_json(cls, data: object) -> ArmCounters:
        """From a JSON object; ValueError when a field is missing or has the wrong type."""
        if not isinstance(data, Mapping):
            raise ValueError("arm counters must be an object")
        out = cls()
        for f in fields(cls):
            if f.name not in data:
                raise ValueError(f"arm counters miss {f.name!r}")
            raw = data[f.name]
            if f.name in cls.INTS:
                setattr(out, f.name, count(raw, f.name))
            else:
                setattr(out, f.name, finite(raw, f.name))
        return out


class CountingBandit(AlgorithmState):
    """Base of epsilon-greedy, Thompson and UCB: subclasses only say how to weigh the arms."""

    def __init__(
        self,
        settings: Mapping[str, object] | None = None,
        arms: Sequence[str] = (),
        *,
        now: float = 0.0,
    ) -> None:
        super().__init__(settings, arms, now=now)
        self._arms: tuple[str, ...] = tuple(sorted(set(arms)))
        self._counters: dict[str, ArmCounters] = {a: ArmCounters() for a in self._arms}
        self._pending: dict[str, ArmCounters] = {}
        self._base = float(now)  # decay reference time
        self._clock = float(now)  # latest time seen
        self._weights: list[float] = []
        self._cum: tuple[float, ...] = ()
        self._cache([1.0] * len(self._arms))

    # -- decay clock -----------------------------------------------------------------------
    @property
    def _half_life(self) -> float:
        return float(self.settings.get("decay_half_life", 0.0))

    def _advance(self, now: float | None) -> float:
        """Move the clock forward to `now` and return the time the event happened at."""
        t = self._clock if now is None else float(now)
        if t > self._clock:
            self._clock = t
        h = self._half_life
        if h > 0 and (self._clock - self._base) / h > REBASE_HALF_LIVES:
            self._rebase_to(self._clock)
        return t

    def _rebase_to(self, new_base: float) -> None:
        factor = 2.0 ** (-(new_base - self._base) / self._half_life)
        for group in (self._counters, self._pending):
            for c in group.values():
                c.rescale(factor)
        self._base = new_base

    def _weight_at(self, t: float) -> float:
        h = self._half_life
        return 2.0 ** ((t - self._base) / h) if h > 0 else 1.0

    def _view_scale(self) -> float:
        h = self._half_life
        return 2.0 ** (-(self._clock - self._base) / h) if h > 0 else 1.0

    def effective(self, arm: str) -> tuple[float, float, float, float]:
        """(observations, successes, reward sum, sum of squares) as the algorithm sees them."""
        c = self._counters[arm]
        s = self._view_scale()
        return c.w_n * s, c.w_successes * s, c.w_reward * s, c.w_reward_sq * s

    # -- serving ---------------------------------------------------------------------------
    def choose(
        self, context: Mapping[str, Any], unit: float | None, rng: random.Random
    ) -> str | None:
        """Map the unit (or a fresh draw) onto the cached weights; count the evaluation."""
        cum = self._cum
        if not cum:
            return None
        arm = self._arms[pick(cum, rng.random() if unit is None else unit)]
        self._counters[arm].pulls += 1
        pending = self._pending.get(arm)
        if pending is None:
            pending = self._pending[arm] = ArmCounters()
        pending.pulls += 1
        return arm

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
        """Count one observation for a known arm."""
        reward = check_reward(reward)
        counters = self._counters.get(arm) if arm is not None else None
        if counters is None or arm is None:
            return False
        ok = reward > 0 if success is None else bool(success)
        weight = self._weight_at(self._advance(now))
        counters.observe(ok, reward, weight, error)
        pending = self._pending.get(arm)
        if pending is None:
            pending = self._pending[arm] = ArmCounters()
        pending.observe(ok, reward, weight, error)
        return True

    def refresh(self, rng: random.Random, now: float | None = None) -> None:
        """Recompute the allocation from the counters and cache it for sticky choices."""
        self._advance(now)
        if self._arms:
            self._cache(self._allocation(rng))

    @abstractmethod
    def _allocation(self, rng: random.Random) -> list[float]:
        """Raw allocation weights aligned with `self._arms` (before the min_share floor)."""

    def _priority(self) -> list[int]:
        """Tie-break ranks for this refresh (see `allocation.pick_best`)."""
        seen = sum(c.successes + c.failures for c in self._counters.values())
        return tie_priority(self._arms, seen)

    def _cache(self, raw: list[float]) -> None:
        self._weights = apply_floor(raw, float(self.settings.get("min_share", 0.0)))
        self._cum = cumulative(self._weights)

    def weights(self) -> dict[str, float]:
        """Cached allocation per arm."""
        return dict(zip(self._arms, self._weights, strict=True))

    def arms(self) -> tuple[str, ...]:
        """Arm names, sorted."""
        return self._arms

    def set_arms(self, arms: Sequence[str], rng: random.Random) -> None:
        """Keep counters of surviving arms, start new ones at zero, forget removed ones."""
        new = tuple(sorted(set(arms)))
        self._counters = {a: self._counters.get(a) or ArmCounters() for a in new}
        self._pending = {a: c for a, c in self._pending.items() if a in self._counters}
        self._arms = new
        self._cache([1.0] * len(new))
        self.refresh(rng)

    # -- results ---------------------------------------------------------------------------
    def _posterior_params(self) -> list[tuple[float, float]]:
        """Beta posteriors used for probability-of-best (uniform prior unless overridden)."""
        out = []
        for arm in self._arms:
            n, s, _, _ = self.effective(arm)
            out.append((1.0 + s, 1.0 + max(0.0, n - s)))
        return out

    def _probability_best(self, rng: random.Random, samples: int) -> list[float]:
        return beta_probability_best(self._posterior_params())

    def statistics(self, rng: random.Random, samples: int = DEFAULT_SAMPLES) -> list[ArmStatistics]:
        """Per-arm results: raw counts, Wilson interval, probability of being best, weight."""
        p_best = self._probability_best(rng, samples)
        return [
            self._counters[arm].statistics(arm, p_best[i], self._weights[i])
            for i, arm in enumerate(self._arms)
        ]

    def summary(self) -> dict[str, Any]:
        """Totals over all arms and the arm with the largest weight."""
        best = max(range(len(self._arms)), key=self._weights.__getitem__, default=None)
        return {
            "evaluations": sum(c.pulls for c in self._counters.values()),
            "observations": sum(c.successes + c.failures for c in self._counters.values()),
            "leader": None if best is None else self._arms[best],
        }

    # -- deltas ----------------------------------------------------------------------------
    def take_delta(self) -> Json:
        """Pending counters per arm, stamped with the decay base they are weighted against."""
        out = {
            "slug": self.slug,
            "base": self._base,
            "clock": self._clock,
            "arms": {a: c.to_json() for a, c in sorted(self._pending.items())},
        }
        self._pending = {}
        return out

    def _merge(self, delta: Mapping[str, Any], *, into_pending: bool) -> None:
        self._check_delta(delta)
        base = finite(delta.get("base"), "delta base")
        self._clock = max(self._clock, finite(delta.get("clock"), "delta clock"))
        scale = 1.0
        h = self._half_life
        if h > 0:
            if base > self._base:
                self._rebase_to(base)  # never scale a sum up: move our base forward instead
            scale = 2.0 ** ((base - self._base) / h)
        arms = delta.get("arms")
        if not isinstance(arms, Mapping):
            raise ValueError("delta arms must be an object")
        for arm, raw in arms.items():
            counters = self._counters.get(arm)
            if counters is None:
                continue  # an arm this node no longer serves (variants changed meanwhile)
            inc = ArmCounters.from_json(raw)
            counters.add(inc, scale)
            if into_pending:
                pending = self._pending.setdefault(arm, ArmCounters())
                pending.add(inc, scale)
        self._advance(None)

    # -- configuration and JSON ------------------------------------------------------------
    def _configured(self, old: Settings, rng: random.Random) -> None:
        if old.get("decay_half_life") != self.settings.get("decay_half_life"):
            # existing sums are taken as "as of now" under the new half-life
            self._base = self._clock
        self.refresh(rng)

    def to_json(self) -> Json:
        """Settings, arms, totals, pending counters, cached weights and the decay clock."""
        out = self._envelope()
        out.update(
            {
                "arms": list(self._arms),
                "counters": {a: self._counters[a].to_json() for a in self._arms},
                "pending": {a: c.to_json() for a, c in sorted(self._pending.items())},
                "weights": list(self._weights),
                "base": self._base,
                "clock": self._clock,
            }
        )
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild from `to_json` output."""
        settings = check_envelope(cls, data)
        arms = data.get("arms")
        if not isinstance(arms, list) or not all(isinstance(a, str) for a in arms):
            raise ValueError("arms must be a list of strings")
        if len(set(arms)) != len(arms):
            raise ValueError("arms must be unique")
        state = cls(settings, arms, now=finite(data.get("base"), "base"))
        state._clock = finite(data.get("clock"), "clock")
        counters = data.get("counters")
        pending = data.get("pending")
        if not isinstance(counters, Mapping) or not isinstance(pending, Mapping):
            raise ValueError("counters and pending must be objects")
        if set(counters) != set(state._arms) or not set(pending) <= set(state._arms):
            raise ValueError("counters must cover exactly the arms")
        state._counters = {a: ArmCounters.from_json(counters[a]) for a in state._arms}
        state._pending = {str(a): ArmCounters.from_json(c) for a, c in pending.items()}
        weights = data.get("weights")
        if not isinstance(weights, list) or len(weights) != len(state._arms):
            raise ValueError("weights must be a list aligned with arms")
        state._weights = [finite(w, "weight") for w in weights]
        state._cum = cumulative(state._weights)
        return state
