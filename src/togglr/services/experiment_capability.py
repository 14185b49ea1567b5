"""The experiments capability's services, as registered in `services.extra["experiments"]`."""

from __future__ import annotations

from dataclasses import dataclass

from togglr.services.experiment_results import ExperimentResults
from togglr.services.experiments import ExperimentService
from togglr.services.feedback_retention import FeedbackRetention
from togglr.services.live_stats import LiveStats


@dataclass(frozen=True, slots=True)
class Experiments:
    service: ExperimentService  # attachments (guarded, audited)
    results: ExperimentResults  # statistics, allocation, series
    live: LiveStats  # this node's live states (the evaluation hook) and their flushing
    retention: FeedbackRetention  # raw feedback retention and partitions
