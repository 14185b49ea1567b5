"""Experiments: an adaptive algorithm attached to a feature in one environment, and its feedback.

An *attachment* binds one algorithm (a catalogue slug from `togglr.bandits`) with its settings to
a feature in an environment. At most one attachment per feature and environment is *current*
(`detached_at is None`); switching to another algorithm detaches the current one and starts a new
attachment with fresh statistics, so the old statistics stay readable under the old id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Event types stored in the per-minute rollups: the three feedback types of the SDK's track
# call, plus `evaluation` for the choices the algorithm made.
ROLLUP_TYPES: tuple[str, ...] = ("evaluation", "success", "failure", "error")


@dataclass(frozen=True, slots=True)
class Attachment:
    id: str
    project_id: str
    environment_id: str
    feature_id: str
    algorithm: str  # catalogue slug
    settings: dict[str, Any]
    enabled: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    detached_at: datetime | None = None

    @property
    def is_current(self) -> bool:
        return self.detached_at is None

    def to_json(self) -> dict[str, Any]:
        """Audit and pending-change form."""
        return {
            "id": self.id,
            "algorithm": self.algorithm,
            "enabled": self.enabled,
            "settings": dict(self.settings),
        }


@dataclass(frozen=True, slots=True)
class StoredState:
    """The shared (merged) algorithm state of an attachment, with its optimistic version."""

    attachment_id: str
    state: dict[str, Any]
    version: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A feedback event accepted by a node and not yet folded into the shared state.

    Written in the same transaction as the raw event, deleted in the transaction that folds it
    in; whatever a crashed node leaves behind is folded in by another node (or its restart).
    """

    id: int
    attachment_id: str
    node: str
    variant_key: str | None
    event_type: str
    reward: float
    context: dict[str, Any] | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class RollupPoint:
    """Count and reward sum of one event type for one variant in one minute."""

    minute: datetime
    variant: str  # "" when the event named no variant
    event_type: str
    count: int
    reward_sum: float
