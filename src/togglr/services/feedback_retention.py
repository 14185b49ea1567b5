"""Retention of raw feedback events: keep `days` days, prepare tomorrow's partitions.

Statistics do not depend on the raw events (they live in the shared algorithm state and the
rollups), so dropping old raw events loses no results. See docs/adr/0011-feedback-storage.md.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from togglr.services.common import Clock

log = logging.getLogger(__name__)

DAYS_AHEAD = 7  # partitions kept ready, so an outage of the job cannot leave a day without one
PERIOD_SECONDS = 3600.0


class FeedbackRetention:
    def __init__(self, storage: Any, clock: Clock, days: int) -> None:
        self._storage = storage
        self._now = clock
        self.days = days

    async def run_once(self) -> dict[str, Any]:
        """Create the coming days' partitions and remove events past the retention."""
        now = self._now()
        cutoff = now - timedelta(days=self.days)
        async with self._storage.unit_of_work() as uow:
            mode = await uow.feedback_retention.mode()
            if mode == "partitioned":
                today = now.date()
                await uow.feedback_retention.ensure_partitions(
                    today + timedelta(days=i) for i in range(DAYS_AHEAD + 1)
                )
        removed = 0
        while self.days > 0:
            # one bounded batch per transaction, so a large backlog never holds a long lock
            async with self._storage.unit_of_work() as uow:
                n = await uow.feedback_retention.purge(cutoff, mode)
            removed += n
            if mode != "plain" or n == 0:
                break
        return {"mode": mode, "cutoff": cutoff, "removed": removed}

    async def run(self) -> None:
        """Background loop (hourly)."""
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("feedback retention failed")
            await asyncio.sleep(PERIOD_SECONDS)
