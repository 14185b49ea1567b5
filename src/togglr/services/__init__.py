"""Use cases. `Services` is the container handed to the web layer and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from togglr.eventbus import EventBus
from togglr.services.accounts import AccountService
from togglr.services.evaluation import EvaluationService
from togglr.services.features import FeatureService
from togglr.services.feedback import FeedbackService
from togglr.services.projects import ProjectService
from togglr.services.segments import SegmentService
from togglr.services.snapshots import SnapshotStore
from togglr.services.tags import TagService


@dataclass
class Services:
    storage: Any
    bus: EventBus
    accounts: AccountService
    projects: ProjectService
    features: FeatureService
    segments: SegmentService
    tags: TagService
    snapshots: SnapshotStore
    evaluation: EvaluationService
    feedback: FeedbackService
    audit: Any
    extra: dict[str, Any] = field(default_factory=dict)  # later capabilities register here
