"""The bus protocol: publish domain events after commit, subscribe handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from togglr.domain.events import DomainEvent

EventHandler = Callable[[DomainEvent], Awaitable[None]]


class EventBus(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, event: DomainEvent) -> None:
        """Deliver to every subscriber on every node (at least once)."""
        ...

    def subscribe(self, handler: EventHandler) -> None:
        """Register a handler for all events; handlers filter by `event.type`."""
        ...
