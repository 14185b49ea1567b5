"""The contract every algorithm state implements, and the plumbing they share."""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

from togglr.bandits.settings import AlgorithmSpec, Kind, Settings
from togglr.bandits.stats import DEFAULT_SAMPLES, ArmStatistics

FORMAT = 1  # version of the JSON layout written by to_json()/take_delta()
Json = dict[str, Any]


class AlgorithmState(ABC):
    """Live, serialisable state of one algorithm attached to one feature in one environment.

    Plain data plus pure methods: randomness (`rng`) and time (`now`, seconds on any monotone
    scale shared by the nodes, e.g. Unix time) are passed in. See the package docstring for the
    call sequence the service layer follows.
    """

    spec: ClassVar[AlgorithmSpec]

    def __init__(
        self,
        settings: Mapping[str, object] | None = None,
        arms: Sequence[str] = (),
        *,
        now: float = 0.0,
    ) -> None:
        self.settings: Settings = self.spec.validate(settings)

    @property
    def slug(self) -> str:
        """The algorithm's catalogue slug."""
        return self.spec.slug

    @property
    def kind(self) -> Kind:
        """bandit, contextual_bandit or optimizer."""
        return self.spec.kind

    # -- serving ---------------------------------------------------------------------------
    @abstractmethod
    def choose(
        self, context: Mapping[str, Any], unit: float | None, rng: random.Random
    ) -> str | float | None:
        """Pick an arm name (bandits) or the number to serve (optimizers); None = no choice.

        With `unit` (the user's stable position in [0, 1)) the answer is a pure function of the
        unit, the context and the weights cached by the last `refresh`, so it is sticky; with
        None it is drawn from `rng`. Counts one evaluation for the chosen arm.
        """

    @abstractmethod
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
        """Apply one feedback event (see `togglr.bandits.feedback`); False if it was not usable.

        `success=None` means "derive it from the reward" (reward > 0). Unknown arms are ignored,
        never added: arms come from the feature's variants only.
        """

    @abstractmethod
    def refresh(self, rng: random.Random, now: float | None = None) -> None:
        """Recompute the cached allocation (bandits) or take a due step (optimizers)."""

    @abstractmethod
    def weights(self) -> dict[str, float]:
        """Current allocation weights per arm; they sum to 1."""

    @abstractmethod
    def arms(self) -> tuple[str, ...]:
        """Arm names in their fixed (sorted) order; optimizers: the values being served."""

    @abstractmethod
    def set_arms(self, arms: Sequence[str], rng: random.Random) -> None:
        """Reconcile with the feature's variants: keep known arms, zero new ones, drop removed."""

    # -- results ---------------------------------------------------------------------------
    @abstractmethod
    def statistics(self, rng: random.Random, samples: int = DEFAULT_SAMPLES) -> list[ArmStatistics]:
        """One results row per arm (optimizers: per value currently served)."""

    @abstractmethod
    def summary(self) -> dict[str, Any]:
        """Algorithm-level figures (totals; optimizers: current/best value, iteration, ...)."""

    # -- multi-node convergence ------------------------------------------------------------
    @abstractmethod
    def take_delta(self) -> Json:
        """Everything recorded or counted here since the previous call, as JSON; then reset it."""

    def merge_delta(self, delta: Mapping[str, Any]) -> None:
        """Fold another node's delta (or a stored one) into this state."""
        self._merge(delta, into_pending=False)

    def rebase(self, shared: Mapping[str, Any]) -> None:
        """Adopt the shared state (`to_json()` of the merged copy) and re-apply local pending.

        Events recorded here after the last `take_delta` stay pending, so the next flush still
        sends them: after `rebase`, this state = shared + not-yet-flushed local events.
        """
        other = type(self).from_json(shared)  # ValueError (and nothing lost) if malformed
        pending = self.take_delta()
        self.__dict__.clear()
        self.__dict__.update(other.__dict__)
        self._merge(pending, into_pending=True)

    @abstractmethod
    def _merge(self, delta: Mapping[str, Any], *, into_pending: bool) -> None:
        """merge_delta, optionally also keeping the delta as not-yet-flushed."""

    # -- configuration and JSON ------------------------------------------------------------
    def configure(self, settings: Mapping[str, object] | None, rng: random.Random) -> None:
        """Apply new settings (validated); counters are kept unless a setting makes them void."""
        old = self.settings
        self.settings = self.spec.validate(settings)
        self._configured(old, rng)

    @abstractmethod
    def _configured(self, old: Settings, rng: random.Random) -> None:
        """React to changed settings."""

    @abstractmethod
    def to_json(self) -> Json:
        """The whole state as a JSON-compatible dict (round-trips through `from_json`)."""

    @classmethod
    @abstractmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild a state written by `to_json`; ValueError if it is malformed."""

    def _envelope(self) -> Json:
        return {"format": FORMAT, "slug": self.slug, "settings": dict(self.settings)}

    def _check_delta(self, delta: Mapping[str, Any]) -> None:
        if delta.get("slug") != self.slug:
            raise ValueError(f"delta for {delta.get('slug')!r} cannot merge into {self.slug!r}")


def check_envelope(cls: type[AlgorithmState], data: Mapping[str, Any]) -> Settings:
    """Validate the common part of a stored state and return its settings."""
    if not isinstance(data, Mapping):
        raise ValueError("state must be an object")
    if data.get("format") != FORMAT:
        raise ValueError(f"unsupported state format {data.get('format')!r}")
    if data.get("slug") != cls.spec.slug:
        raise ValueError(f"state is for {data.get('slug')!r}, not {cls.spec.slug!r}")
    return cls.spec.validate(data.get("settings"))


def finite(value: object, what: str) -> float:
    """A finite float from JSON, or ValueError naming the field."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number")
    return float(value)


def count(value: object, what: str) -> int:
    """A non-negative integer from JSON, or ValueError naming the field."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer")
    return value


def check_reward(reward: float) -> float:
    """Rewards must be finite numbers; anything else is a caller bug worth a 400."""
    if isinstance(reward, bool) or not isinstance(reward, int | float) or not math.isfinite(reward):
        raise ValueError("reward must be a finite number")
    return float(reward)
