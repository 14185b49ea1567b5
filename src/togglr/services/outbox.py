"""Delivers queued notification messages with retries and backoff, and records each outcome.

A message is claimed with a short lease (`locked_until`) before it is sent, so several nodes can
run a worker without sending a message twice; a crashed sender's lease simply expires. A failed
try is retried after `backoff_seconds(attempts)` until `max_attempts`, then marked failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from togglr.domain.notifications import (
    BACKOFF_BASE_SECONDS,
    MAX_ATTEMPTS,
    Channel,
    DeliveryError,
    OutboxMessage,
    backoff_seconds,
)
from togglr.services.common import Clock

log = logging.getLogger(__name__)
Deliver = Callable[[Channel, OutboxMessage], Awaitable[None]]
LEASE = timedelta(seconds=60)


class OutboxWorker:
    def __init__(
        self,
        storage: Any,
        clock: Clock,
        deliver: Deliver,
        *,
        batch: int = 20,
        concurrency: int = 4,
        poll_interval: float = 5.0,
        backoff_base: float = BACKOFF_BASE_SECONDS,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._storage = storage
        self._now = clock
        self._deliver = deliver
        self._batch = batch
        self._slots = asyncio.Semaphore(concurrency)
        self.poll_interval = poll_interval  # picks up messages queued on other nodes, and retries
        self.backoff_base = backoff_base
        self.max_attempts = max_attempts
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """New messages are queued: deliver now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.drain()
                delay = await self._until_next_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # keep delivering whatever one bad pass did
                log.exception("notification outbox pass failed")
                delay = self.poll_interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _until_next_due(self) -> float:
        async with self._storage.unit_of_work() as uow:
            due = await uow.outbox.next_due_at()
        if due is None:
            return self.poll_interval
        seconds: float = (due - self._now()).total_seconds()
        return min(max(seconds, 0.01), self.poll_interval)

    async def drain(self) -> int:
        """Deliver every message that is due now; returns how many were tried."""
        tried = 0
        while True:
            async with self._storage.unit_of_work() as uow:
                due = await uow.outbox.due(self._now(), self._batch)
            if not due:
                return tried
            results = await asyncio.gather(*(self._guarded_attempt(m) for m in due))
            tried += sum(results)
            if len(due) < self._batch:
                return tried

    async def _guarded_attempt(self, message: OutboxMessage) -> int:
        async with self._slots:
            return 1 if await self.attempt(message, claim=True) is not None else 0

    async def attempt(
        self, message: OutboxMessage, *, claim: bool, retry: bool = True
    ) -> OutboxMessage | None:
        """Try to send one message and record the outcome; None when another worker holds it."""
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            if claim and not await uow.outbox.claim(message.id, now, now + LEASE):
                return None
            channel: Channel = await uow.notification_channels.get(message.channel_id)
        error = None
        if not channel.enabled and message.trigger != "test":
            error = "the channel was disabled before the message went out"
        else:
            try:
                await self._deliver(channel, message)
            except DeliveryError as exc:
                error = str(exc) or "delivery failed"
            except Exception as exc:  # a bug in a sender must not kill the worker
                log.exception("notification sender crashed")
                error = f"unexpected error: {exc.__class__.__name__}"
        attempts = message.attempts + 1
        async with self._storage.unit_of_work() as uow:
            if error is None:
                await uow.outbox.mark_sent(message.id, attempts, self._now())
            else:
                give_up = not retry or attempts >= self.max_attempts or not channel.enabled
                retry_at = (
                    None
                    if give_up
                    else self._now()
                    + timedelta(seconds=backoff_seconds(attempts, self.backoff_base))
                )
                await uow.outbox.mark_failed(message.id, attempts, error, retry_at)
            result: OutboxMessage = await uow.outbox.get(message.id)
        return result
