"""One attachment's live state on one node: the hook the evaluation engine asks for a variant,
and what the node saw since its last flush (the delta, journal ids and rollup increments)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from togglr.bandits import AlgorithmState, format_value, load_state, observation
from togglr.domain.experiments import Attachment
from togglr.domain.feedback import FeedbackEvent

Bucket = tuple[datetime, str, str]  # (minute, variant or "", event type)
Rollups = dict[Bucket, list[float]]  # bucket -> [count, reward sum]


def new_rollups() -> Rollups:
    return defaultdict(lambda: [0, 0.0])


def minute_of(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def count_event(
    rollups: Rollups, at: datetime, variant: str | None, event_type: str, reward: float
) -> None:
    bucket = rollups[(minute_of(at), variant or "", event_type)]
    bucket[0] += 1
    bucket[1] += reward


def merge_rollups(batches: list[Rollups]) -> dict[Bucket, tuple[int, float]]:
    total = new_rollups()
    for rollups in batches:
        for bucket, (n, reward) in rollups.items():
            total[bucket][0] += n
            total[bucket][1] += reward
    return {b: (int(v[0]), v[1]) for b, v in total.items()}


def arm_text(arm: str | float) -> str:
    """Variant name, or an optimizer's served value as the SDK sees it."""
    return arm if isinstance(arm, str) else format_value(float(arm))


@dataclass
class Batch:
    """What one `take()` removed from a live state, kept until a flush commits it."""

    delta: dict[str, Any] | None  # None: replay the journaled events instead
    journal_ids: list[int]
    rollups: Rollups


@dataclass(eq=False)
class LiveAlgorithm:
    """The engine's AlgorithmHook for one attachment (see togglr.evaluation.snapshot)."""

    attachment: Attachment
    state: AlgorithmState
    version: int  # of the stored shared state this one is based on
    arms: tuple[str, ...]  # the feature's variant names in this environment
    rng: random.Random
    dirty: bool = False  # something happened since the last take
    evaluations: dict[Any, int] = field(default_factory=dict)
    journal_ids: list[int] = field(default_factory=list)
    rollups: Rollups = field(default_factory=new_rollups)
    unflushed: list[Batch] = field(default_factory=list)

    def choose(self, context: Mapping[str, Any], unit: float | None) -> str | float | None:
        """Hot path: the state's sticky choice, plus one counter for the evaluation series."""
        arm = self.state.choose(context, unit, self.rng)
        if arm is not None:
            self.evaluations[arm] = self.evaluations.get(arm, 0) + 1
            self.dirty = True
        return arm

    def preview(self, context: Mapping[str, Any], unit: float | None) -> str | float | None:
        """The same answer as `choose` (for a unit), on a throwaway copy: explaining a decision
        to an administrator is not an evaluation and must not move the statistics."""
        return load_state(self.state.to_json()).choose(context, unit, random.Random())

    def record(self, event: FeedbackEvent, journal_id: int) -> None:
        """Apply a feedback event this node accepted (and journaled as `journal_id`)."""
        obs = observation(event.event_type, event.reward)
        self.state.record(
            event.variant_key,
            obs.reward,
            obs.success,
            event.context,
            self.rng,
            now=event.received_at.timestamp(),
            error=obs.error,
        )
        count_event(
            self.rollups, event.received_at, event.variant_key, event.event_type, obs.reward
        )
        self.journal_ids.append(journal_id)
        self.dirty = True

    def take(self, now: datetime) -> None:
        """Move everything seen since the last take into a batch waiting to be flushed."""
        minute = minute_of(now)
        for arm, n in self.evaluations.items():
            self.rollups[(minute, arm_text(arm), "evaluation")][0] += n
        self.unflushed.append(Batch(self.state.take_delta(), self.journal_ids, self.rollups))
        self.evaluations = {}
        self.journal_ids = []
        self.rollups = new_rollups()
        self.dirty = False

    def pending_events(self) -> int:
        """Journaled events recorded here and not yet in the shared state."""
        return len(self.journal_ids) + sum(len(b.journal_ids) for b in self.unflushed)


class PreviewHook:
    """An AlgorithmHook for the explain endpoint: a live algorithm's answer, counted nowhere."""

    def __init__(self, live: LiveAlgorithm) -> None:
        self._live = live

    def choose(self, context: Mapping[str, Any], unit: float | None) -> str | float | None:
        return self._live.preview(context, unit)
