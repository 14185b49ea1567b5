"""Live algorithm state: in memory for evaluation, journaled for durability, merged by deltas.

Each node keeps one `LiveAlgorithm` per current attachment. Evaluations ask it for a variant
(`choose`, no I/O). A feedback event accepted by this node is journaled in the same transaction
as the raw event and recorded in memory after the commit; no other node applies it (they learn it
from the shared state). Every `interval` seconds the node folds what it saw (a *delta*, never an
absolute value) into the shared state in the database, in one transaction that also deletes the
folded journal rows and adds the per-minute rollups, then adopts the merged state (`rebase`).
Nodes without local changes pick up others' flushes by comparing versions.

Crash safety: a node holds a lease (`experiment_nodes`) that every cycle renews. When a node
stops without flushing, its journal rows outlive its lease and another node (or its own restart)
folds them into the shared state, so an accepted event is never lost or counted twice. Only
evaluation counts of the last interval die with a crashed node (they are not journaled).
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from togglr.bandits import load_state
from togglr.domain import events as ev
from togglr.domain.events import DomainEvent
from togglr.domain.experiments import Attachment
from togglr.domain.feedback import FeedbackEvent
from togglr.evaluation.snapshot import FlagSnapshot
from togglr.services.common import Clock
from togglr.services.journal_recovery import JournalRecovery, LeaseLostError, StaleWriteError
from togglr.services.live_algorithm import (
    Batch,
    LiveAlgorithm,
    PreviewHook,
    merge_rollups,
    new_rollups,
)
from togglr.services.snapshots import EnvironmentSnapshot

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (environment_id, feature_id)
SAVE_ATTEMPTS = 5


class LiveStats:
    """The node's live states, the feedback journal, flushing, syncing and recovery."""

    def __init__(
        self,
        storage: Any,
        clock: Clock,
        *,
        node_id: str,
        interval: float = 5.0,
        lease_seconds: float | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._storage = storage
        self._now = clock
        self._node_id = node_id
        self.interval = interval
        self.lease = timedelta(seconds=lease_seconds or max(30.0, 6.0 * interval))
        self._rng = rng or random.Random()
        self._live: dict[Key, LiveAlgorithm] = {}
        self._lock = asyncio.Lock()
        self.node: str | None = None  # this incarnation's lease name, once started
        self._recovery = JournalRecovery(storage, clock, self._rng)

    # --- hot paths ---------------------------------------------------------------------------
    def hook(self, environment_id: str, feature_id: str) -> LiveAlgorithm | None:
        """The EvaluationService's hook provider."""
        live = self._live.get((environment_id, feature_id))
        return live if live is not None and live.attachment.enabled else None

    def preview_hook(self, environment_id: str, feature_id: str) -> PreviewHook | None:
        """The explain endpoint's hook provider: answers like `hook`, counts nothing."""
        live = self.hook(environment_id, feature_id)
        return None if live is None else PreviewHook(live)

    def find(self, attachment_id: str) -> LiveAlgorithm | None:
        for live in self._live.values():
            if live.attachment.id == attachment_id:
                return live
        return None

    async def journal(
        self, uow: Any, env: EnvironmentSnapshot, flag: FlagSnapshot, event: FeedbackEvent
    ) -> Callable[[], None] | None:
        """FeedbackService listener: journal the event in its transaction, record it after."""
        key = (env.environment_id, flag.feature_id)
        live = self._live.get(key)
        node = self.node
        if live is None or node is None:
            return None
        journal_id = await uow.feedback_journal.add(
            attachment_id=live.attachment.id,
            node=node,
            variant_key=event.variant_key,
            event_type=event.event_type,
            reward=event.reward,
            context=event.context,
            received_at=event.received_at,
        )

        def record() -> None:
            # If the lease or the attachment changed meanwhile, the journal row is folded in by
            # recovery instead; recording it here as well would count it twice.
            if self.node != node or self._live.get(key) is not live:
                return
            try:
                live.record(event, journal_id)
            except Exception:
                log.exception("could not apply feedback to %s", live.attachment.id)

        return record

    # --- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Take a lease, fold what earlier runs of this node left behind, load every state."""
        node = f"{self._node_id}:{uuid.uuid4().hex[:12]}"
        async with self._storage.unit_of_work() as uow:
            await uow.feedback_journal.register(node, self._now())
            earlier = [
                n for n in await uow.feedback_journal.nodes_like(f"{self._node_id}:") if n != node
            ]
        self.node = node
        for old in earlier:  # node ids are unique among running nodes: these runs are over
            await self._recovery.recover(old, claim=True, cutoff=None)
        await self._recover_dead()
        await self.load_all()

    async def stop(self) -> None:
        """Flush everything and give the lease back."""
        async with self._lock:
            await self._flush_all()
        node, self.node = self.node, None
        if node is not None:
            try:
                async with self._storage.unit_of_work() as uow:
                    await uow.feedback_journal.release(node)
            except Exception:
                log.exception("could not release the experiments lease of %s", node)

    async def run(self) -> None:
        """Background loop: renew the lease, flush, sync, recover crashed nodes."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.cycle()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live statistics cycle failed")

    async def cycle(self) -> None:
        async with self._lock:
            if not await self._renew():
                return
            await self._flush_all()
            await self._sync()
            await self._recover_strays()
        await self._recover_dead()

    # --- loading -----------------------------------------------------------------------------
    async def load_all(self) -> None:
        async with self._storage.unit_of_work() as uow:
            attachments = await uow.experiments.list_current()
            loaded = [await self._load(uow, a) for a in attachments]
        async with self._lock:
            self._live = {
                (lv.attachment.environment_id, lv.attachment.feature_id): lv for lv in loaded if lv
            }

    async def _load(self, uow: Any, attachment: Attachment) -> LiveAlgorithm | None:
        stored = await uow.experiments.get_state(attachment.id)
        arms = await self._arms(uow, attachment)
        try:
            state = load_state(stored.state)
        except (ValueError, ImportError):
            log.exception("cannot load the state of attachment %s", attachment.id)
            return None
        if state.kind != "optimizer" and tuple(state.arms()) != arms:
            state.set_arms(arms, self._rng)
        return LiveAlgorithm(attachment, state, stored.version, arms, self._rng)

    @staticmethod
    async def _arms(uow: Any, attachment: Attachment) -> tuple[str, ...]:
        states = await uow.states.list(
            feature_ids=[attachment.feature_id], environment_id=attachment.environment_id
        )
        return tuple(sorted(v.name for v in states[0].variants)) if states else ()

    async def reload(self, feature_id: str, environment_id: str | None = None) -> None:
        """Re-read a feature's attachments (all environments when None) after a change."""
        async with self._lock:
            async with self._storage.unit_of_work() as uow:
                if environment_id is None:
                    found = await uow.experiments.list_current(feature_ids=[feature_id])
                    envs = {a.environment_id for a in found}
                    envs |= {e for e, f in self._live if f == feature_id}
                else:
                    envs = {environment_id}
                current = {e: await uow.experiments.find_current(feature_id, e) for e in envs}
            # Retire replaced attachments outside that transaction: flushing opens its own, and
            # SQLite allows one writer at a time.
            for env_id, attachment in current.items():
                live = self._live.get((env_id, feature_id))
                if live is not None and (attachment is None or attachment.id != live.attachment.id):
                    del self._live[(env_id, feature_id)]
                    try:
                        await self._flush(live)  # the old attachment keeps its final statistics
                    except Exception:
                        log.exception("could not flush retired attachment %s", live.attachment.id)
            async with self._storage.unit_of_work() as uow:
                for attachment in current.values():
                    if attachment is not None:
                        await self._refresh(uow, attachment)

    async def _refresh(self, uow: Any, current: Attachment) -> None:
        """Load a new attachment, or bring a live one up to date (settings, switch, variants)."""
        key = (current.environment_id, current.feature_id)
        live = self._live.get(key)
        if live is None:
            fresh = await self._load(uow, current)
            if fresh is not None:
                self._live[key] = fresh
            return
        live.attachment = current
        stored = await uow.experiments.get_state(current.id)
        if stored.version > live.version and not live.unflushed:
            self._adopt(live, stored.state)  # e.g. new settings
            live.version = stored.version
        arms = await self._arms(uow, current)
        if arms != live.arms:
            live.arms = arms
            if live.state.kind != "optimizer":
                live.state.set_arms(arms, self._rng)

    def forget(self, *, feature_id: str | None = None, environment_id: str | None = None) -> None:
        """Drop states whose rows the database deleted (feature or environment removed)."""
        for key in list(self._live):
            if (feature_id is None or key[1] == feature_id) and (
                environment_id is None or key[0] == environment_id
            ):
                del self._live[key]

    async def handle(self, event: DomainEvent) -> None:
        """Bus subscriber."""
        if event.type == ev.FEATURE_DELETED and event.feature_id:
            self.forget(feature_id=event.feature_id)
        elif event.type == ev.ENVIRONMENT_DELETED and event.environment_id:
            self.forget(environment_id=event.environment_id)
        elif event.type == ev.PROJECT_DELETED and event.project_id:
            for key, live in list(self._live.items()):
                if live.attachment.project_id == event.project_id:
                    self._live.pop(key, None)
        elif event.type in (ev.ALGORITHM_CHANGED, ev.FEATURE_CHANGED) and event.feature_id:
            await self.reload(event.feature_id, event.environment_id)

    # --- flushing ----------------------------------------------------------------------------
    async def _flush_all(self) -> None:
        for live in list(self._live.values()):
            try:
                await self._flush(live)
            except Exception:
                log.exception("could not flush statistics of %s", live.attachment.id)

    async def flush(self) -> None:
        """Flush now (tests and shutdown)."""
        async with self._lock:
            await self._flush_all()

    async def _flush(self, live: LiveAlgorithm) -> None:
        if live.dirty:
            live.take(self._now())
        if not live.unflushed:
            return
        for _ in range(SAVE_ATTEMPTS):
            try:
                merged = await self._fold(live)
            except StaleWriteError:
                continue
            except LeaseLostError:
                # Another node folded our journal while we stalled; sending our deltas as well
                # would count those events twice. Drop them; the next cycle reloads (_renew).
                log.warning(
                    "feedback of %s was folded by another node; dropping local deltas",
                    live.attachment.id,
                )
                live.unflushed.clear()
                return
            live.unflushed.clear()
            self._adopt(live, merged)
            return
        raise RuntimeError(f"gave up flushing {live.attachment.id} after {SAVE_ATTEMPTS} conflicts")

    async def _fold(self, live: LiveAlgorithm) -> dict[str, Any]:
        """One transaction: shared += deltas, journal rows out, rollups in."""
        now = self._now()
        aid = live.attachment.id
        async with self._storage.unit_of_work() as uow:
            stored = await uow.experiments.get_state(aid)
            shared = load_state(stored.state)
            if shared.kind != "optimizer" and tuple(shared.arms()) != live.arms:
                shared.set_arms(live.arms, self._rng)
            ids: list[int] = []
            for batch in live.unflushed:
                ids.extend(batch.journal_ids)
                if batch.delta is not None:
                    try:
                        shared.merge_delta(batch.delta)
                        continue
                    except ValueError as exc:  # e.g. the context hashing changed meanwhile
                        log.warning(
                            "replaying feedback of %s: its delta no longer fits (%s)", aid, exc
                        )
                entries = await uow.feedback_journal.entries(ids=batch.journal_ids)
                self._recovery.replay(shared, entries)
            shared.refresh(self._rng, now=now.timestamp())
            merged = shared.to_json()
            if not await uow.experiments.save_state(aid, merged, stored.version, now):
                raise StaleWriteError
            if ids and await uow.feedback_journal.delete(ids) != len(ids):
                # Someone folded our journal rows: our lease was claimed while we stalled.
                raise LeaseLostError
            await uow.feedback_rollups.add(aid, merge_rollups([b.rollups for b in live.unflushed]))
        live.version = stored.version + 1
        return merged

    async def _sync(self) -> None:
        """Adopt the shared state of attachments that other nodes (or the API) changed."""
        if not self._live:
            return
        async with self._storage.unit_of_work() as uow:
            versions = await uow.experiments.versions(
                lv.attachment.id for lv in self._live.values()
            )
            for live in list(self._live.values()):
                seen = versions.get(live.attachment.id)
                if seen is None or seen <= live.version or live.unflushed:
                    continue
                stored = await uow.experiments.get_state(live.attachment.id)
                self._adopt(live, stored.state)
                live.version = stored.version

    @staticmethod
    def _adopt(live: LiveAlgorithm, shared: dict[str, Any]) -> None:
        """Take over the shared state, keeping what this node has not flushed yet."""
        try:
            live.state.rebase(shared)
        except ValueError as exc:
            # The local delta cannot merge into the new state (the settings changed its shape):
            # start from the shared state and replay the journaled feedback at the next flush.
            log.warning(
                "local statistics of %s reset to the shared state (%s)", live.attachment.id, exc
            )
            live.state = load_state(shared)
            if live.journal_ids or live.rollups:
                live.unflushed.append(Batch(None, live.journal_ids, live.rollups))
            live.journal_ids, live.rollups, live.evaluations = [], new_rollups(), {}

    # --- leases and recovery -----------------------------------------------------------------
    async def _renew(self) -> bool:
        node = self.node
        if node is None:
            return False
        async with self._storage.unit_of_work() as uow:
            held = await uow.feedback_journal.renew(node, self._now())
        if held:
            return True
        await self._lease_lost()
        return False

    async def _lease_lost(self) -> None:
        """Another node folded our journal: drop local pending work and start a new lease."""
        log.warning("experiments lease of %s was claimed by another node; reloading", self.node)
        node = f"{self._node_id}:{uuid.uuid4().hex[:12]}"
        async with self._storage.unit_of_work() as uow:
            await uow.feedback_journal.register(node, self._now())
        self.node = node
        self._live = {}
        await self._load_without_lock()

    async def _load_without_lock(self) -> None:
        async with self._storage.unit_of_work() as uow:
            attachments = await uow.experiments.list_current()
            loaded = [await self._load(uow, a) for a in attachments]
        self._live = {
            (lv.attachment.environment_id, lv.attachment.feature_id): lv for lv in loaded if lv
        }

    async def _recover_dead(self) -> None:
        """Fold the journals of nodes whose lease ran out, and of nodes that hold none."""
        cutoff = self._now() - self.lease
        async with self._storage.unit_of_work() as uow:
            expired = await uow.feedback_journal.expired(cutoff)
            orphans = await uow.feedback_journal.orphan_nodes()
        for node in expired:
            if node != self.node:
                await self._recovery.recover(node, claim=True, cutoff=cutoff)
        for node in orphans:
            if node != self.node:
                await self._recovery.recover(node, claim=False, cutoff=None)

    async def _recover_strays(self) -> None:
        """Fold our own journal rows that no live state tracks (their attachment changed between
        the event's commit and its recording, or recording failed)."""
        node = self.node
        if node is None:
            return
        tracked = {i for lv in self._live.values() for i in lv.journal_ids}
        tracked.update(i for lv in self._live.values() for b in lv.unflushed for i in b.journal_ids)
        cutoff = self._now() - timedelta(seconds=3 * self.interval)
        try:
            await self._recovery.fold(node, older_than=cutoff, skip=tracked)
        except StaleWriteError:
            pass  # try again next cycle
        except Exception:
            log.exception("could not fold stray journal rows of %s", node)

    def pending_events(self) -> int:
        """Journaled events recorded here and not yet flushed (for tests and metrics)."""
        return sum(lv.pending_events() for lv in self._live.values())
