"""Feedback events sent by SDKs about a served variant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class FeedbackEvent:
    project_id: str
    environment_id: str
    feature_id: str
    feature_key: str
    algorithm_slug: str | None
    variant_key: str | None
    event_type: str  # success | failure | error
    reward: float
    context: dict[str, Any] | None
    dedup_key: str | None
    created_at: datetime  # when the SDK says it happened
    received_at: datetime  # when we accepted it
