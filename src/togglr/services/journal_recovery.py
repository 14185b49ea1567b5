"""Folding journaled feedback into the shared state when the node that accepted it cannot.

A node that dies between accepting an event and flushing it leaves the event's journal row
behind. Whoever claims the dead node's lease (or finds rows of a node holding no lease) replays
those rows into the shared state, adds their rollups and deletes them, all in one transaction, so
each event is counted exactly once whichever node gets there first.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from datetime import datetime
from typing import Any

from togglr.bandits import AlgorithmState, load_state, observation
from togglr.domain.experiments import JournalEntry
from togglr.services.common import Clock
from togglr.services.live_algorithm import Rollups, count_event, merge_rollups, new_rollups

log = logging.getLogger(__name__)

BATCH = 2000  # journal rows per transaction
ATTEMPTS = 100


class StaleWriteError(Exception):
    """Another writer changed the shared state or the journal first: roll back, read again."""


class LeaseLostError(Exception):
    """Our journal rows were folded by another node (our lease was claimed while we stalled)."""


class JournalRecovery:
    def __init__(self, storage: Any, clock: Clock, rng: random.Random) -> None:
        self._storage = storage
        self._now = clock
        self._rng = rng

    async def recover(self, node: str, *, claim: bool, cutoff: datetime | None) -> None:
        """Fold all of `node`'s journal; with `claim`, first take over its expired lease."""
        if claim:
            async with self._storage.unit_of_work() as uow:
                if not await uow.feedback_journal.release(node, seen_before=cutoff):
                    return  # renewed meanwhile, or claimed by someone else
        for _ in range(ATTEMPTS):
            try:
                if await self.fold(node):
                    return
            except StaleWriteError:
                continue  # a concurrent flush or recovery: read again
            except Exception:
                log.exception("could not recover the feedback journal of %s", node)
                return

    async def fold(
        self, node: str, *, older_than: datetime | None = None, skip: set[int] | None = None
    ) -> bool:
        """Fold one batch of `node`'s journal rows; True when none are left."""
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            entries = await uow.feedback_journal.entries(
                nodes=[node], older_than=older_than, limit=BATCH
            )
            if skip:
                entries = [e for e in entries if e.id not in skip]
            if not entries:
                return True
            by_attachment: dict[str, list[JournalEntry]] = defaultdict(list)
            for e in entries:
                by_attachment[e.attachment_id].append(e)
            for attachment_id, group in by_attachment.items():
                await self._replay(uow, attachment_id, group, now)
            if await uow.feedback_journal.delete(e.id for e in entries) != len(entries):
                raise StaleWriteError
        log.info("folded %d journaled feedback events of node %s", len(entries), node)
        return len(entries) < BATCH

    def replay(self, shared: AlgorithmState, entries: list[JournalEntry]) -> Rollups:
        """Record journaled events into a shared state; returns their rollup increments."""
        rollups = new_rollups()
        for e in entries:
            obs = observation(e.event_type, e.reward)
            shared.record(
                e.variant_key,
                obs.reward,
                obs.success,
                e.context,
                self._rng,
                now=e.received_at.timestamp(),
                error=obs.error,
            )
            count_event(rollups, e.received_at, e.variant_key, e.event_type, obs.reward)
        shared.take_delta()  # the replayed events are part of the shared state, not pending
        return rollups

    async def _replay(
        self, uow: Any, attachment_id: str, entries: list[JournalEntry], now: datetime
    ) -> None:
        stored = await uow.experiments.get_state(attachment_id)
        shared = load_state(stored.state)
        rollups = self.replay(shared, entries)
        shared.refresh(self._rng, now=now.timestamp())
        if not await uow.experiments.save_state(
            attachment_id, shared.to_json(), stored.version, now
        ):
            raise StaleWriteError
        await uow.feedback_rollups.add(attachment_id, merge_rollups([rollups]))
