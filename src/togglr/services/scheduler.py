"""Records schedule transitions as they happen: an audit entry (actor system) and a bus event.

It does not switch anything: the engine applies schedules at evaluation time. The runner sleeps
until the earliest next transition of any scheduled feature (from `next_transition`), wakes when a
change event may have moved that instant, and on each pass records every transition between the
previous pass and now, so a late wake-up still records the right instants. Several nodes may run
it: the transition table's key lets only the first node record (and announce) each transition.

Each pass also stores how far it got. A node that starts resumes from the latest stored mark
(bounded by `max_backfill` seconds), so transitions that fell while no server ran are recorded
with their own instants, late. That is sound because nothing can change the schedules while no
server runs, and every change wakes the runner, so the mark always lies after the last change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from togglr.domain import events as ev
from togglr.domain.accounts import SYSTEM
from togglr.domain.errors import TogglrError
from togglr.domain.events import DomainEvent
from togglr.domain.feature_schedules import SCHEDULE_TRANSITIONED
from togglr.evaluation.schedules import is_window_active, next_transition, timeline
from togglr.evaluation.snapshot import FlagSnapshot
from togglr.eventbus import EventBus
from togglr.services.common import Clock, audit
from togglr.services.snapshots import EnvironmentSnapshot, SnapshotStore

log = logging.getLogger(__name__)
_WAKE_ON = {
    ev.FEATURE_CHANGED,
    ev.FEATURE_DELETED,
    ev.ENVIRONMENT_CHANGED,
    ev.ENVIRONMENT_DELETED,
    ev.PROJECT_CHANGED,
    ev.PROJECT_DELETED,
}
_TICK = timedelta(microseconds=1)


class ScheduleRunner:
    def __init__(
        self,
        storage: Any,
        bus: EventBus,
        clock: Clock,
        snapshots: SnapshotStore,
        *,
        max_sleep: float = 3600.0,
        max_backfill: float = 7 * 24 * 3600.0,
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._now = clock
        self._snapshots = snapshots
        self._max_sleep = max_sleep  # re-read the wall clock at least this often
        self._max_backfill = timedelta(seconds=max_backfill)
        self._wake = asyncio.Event()
        self._checked_until: datetime | None = None
        self.next_at: datetime | None = (
            None  # the earliest planned transition (for tests and metrics)
        )

    async def handle(self, event: DomainEvent) -> None:
        """Bus subscriber: a change may move the next transition, so plan again."""
        if event.type in _WAKE_ON:
            self._wake.set()

    async def run(self) -> None:
        self._checked_until = await self._resume_point()
        while True:
            self._wake.clear()
            try:
                delay = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop must survive a bad row or a database hiccup
                log.exception("schedule runner pass failed")
                delay = 5.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _resume_point(self) -> datetime:
        """Where the first pass starts: the stored mark, at most `max_backfill` back."""
        now = self._now()
        try:
            async with self._storage.unit_of_work() as uow:
                mark = await uow.schedules.checked_until()
        except Exception:  # no mark readable: start from now, as before the first pass
            log.exception("cannot read the schedule runner's mark")
            return now
        if mark is None or mark >= now:
            return now
        return max(mark, now - self._max_backfill)

    async def step(self) -> float:
        """Record what happened since the last pass; return seconds until the next transition."""
        now = self._now()
        since = self._checked_until or now
        scheduled = [
            (env, flag)
            for env in self._snapshots.environments()
            for flag in env.flags.values()
            if flag.schedules
        ]
        if since < now:
            for env, flag in scheduled:
                try:
                    changes = timeline(flag.enabled, flag.schedules, since, now + _TICK)[1:]
                except TogglrError:  # too many changes to list (a pathological cron): skip it
                    log.warning(
                        "cannot list transitions of %s in %s", flag.feature_key, env.environment_key
                    )
                    continue
                for at, enabled in changes:
                    await self._record(env, flag, at, enabled)
        # A failure above leaves this unchanged, so the next pass retries the same span.
        self._checked_until = now
        async with self._storage.unit_of_work() as uow:
            await uow.schedules.advance_checked_until(now)
        upcoming = [
            t
            for t in (next_transition(f.enabled, f.schedules, now) for _, f in scheduled)
            if t is not None
        ]
        self.next_at = min((at for at, _ in upcoming), default=None)
        if self.next_at is None:
            return self._max_sleep
        seconds = (self.next_at - self._now()).total_seconds()
        return min(max(seconds, 0.0) + 0.001, self._max_sleep)

    async def _record(
        self, env: EnvironmentSnapshot, flag: FlagSnapshot, at: datetime, enabled: bool
    ) -> None:
        causes = [
            s.id
            for s in flag.schedules
            if is_window_active(s, at) != is_window_active(s, at - _TICK)
        ]
        now = self._now()
        try:
            async with self._storage.unit_of_work() as uow:
                if not await uow.schedules.record_transition(
                    flag.feature_id, env.environment_id, at, enabled, now
                ):
                    return  # another node got there first
                await audit(
                    uow,
                    SYSTEM,
                    now,
                    entity="feature_state",
                    entity_id=f"{flag.feature_id}:{env.environment_key}",
                    action="schedule_on" if enabled else "schedule_off",
                    project_id=env.project_id,
                    environment_id=env.environment_id,
                    feature_id=flag.feature_id,
                    old={"enabled": not enabled},
                    new={"enabled": enabled, "at": at.isoformat(), "schedule_ids": causes},
                )
        except TogglrError:  # the feature or environment went away meanwhile
            return
        await self._bus.publish(
            DomainEvent(
                SCHEDULE_TRANSITIONED,
                project_id=env.project_id,
                environment_id=env.environment_id,
                feature_id=flag.feature_id,
                payload={
                    "enabled": enabled,
                    "at": at.isoformat(),
                    "schedule_ids": causes,
                    "event_id": f"transition:{flag.feature_id}:{env.environment_id}:{at:%s%f}",
                },
            )
        )
