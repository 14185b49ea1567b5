"""Event bus port. Importing this package pulls in no adapter."""

from togglr.eventbus.protocol import EventBus, EventHandler

__all__ = ["EventBus", "EventHandler"]
