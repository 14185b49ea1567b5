"""Domain events published on the bus after a change commits. Past tense names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FEATURE_CHANGED = "feature.changed"
FEATURE_DELETED = "feature.deleted"
ENVIRONMENT_CHANGED = "environment.changed"
ENVIRONMENT_DELETED = "environment.deleted"
PROJECT_CHANGED = "project.changed"
PROJECT_DELETED = "project.deleted"
SEGMENT_CHANGED = "segment.changed"
MEMBERSHIP_CHANGED = "membership.changed"
ALGORITHM_CHANGED = "algorithm.changed"
FEEDBACK_RECORDED = "feedback.recorded"


@dataclass(frozen=True, slots=True)
class DomainEvent:
    type: str
    project_id: str | None = None
    environment_id: str | None = None
    feature_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    origin: str | None = None  # node id that published it, so a node can skip its own echo

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "project_id": self.project_id,
            "environment_id": self.environment_id,
            "feature_id": self.feature_id,
            "payload": self.payload,
            "origin": self.origin,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> DomainEvent:
        return cls(
            type=str(raw["type"]),
            project_id=raw.get("project_id"),
            environment_id=raw.get("environment_id"),
            feature_id=raw.get("feature_id"),
            payload=dict(raw.get("payload") or {}),
            origin=raw.get("origin"),
        )
