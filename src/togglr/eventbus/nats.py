"""NATS JetStream bus for several nodes behind a load balancer.

Every node handles its own events in-process at once (so a node reads its own writes), and
publishes them to a JetStream stream; each node consumes the stream and runs the handlers for
events that other nodes published. Delivery is at least once: a message is acked only after the
handlers ran, and handlers are idempotent (they reload state from the database).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import nats
from nats.js.api import DeliverPolicy, RetentionPolicy, StreamConfig

from togglr.domain.events import DomainEvent
from togglr.eventbus.codec import decode, encode
from togglr.eventbus.protocol import EventHandler

log = logging.getLogger(__name__)

STREAM = "TOGGLR_EVENTS"
SUBJECT_PREFIX = "togglr.events"


class NatsEventBus:
    def __init__(
        self, url: str, *, node_id: str, stream: str = STREAM, max_age_seconds: int = 24 * 3600
    ) -> None:
        self._url = url
        self._node_id = node_id
        self._stream = stream
        self._subject = f"{SUBJECT_PREFIX}.{stream.lower()}"
        self._max_age = max_age_seconds
        self._handlers: list[EventHandler] = []
        self._nc: Any = None
        self._js: Any = None
        self._sub: Any = None

    @property
    def node_id(self) -> str:
        return self._node_id

    async def start(self) -> None:
        self._nc = await nats.connect(
            self._url, name=f"togglr-{self._node_id}", max_reconnect_attempts=-1
        )
        self._js = self._nc.jetstream()
        config = StreamConfig(
            name=self._stream,
            subjects=[f"{self._subject}.>"],
            retention=RetentionPolicy.LIMITS,
            max_age=float(self._max_age),
        )
        try:
            await self._js.add_stream(config)
        except Exception:  # already there with the same config, or created by another node
            await self._js.update_stream(config)
        self._sub = await self._js.subscribe(
            f"{self._subject}.>",
            cb=self._on_message,
            deliver_policy=DeliverPolicy.NEW,
            manual_ack=True,
        )

    async def close(self) -> None:
        if self._sub is not None:
            try:
                await self._sub.unsubscribe()
            except Exception:  # the connection may already be gone
                log.debug("unsubscribe failed", exc_info=True)
        if self._nc is not None:
            await self._nc.drain()
        self._handlers.clear()

    def subscribe(self, handler: EventHandler) -> None:
        self._handlers.append(handler)

    async def publish(self, event: DomainEvent) -> None:
        event = dataclasses.replace(event, origin=self._node_id)
        await self._dispatch(event)
        if self._js is None:
            raise RuntimeError("NatsEventBus.publish before start()")
        await self._js.publish(f"{self._subject}.{event.type}", encode(event))

    async def _dispatch(self, event: DomainEvent) -> None:
        for handler in list(self._handlers):
            try:
                await handler(event)
            except Exception:
                log.exception("event handler failed for %s", event.type)

    async def _on_message(self, msg: Any) -> None:
        try:
            event = decode(msg.data)
        except Exception:
            log.exception("dropping an undecodable bus message")
            await msg.ack()
            return
        if event.origin != self._node_id:
            await self._dispatch(event)
        await msg.ack()
