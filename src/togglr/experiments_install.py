"""Wiring of experiments: algorithm attachments, live statistics, feedback journal and retention.
Called once from `bootstrap.build_runtime()`, after governance (whose change guard it uses).

Registered for other parts:
- `extra["experiments"]`: the `Experiments` services, for the web router and the CLI;
- the SnapshotStore contributor (`FlagSnapshot.algorithm`), the EvaluationService hook provider,
  the FeedbackService listener (journal + live state), and a bus subscriber for changes.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from togglr.services.common import utc_now
from togglr.services.experiment_appliers import register_algorithm_appliers
from togglr.services.experiment_capability import Experiments
from togglr.services.experiment_results import ExperimentResults
from togglr.services.experiments import ExperimentService
from togglr.services.feedback_retention import FeedbackRetention
from togglr.services.live_stats import LiveStats
from togglr.web.admin.experiments import router

if TYPE_CHECKING:
    from togglr.bootstrap import Runtime


def install(runtime: Runtime) -> Experiments:
    services = runtime.services
    storage, bus, clock = services.storage, services.bus, utc_now
    settings = runtime.settings

    live = LiveStats(
        storage, clock, node_id=settings.node_id, interval=settings.stats_flush_interval
    )
    service = ExperimentService(storage, bus, clock)
    guard = services.extra.get("change_guard")
    if guard is not None:  # governance installed: guarded features need approval (202)
        service.guard = guard
        register_algorithm_appliers(guard)
    experiments = Experiments(
        service=service,
        results=ExperimentResults(storage, clock, service, live),
        live=live,
        retention=FeedbackRetention(storage, clock, settings.feedback_retention_days),
    )
    services.extra["experiments"] = experiments
    services.extra.setdefault("routers", []).append(router)
    services.snapshots.add_contributor(service.contribute)
    services.evaluation.set_hook_provider(live.hook, preview=live.preview_hook)
    services.feedback.add_feedback_listener(live.journal)
    bus.subscribe(live.handle)

    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        await live.start()
        tasks.append(asyncio.create_task(live.run(), name="togglr-live-stats"))
        tasks.append(
            asyncio.create_task(experiments.retention.run(), name="togglr-feedback-retention")
        )
        runtime.tasks.extend(tasks)

    async def stop() -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await live.stop()

    runtime.on_startup.append(start)
    # First of the shutdown hooks: the final flush needs the database the core hook closes.
    runtime.on_shutdown.insert(0, stop)
    return experiments
