"""In-process bus for a single node: handlers run in the publishing task, in order."""

from __future__ import annotations

import logging

from togglr.domain.events import DomainEvent
from togglr.eventbus.protocol import EventHandler

log = logging.getLogger(__name__)


class InProcessEventBus:
    def __init__(self) -> None:
        self._handlers: list[EventHandler] = []

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._handlers.clear()

    async def publish(self, event: DomainEvent) -> None:
        for handler in list(self._handlers):
            try:
                await handler(event)
            except Exception:  # one failing subscriber must not block the others
                log.exception("event handler failed for %s", event.type)

    def subscribe(self, handler: EventHandler) -> None:
        self._handlers.append(handler)
